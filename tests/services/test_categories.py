"""The customer category tree: its rules, cycles refused, and moving customers in bulk."""

from __future__ import annotations

import pytest

from salesflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor
from salesflow.customers.categories import (
    MAX_DEPTH,
    create_category,
    delete_category,
    flatten,
    move_category,
    move_customers,
    rename_category,
    tree,
)
from salesflow.customers.models import Category, Customer
from salesflow.customers.services import create_customer, update_customer
from tests.conftest import World, make_customer
from tests.services.support import error_pairs

pytestmark = pytest.mark.django_db


def add(actor: Actor, name: str, parent: Category | None = None) -> Category:
    return create_category(actor, {"name": name, "parent_id": parent.pk if parent else None})


def shape(actor: Actor) -> list[tuple[int, str, int]]:
    """The tree drawn as (depth, name, position), depth first."""
    return [(n.depth, n.category.name, n.category.position) for n in flatten(tree(actor))]


def fresh(category: Category) -> Category:
    return Category.objects.get(pk=category.pk)


def test_a_manager_builds_a_tree_siblings_in_the_order_added(world: World) -> None:
    # when
    industry = add(world.boss, "Industry")
    steel = add(world.boss, "Steel", industry)
    add(world.boss, "Autos", industry)
    add(world.boss, "Services")

    # then: children after their parent, each level numbered from 1
    assert shape(world.rep_west) == [
        (0, "Industry", 1),
        (1, "Steel", 1),
        (1, "Autos", 2),
        (0, "Services", 2),
    ]
    assert fresh(steel).path == f"/{industry.pk}/{steel.pk}/"


def test_names_are_unique_among_siblings_ignoring_case(world: World) -> None:
    # given
    industry = add(world.admin, "Industry")
    add(world.admin, "Steel", industry)
    services = add(world.admin, "Services")

    # when / then: a clash at the top level and under a parent are refused, naming the field
    with pytest.raises(ValidationFailed) as top:
        add(world.admin, "INDUSTRY")
    assert error_pairs(top.value) == [
        ("name", "“The top level” already has a category named “INDUSTRY”.")
    ]
    with pytest.raises(ValidationFailed) as child:
        add(world.admin, " steel ", industry)
    assert error_pairs(child.value) == [
        ("name", "“Industry” already has a category named “steel”.")
    ]
    # and the same name under another parent is fine
    add(world.admin, "Steel", services)
    with pytest.raises(ValidationFailed) as renamed:
        rename_category(world.admin, services.pk, 1, {"name": "industry"})
    assert [f for f, _m in error_pairs(renamed.value)] == ["name"]
    assert Category.objects.filter(workspace_id=world.admin.workspace_id).count() == 4


def test_rename_bumps_the_version_and_a_stale_one_is_a_conflict(world: World) -> None:
    # given
    steel = add(world.admin, "Steel")

    # when
    renamed = rename_category(world.boss, steel.pk, 1, {"name": "Steel and iron"})

    # then
    assert (renamed.name, renamed.version) == ("Steel and iron", 2)
    with pytest.raises(Conflict):
        rename_category(world.boss, steel.pk, 1, {"name": "Metals"})
    assert fresh(steel).name == "Steel and iron"


def test_a_move_under_itself_or_a_descendant_is_refused(world: World) -> None:
    # given  Industry > Steel > Special steel
    industry = add(world.admin, "Industry")
    steel = add(world.admin, "Steel", industry)
    special = add(world.admin, "Special steel", steel)

    # when / then
    for target in (industry, steel, special):
        with pytest.raises(ValidationFailed) as refused:
            move_category(world.admin, industry.pk, None, target.pk)
        assert error_pairs(refused.value) == [
            ("parent_id", "A category cannot move under itself or one of its sub-categories.")
        ]
    assert [c.path for c in map(fresh, (industry, steel, special))] == [
        f"/{industry.pk}/",
        f"/{industry.pk}/{steel.pk}/",
        f"/{industry.pk}/{steel.pk}/{special.pk}/",
    ]


