"""Tags: the workspace's labels (names unique ignoring case, an optional colour from a fixed
palette), put on customers one by one, on the customer form, or on a selection in bulk.

Every member may create a tag and tag the customers they see; renaming, recolouring and
deleting a tag, which every member's customers share, is for managers and admins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salesflow.core import writes
from salesflow.core.errors import ValidationFailed
from salesflow.core.scoping import Actor, get_visible, require_manager, visible
from salesflow.customers import selection
from salesflow.customers.models import Customer, CustomerTag, Tag

TAG_FIELDS = frozenset({"name", "colour"})
MAX_TAGS_PER_CUSTOMER = 50


def _clean(data: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    values = dict(data)
    if "name" in values or required:
        name = values.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValidationFailed.one("name", _("This field is required."))
        values["name"] = name.strip()
    return values


def _require_free_name(actor: Actor, name: str, tag: Tag | None = None) -> None:
    clash = visible(Tag, actor).alias(lower=Lower("name")).filter(lower=Lower(Value(name)))
    if tag is not None:
        clash = clash.exclude(pk=tag.pk)
    if clash.exists():
        raise ValidationFailed.one(
            "name", _("A tag named “%(name)s” already exists.") % {"name": name}
        )


@transaction.atomic
def create_tag(actor: Actor, data: Mapping[str, Any]) -> Tag:
    writes.only(data, TAG_FIELDS)
    values = _clean(data, required=True)
    _require_free_name(actor, values["name"])
    return writes.create(actor, Tag(**values))


@transaction.atomic
def update_tag(actor: Actor, tag_id: int, version: int | None, data: Mapping[str, Any]) -> Tag:
    writes.only(data, TAG_FIELDS)
    tag = writes.lock(actor, Tag, tag_id, version)
    require_manager(actor)
    values = _clean(data, required=False)
    if "name" in values:
        _require_free_name(actor, values["name"], tag)
    writes.update(actor, tag, writes.apply(tag, values))
    return tag


@transaction.atomic
def delete_tag(actor: Actor, tag_id: int, version: int | None = None) -> None:
    """Delete a tag; it comes off every customer carrying it."""
    tag = writes.lock(actor, Tag, tag_id, version)
    require_manager(actor)
    writes.delete(actor, tag)


def _tags(actor: Actor, tag_ids: object) -> list[Tag]:
    if not isinstance(tag_ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in tag_ids
    ):
        raise ValidationFailed.one("tag_ids", _("Enter a list of tag ids."))
    wanted = set(tag_ids)
    if len(wanted) > MAX_TAGS_PER_CUSTOMER:
        raise ValidationFailed.one(
            "tag_ids",
            _("A customer carries at most %(limit)s tags.") % {"limit": MAX_TAGS_PER_CUSTOMER},
        )
    found = list(visible(Tag, actor).filter(pk__in=wanted))
    missing = sorted(wanted - {tag.pk for tag in found})
    if missing:
        raise ValidationFailed.one(
            "tag_ids",
            ngettext(
                "No tag of this workspace has the id %(ids)s.",
                "No tags of this workspace have the ids %(ids)s.",
                len(missing),
            )
            % {"ids": ", ".join(str(pk) for pk in missing)},
        )
    return found


def set_customer_tags(
    actor: Actor, customer: Customer, tag_ids: object, *, versioned: bool
) -> None:
    """Give a customer exactly these tags, inside the service that creates or edits it.

    The change is audited on the customer; `versioned` says that service already bumped the
    customer's version in this transaction, else the tags alone bump it.
    """
    tags = _tags(actor, tag_ids)
    before = sorted(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
    after = sorted(tag.pk for tag in tags)
    if before == after:
        return
    CustomerTag.objects.filter(customer=customer).exclude(tag_id__in=after).delete()
    _attach(actor, [customer.pk], [pk for pk in after if pk not in before])
    if not versioned:
        now = timezone.now()
        Customer.objects.filter(pk=customer.pk).update(
            version=F("version") + 1, updated_at=now, updated_by_id=actor.user_id
        )
        customer.version += 1
        customer.updated_at = now
        customer.updated_by_id = actor.user_id
    writes.audit(actor, customer, "tag", {"tag_ids": [before, after]})


def _attach(actor: Actor, customer_ids: Iterable[int], tag_ids: Iterable[int]) -> None:
    CustomerTag.objects.bulk_create(
        CustomerTag(workspace_id=actor.workspace_id, customer_id=customer_id, tag_id=tag_id)
        for customer_id in customer_ids
        for tag_id in tag_ids
    )


@transaction.atomic
def tag_customer_by_name(actor: Actor, customer_id: int, name: str) -> Tag:
    """Put the tag of this name (any case) on a customer, creating the tag when it is new."""
    customer = writes.lock(actor, Customer, customer_id, None)
    values = _clean({"name": name}, required=True)
    tag = (
        visible(Tag, actor)
        .alias(lower=Lower("name"))
        .filter(lower=Lower(Value(values["name"])))
        .first()
    ) or create_tag(actor, values)
    current = list(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
    if tag.pk not in current:
        set_customer_tags(actor, customer, [*current, tag.pk], versioned=False)
    return tag


@transaction.atomic
def untag_customer(actor: Actor, customer_id: int, tag_id: int) -> None:
    customer = writes.lock(actor, Customer, customer_id, None)
    current = list(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
    if tag_id in current:
        current.remove(tag_id)
        set_customer_tags(actor, customer, current, versioned=False)


def _bulk_tag(actor: Actor, tag_id: object) -> Tag:
    return writes.reference(actor, Tag, tag_id, "tag_id")


@transaction.atomic
def tag_customers(actor: Actor, customer_ids: object, tag_id: int) -> int:
    """Put a tag on every selected customer, all or none; returns how many gained it."""
    tag = _bulk_tag(actor, tag_id)
    customers = selection.lock(actor, customer_ids)
    carrying = set(
        CustomerTag.objects.filter(tag=tag, customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    gaining = [c.pk for c in customers if c.pk not in carrying]
    _attach(actor, gaining, [tag.pk])
    selection.write(actor, {pk: {"added_tag_id": tag.pk} for pk in gaining}, action="tag")
    return len(gaining)


@transaction.atomic
def untag_customers(actor: Actor, customer_ids: object, tag_id: int) -> int:
    """Take a tag off every selected customer, all or none; returns how many lost it."""
    tag = _bulk_tag(actor, tag_id)
    customers = selection.lock(actor, customer_ids)
    carrying = CustomerTag.objects.filter(tag=tag, customer__in=customers)
    losing = sorted(carrying.values_list("customer_id", flat=True))
    carrying.delete()
    selection.write(actor, {pk: {"removed_tag_id": tag.pk} for pk in losing}, action="tag")
    return len(losing)


# Reading


def tags(actor: Actor) -> QuerySet[Tag]:
    return visible(Tag, actor).order_by("name", "id")


def tag(actor: Actor, tag_id: int) -> Tag:
    return get_visible(Tag, actor, tag_id)


def prefetch() -> Prefetch[Any]:
    """A customer list's tags in one more query, each customer's by name."""
    return Prefetch("tags", queryset=Tag.objects.order_by("name", "id"))


def carrying_all(tag_ids: list[int] | None) -> Q:
    """Customers carrying every one of these tags: one indexed (tag, customer) lookup each."""
    condition = Q()
    for tag_id in sorted(set(tag_ids or ())):
        condition &= Q(pk__in=CustomerTag.objects.filter(tag_id=tag_id).values("customer_id"))
    return condition
