"""The customer category tree: adding, renaming, moving, ordering and deleting categories,
moving customers between them in bulk, and reading the tree.

Admins and managers shape the tree; every member sees it and files the customers they see.
A category holding customers or sub-categories is not deleted: its customers and children
must be moved elsewhere first, so no customer silently loses its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Value
from django.db.models.functions import Concat, Lower, Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salesflow.core import writes
from salesflow.core.errors import Conflict, NotFound, ValidationFailed
from salesflow.core.scoping import Actor, get_visible, require_manager, visible
from salesflow.customers import selection
from salesflow.customers.models import Category, Customer

MAX_DEPTH = 10
MAX_CATEGORIES = 1000
CATEGORY_FIELDS = frozenset({"name", "parent_id"})


def _clean_name(data: Mapping[str, Any]) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed.one("name", _("This field is required."))
    return name.strip()


def _parent(actor: Actor, parent_id: object) -> Category | None:
    if parent_id is None:
        return None
    return writes.reference(actor, Category, parent_id, "parent_id")


def _siblings(actor: Actor, parent: Category | None) -> QuerySet[Category]:
    categories = visible(Category, actor)
    if parent is None:
        return categories.filter(parent__isnull=True)
    return categories.filter(parent=parent)


def _require_free_name(
    actor: Actor, parent: Category | None, name: str, category: Category | None = None
) -> None:
    """Sibling names differ ignoring case, compared by the database as its constraint does."""
    clash = _siblings(actor, parent).alias(lower=Lower("name")).filter(lower=Lower(Value(name)))
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ValidationFailed.one(
            "name",
            _("“%(parent)s” already has a category named “%(name)s”.")
            % {"parent": parent.name if parent else _("The top level"), "name": name},
        )


def _too_deep() -> ValidationFailed:
    return ValidationFailed.one(
        "parent_id", _("Categories nest at most %(levels)s levels deep.") % {"levels": MAX_DEPTH}
    )


@transaction.atomic
def create_category(actor: Actor, data: Mapping[str, Any]) -> Category:
    """A new category, last among its siblings."""
    writes.only(data, CATEGORY_FIELDS)
    require_manager(actor)
    name = _clean_name(data)
    parent = _parent(actor, data.get("parent_id"))
    if parent is not None:
        # Locked, so the sibling positions below are not handed out twice at once.
        parent = writes.lock(actor, Category, parent.pk, None)
        if parent.depth + 1 >= MAX_DEPTH:
            raise _too_deep()
    if visible(Category, actor).count() >= MAX_CATEGORIES:
        raise ValidationFailed.one(
            "name",
            _("A workspace has at most %(limit)s categories.") % {"limit": MAX_CATEGORIES},
        )
    _require_free_name(actor, parent, name)
    last = _siblings(actor, parent).aggregate(last=Max("position"))["last"] or 0
    category = Category(name=name, parent=parent, position=last + 1, path="/")
    writes.create(actor, category, exclude=["path"])
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    Category.objects.filter(pk=category.pk).update(path=category.path)
    return category


@transaction.atomic
def rename_category(
    actor: Actor, category_id: int, version: int | None, data: Mapping[str, Any]
) -> Category:
    writes.only(data, frozenset({"name"}))
    category = writes.lock(actor, Category, category_id, version)
    require_manager(actor)
    name = _clean_name(data)
    _require_free_name(actor, category.parent, name, category)
    writes.update(actor, category, writes.apply(category, {"name": name}))
    return category


def _lock_pair(
    actor: Actor, category_id: int, parent_id: object
) -> tuple[Category, Category | None]:
    """Lock the moving category and its new parent in id order, so that two moves crossing
    each other (A under B, B under A) wait for one another and the second sees the first."""
    moving = get_visible(Category, actor, category_id)
    parent = _parent(actor, parent_id)
    wanted = {moving.pk} | ({parent.pk} if parent else set())
    rows = {
        c.pk: c
        for c in visible(Category, actor).select_for_update().filter(pk__in=wanted).order_by("pk")
    }
    if moving.pk not in rows:
        raise NotFound()
    return rows[moving.pk], rows[parent.pk] if parent else None


@transaction.atomic
def move_category(
    actor: Actor,
    category_id: int,
    version: int | None,
    parent_id: int | None,
    position: int | None = None,
) -> Category:
    """Put a category under another parent (None: the top level) at a place among its new
    siblings (1 is first; None or past the end is last), carrying its whole subtree along."""
    category, parent = _lock_pair(actor, category_id, parent_id)
    require_manager(actor)
    if version is not None and category.version != version:
        raise Conflict(category.version)
    if position is not None and (isinstance(position, bool) or position < 1):
        raise ValidationFailed.one("position", _("Enter a whole number from 1."))
    old_path = category.path
    if parent is not None and parent.path.startswith(old_path):
        raise ValidationFailed.one(
            "parent_id", _("A category cannot move under itself or one of its sub-categories.")
        )
    changes_parent = category.parent_id != (parent.pk if parent else None)
    if changes_parent:
        _require_free_name(actor, parent, category.name, category)
        subtree = visible(Category, actor).filter(path__startswith=old_path)
        deepest = max(c.count("/") for c in subtree.values_list("path", flat=True)) - 2
        height = deepest - category.depth
        if (parent.depth + 1 if parent else 0) + height >= MAX_DEPTH:
            raise _too_deep()
    siblings = list(
        _siblings(actor, parent)
        .exclude(pk=category.pk)
        .select_for_update()
        .order_by("position", "id")
    )
    place = len(siblings) if position is None else min(position - 1, len(siblings))
    siblings.insert(place, category)
    new_path = f"{parent.path if parent else '/'}{category.pk}/"
    for number, sibling in enumerate(siblings, start=1):
        if sibling is category:
            values = {"parent": parent, "position": number, "path": new_path}
            writes.update(actor, category, writes.apply(category, values), action="move")
        elif sibling.position != number:
            writes.update(actor, sibling, writes.apply(sibling, {"position": number}))
    if new_path != old_path:
        # The paths below follow from the moved one; derived, so neither audited nor versioned.
        visible(Category, actor).filter(path__startswith=old_path).exclude(pk=category.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
        )
    return category


@transaction.atomic
def delete_category(actor: Actor, category_id: int, version: int | None = None) -> None:
    """Delete an empty category; one holding customers or sub-categories is refused."""
    category = writes.lock(actor, Category, category_id, version)
    require_manager(actor)
    customers = Customer.objects.filter(category=category).count()
    children = Category.objects.filter(parent=category).count()
    if customers or children:
        held = [
            ngettext("%(count)s customer", "%(count)s customers", customers) % {"count": customers}
            if customers
            else "",
            ngettext("%(count)s sub-category", "%(count)s sub-categories", children)
            % {"count": children}
            if children
            else "",
        ]
        raise ValidationFailed.one(
            "id",
            _("“%(name)s” still holds %(held)s: move them to another category first.")
            % {"name": category.name, "held": _(" and ").join(h for h in held if h)},
        )
    writes.delete(actor, category)


@transaction.atomic
def move_customers(actor: Actor, customer_ids: object, category_id: int | None) -> int:
    """File the selected customers under one category (None: under none), all or none of
    them; returns how many changed category."""
    category = (
        None
        if category_id is None
        else writes.reference(actor, Category, category_id, "category_id")
    )
    target = category.pk if category else None
    customers = selection.lock(actor, customer_ids)
    changes = {
        c.pk: {"category_id": [c.category_id, target]} for c in customers if c.category_id != target
    }
    selection.write(actor, changes, category_id=target)
    return len(changes)


def check_reference(actor: Actor, category_id: object) -> None:
    """A customer's category, named by id in the input, must be one of the workspace's."""
    if category_id is not None:
        writes.reference(actor, Category, category_id, "category_id")


# Reading


@dataclass
class Node:
    category: Category
    children: list[Node] = field(default_factory=list)
    # Customers the reader sees filed here, and here or anywhere below.
    own: int = 0
    total: int = 0

    @property
    def depth(self) -> int:
        return self.category.depth


def category(actor: Actor, category_id: int) -> Category:
    return get_visible(Category, actor, category_id)


def tree(actor: Actor, *, counts: bool = False) -> list[Node]:
    """The whole tree, siblings in their order; with `counts`, the customers the actor sees
    in each node (one grouped count over the customers, not one per node)."""
    nodes = {c.pk: Node(c) for c in visible(Category, actor).order_by("position", "id")}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else roots).append(node)
    if counts:
        filed = (
            visible(Customer, actor)
            .filter(category__isnull=False)
            .values_list("category_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for category_id, n in filed:
            if category_id in nodes:
                nodes[category_id].own = n
        for root in roots:
            _add_up(root)
    return roots


def _add_up(node: Node) -> int:
    node.total = node.own + sum(_add_up(child) for child in node.children)
    return node.total


def flatten(roots: list[Node]) -> list[Node]:
    """The nodes depth first, each parent before its children: the order of a tree drawn
    as an indented list."""
    ordered: list[Node] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(node.children))
    return ordered


def in_subtree(category_id: int | None) -> Q:
    """Customers filed under the category or any category below it.

    The subtree's ids are collected by one indexed prefix read of the paths, then named as
    values. An id of another workspace finds only that workspace's categories, whose
    customers `visible()` has already left out.
    """
    if category_id is None:
        return Q()
    top = Category.objects.filter(pk=category_id).values_list("workspace_id", "path").first()
    if top is None:
        return Q(pk__in=[])
    workspace_id, path = top
    ids = Category.objects.filter(workspace_id=workspace_id, path__startswith=path).values_list(
        "pk", flat=True
    )
    return Q(category_id__in=list(ids))