def test_a_moved_category_takes_its_subtree_and_the_place_asked(world: World) -> None:
    # given  Industry > Steel > Special steel; Services > Banks, Hotels
    industry = add(world.admin, "Industry")
    steel = add(world.admin, "Steel", industry)
    special = add(world.admin, "Special steel", steel)
    services = add(world.admin, "Services")
    add(world.admin, "Banks", services)
    add(world.admin, "Hotels", services)

    # when Steel moves under Services, second among Banks and Hotels
    moved = move_category(world.boss, steel.pk, 1, services.pk, 2)

    # then its child follows, and Hotels is renumbered third
    assert moved.version == 2
    assert fresh(special).path == f"/{services.pk}/{steel.pk}/{special.pk}/"
    assert shape(world.admin) == [
        (0, "Industry", 1),
        (0, "Services", 2),
        (1, "Banks", 1),
        (1, "Steel", 2),
        (2, "Special steel", 1),
        (1, "Hotels", 3),
    ]

    # when Steel goes to the top level, first
    move_category(world.boss, steel.pk, 2, None, 1)

    # then
    assert fresh(special).path == f"/{steel.pk}/{special.pk}/"
    assert [(d, n, p) for d, n, p in shape(world.admin) if d == 0] == [
        (0, "Steel", 1),
        (0, "Industry", 2),
        (0, "Services", 3),
    ]
    assert (
        AuditRecord.objects.filter(entity="customers.category", entity_id=steel.pk)
        .filter(action="move")
        .count()
        == 2
    )


def test_reorder_among_the_same_siblings(world: World) -> None:
    # given
    a, b, c = (add(world.admin, name) for name in "ABC")

    # when C moves to the front, then A to a place past the end (last)
    move_category(world.admin, c.pk, None, None, 1)
    move_category(world.admin, a.pk, None, None, 99)

    # then
    assert [(n, p) for _d, n, p in shape(world.admin)] == [("C", 1), ("B", 2), ("A", 3)]
    assert fresh(b).version == 3  # renumbered twice: 2 → 3 when C came first, 3 → 2 after A left


def test_a_move_into_a_clashing_name_or_too_deep_is_refused(world: World) -> None:
    # given a chain as deep as allowed, and a top-level Steel
    chain = [add(world.admin, "Level 0")]
    for depth in range(1, MAX_DEPTH):
        chain.append(add(world.admin, f"Level {depth}", chain[-1]))
    steel = add(world.admin, "Steel")
    add(world.admin, "Steel", chain[0])
    sub = add(world.admin, "Sub", steel)

    # then one more level is refused, on creation and on a move
    with pytest.raises(ValidationFailed) as deeper:
        add(world.admin, "Too deep", chain[-1])
    assert error_pairs(deeper.value) == [("parent_id", "Categories nest at most 10 levels deep.")]
    with pytest.raises(ValidationFailed):
        move_category(world.admin, sub.pk, None, chain[-1].pk)
    # a subtree two levels high fits only where two levels are left
    with pytest.raises(ValidationFailed) as clash:
        move_category(world.admin, steel.pk, None, chain[0].pk)
    assert [f for f, _m in error_pairs(clash.value)] == ["name"]
    assert fresh(sub).path == f"/{steel.pk}/{sub.pk}/"


def test_delete_is_refused_while_customers_or_children_are_filed(world: World) -> None:
    # given Industry holding one sub-category and two customers (one a rep's)
    industry = add(world.admin, "Industry")
    steel = add(world.admin, "Steel", industry)
    make_customer(world.admin, category_id=industry.pk)
    make_customer(world.rep_west, category_id=industry.pk)

    # when / then
    with pytest.raises(ValidationFailed) as refused:
        delete_category(world.boss, industry.pk)
    assert error_pairs(refused.value) == [
        (
            "id",
            "“Industry” still holds 2 customers and 1 sub-category: move them to another "
            "category first.",
        )
    ]
    # and an empty one goes
    delete_category(world.boss, steel.pk, 1)
    assert not Category.objects.filter(pk=steel.pk).exists()


def test_a_rep_sees_the_tree_but_may_not_change_it(world: World) -> None:
    # given
    industry = add(world.admin, "Industry")

    # then
    assert shape(world.rep_east) == [(0, "Industry", 1)]
    for attempt in (
        lambda: add(world.rep_east, "Mine"),
        lambda: rename_category(world.rep_east, industry.pk, None, {"name": "Mine"}),
        lambda: move_category(world.rep_east, industry.pk, None, None, 1),
        lambda: delete_category(world.rep_east, industry.pk),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert fresh(industry).name == "Industry"


def test_another_workspaces_category_is_not_found(world: World, other_world: World) -> None:
    # given
    theirs = add(other_world.admin, "Theirs")
    mine = add(world.admin, "Mine")
    customer = make_customer(world.admin)

    # then naming it in the path is NotFound, in the input an invalid field
    with pytest.raises(NotFound):
        rename_category(world.admin, theirs.pk, None, {"name": "Got it"})
    with pytest.raises(NotFound):
        move_category(world.admin, theirs.pk, None, None)
    with pytest.raises(NotFound):
        delete_category(world.admin, theirs.pk)
    with pytest.raises(ValidationFailed) as as_parent:
        move_category(world.admin, mine.pk, None, theirs.pk)
    assert [f for f, _m in error_pairs(as_parent.value)] == ["parent_id"]
    with pytest.raises(ValidationFailed) as filed:
        update_customer(world.admin, customer.pk, None, {"category_id": theirs.pk})
    assert error_pairs(filed.value) == [
        ("category_id", "No customer category visible to you has this id.")
    ]
    with pytest.raises(ValidationFailed):
        move_customers(world.admin, [customer.pk], theirs.pk)
    assert Customer.objects.get(pk=customer.pk).category_id is None
    assert fresh(theirs).name == "Theirs"


def test_a_customer_is_filed_when_created_or_edited(world: World) -> None:
    # given
    steel = add(world.admin, "Steel")

    # when
    customer = create_customer(world.rep_east, {"name": "Huaxin", "category_id": steel.pk})
    update_customer(world.rep_east, customer.pk, 1, {"category_id": None})

    # then
    assert Customer.objects.get(pk=customer.pk).category_id is None


def test_bulk_move_files_every_selected_customer_and_counts_the_changed(world: World) -> None:
    # given three of rep_east's customers, one already in Steel
    steel = add(world.admin, "Steel")
    a = make_customer(world.rep_east)
    b = make_customer(world.rep_east)
    c = make_customer(world.rep_east, category_id=steel.pk)

    # when
    moved = move_customers(world.rep_east, [a.pk, b.pk, c.pk, a.pk], steel.pk)

    # then: 2 changed (a and b; c was there); each changed one bumped and audited once
    assert moved == 2
    rows = {x.pk: x for x in Customer.objects.filter(pk__in=[a.pk, b.pk, c.pk])}
    assert {pk: (x.category_id, x.version) for pk, x in rows.items()} == {
        a.pk: (steel.pk, 2),
        b.pk: (steel.pk, 2),
        c.pk: (steel.pk, 1),
    }
    audit = AuditRecord.objects.get(entity="customers.customer", entity_id=a.pk, action="update")
    assert audit.changes == {"category_id": [None, steel.pk]}

    # and a stale form of a is refused afterwards
    with pytest.raises(Conflict):
        update_customer(world.rep_east, a.pk, 1, {"name": "Stale"})


def test_a_rep_cannot_move_a_colleagues_customer_and_nothing_moves(world: World) -> None:
    # given one of rep_east's customers and one of rep_west's
    steel = add(world.admin, "Steel")
    mine = make_customer(world.rep_east)
    theirs = make_customer(world.rep_west)

    # when rep_east selects both
    with pytest.raises(ValidationFailed) as refused:
        move_customers(world.rep_east, [mine.pk, theirs.pk], steel.pk)

    # then the whole call is refused, naming the id they may not see
    assert error_pairs(refused.value) == [
        (
            "customer_ids",
            f"No customer visible to you has the id {theirs.pk}; nothing was changed.",
        )
    ]
    assert list(
        Customer.objects.filter(pk__in=[mine.pk, theirs.pk]).values_list("category_id", "version")
    ) == [(None, 1), (None, 1)]
    # while their manager may move both
    assert move_customers(world.boss, [mine.pk, theirs.pk], steel.pk) == 2


def test_bulk_move_refuses_an_empty_or_oversized_selection(world: World) -> None:
    with pytest.raises(ValidationFailed) as empty:
        move_customers(world.admin, [], None)
    assert error_pairs(empty.value) == [("customer_ids", "Select at least one customer.")]
    with pytest.raises(ValidationFailed) as huge:
        move_customers(world.admin, list(range(1, 502)), None)
    assert error_pairs(huge.value) == [
        ("customer_ids", "Select at most 500 customers at a time; you selected 501.")
    ]


def test_counts_per_node_are_the_readers_customers_added_up_the_tree(world: World) -> None:
    # given Industry > Steel; 1 admin customer in Industry, 2 of rep_east's in Steel
    industry = add(world.admin, "Industry")
    steel = add(world.admin, "Steel", industry)
    make_customer(world.admin, category_id=industry.pk)
    make_customer(world.rep_east, category_id=steel.pk)
    make_customer(world.rep_east, category_id=steel.pk)

    # then (own, total): the admin sees 1 + 2 = 3 under Industry; rep_east 0 + 2
    def counted(actor: Actor) -> list[tuple[str, int, int]]:
        return [(n.category.name, n.own, n.total) for n in flatten(tree(actor, counts=True))]

    assert counted(world.admin) == [("Industry", 1, 3), ("Steel", 2, 2)]
    assert counted(world.rep_east) == [("Industry", 0, 2), ("Steel", 2, 2)]
