"""Tags: unique names, colours, tagging one customer, the customer form, and a selection."""

from __future__ import annotations

import pytest

from salesflow.core.errors import Forbidden, NotFound, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.customers.models import Customer, CustomerTag, Tag
from salesflow.customers.services import create_customer, update_customer
from salesflow.customers.tags import (
    create_tag,
    delete_tag,
    tag_customer_by_name,
    tag_customers,
    untag_customer,
    untag_customers,
    update_tag,
)
from tests.conftest import World, make_customer
from tests.services.support import error_pairs

pytestmark = pytest.mark.django_db


def tag_names(customer: Customer) -> list[str]:
    return sorted(CustomerTag.objects.filter(customer=customer).values_list("tag__name", flat=True))


def test_tag_names_are_unique_ignoring_case_and_colours_come_from_the_palette(
    world: World,
) -> None:
    # given
    create_tag(world.rep_east, {"name": "VIP", "colour": "red"})

    # when / then
    with pytest.raises(ValidationFailed) as clash:
        create_tag(world.rep_west, {"name": " vip "})
    assert error_pairs(clash.value) == [("name", "A tag named “vip” already exists.")]
    with pytest.raises(ValidationFailed) as colour:
        create_tag(world.admin, {"name": "Hot", "colour": "gold"})
    assert [f for f, _m in error_pairs(colour.value)] == ["colour"]
    with pytest.raises(ValidationFailed) as blank:
        create_tag(world.admin, {"name": "  "})
    assert error_pairs(blank.value) == [("name", "This field is required.")]
    assert list(Tag.objects.values_list("name", "colour")) == [("VIP", "red")]


def test_the_same_name_may_exist_in_another_workspace(world: World, other_world: World) -> None:
    create_tag(world.admin, {"name": "VIP"})
    theirs = create_tag(other_world.admin, {"name": "VIP"})
    assert theirs.workspace_id == other_world.admin.workspace_id


def test_only_managers_rename_or_delete_a_tag_and_deleting_untags(world: World) -> None:
    # given
    vip = create_tag(world.rep_east, {"name": "VIP"})
    customer = make_customer(world.rep_east, tag_ids=[vip.pk])

    # then
    with pytest.raises(Forbidden):
        update_tag(world.rep_east, vip.pk, 1, {"colour": "blue"})
    with pytest.raises(Forbidden):
        delete_tag(world.rep_east, vip.pk)
    renamed = update_tag(world.boss, vip.pk, 1, {"name": "Key account", "colour": "blue"})
    assert (renamed.name, renamed.colour, renamed.version) == ("Key account", "blue", 2)
    delete_tag(world.boss, vip.pk, 2)
    assert tag_names(customer) == []


def test_another_workspaces_tag_is_not_found_and_cannot_be_put_on(
    world: World, other_world: World
) -> None:
    # given
    theirs = create_tag(other_world.admin, {"name": "Theirs"})
    customer = make_customer(world.admin)

    # then
    with pytest.raises(NotFound):
        update_tag(world.admin, theirs.pk, None, {"name": "Mine"})
    with pytest.raises(ValidationFailed) as refused:
        update_customer(world.admin, customer.pk, 1, {"tag_ids": [theirs.pk]})
    assert error_pairs(refused.value) == [
        ("tag_ids", f"No tag of this workspace has the id {theirs.pk}.")
    ]
    with pytest.raises(ValidationFailed):
        tag_customers(world.admin, [customer.pk], theirs.pk)
    assert tag_names(customer) == []


def test_the_customer_form_sets_the_tags_bumping_the_version_once(world: World) -> None:
    # given
    vip, hot, cold = (create_tag(world.admin, {"name": n}) for n in ("VIP", "Hot", "Cold"))
    customer = create_customer(world.rep_east, {"name": "Huaxin", "tag_ids": [vip.pk, hot.pk]})
    assert (tag_names(customer), customer.version) == (["Hot", "VIP"], 1)

    # when tags change with a field: one bump
    both = update_customer(
        world.rep_east, customer.pk, 1, {"region": "Shanghai", "tag_ids": [hot.pk, cold.pk]}
    )
    # when tags alone change: one bump too
    alone = update_customer(world.rep_east, customer.pk, 2, {"tag_ids": [cold.pk]})
    # when nothing changes: none
    same = update_customer(world.rep_east, customer.pk, 3, {"tag_ids": [cold.pk]})

    # then
    assert (both.version, alone.version, same.version) == (2, 3, 3)
    assert Customer.objects.get(pk=customer.pk).version == 3
    assert tag_names(customer) == ["Cold"]
    tagged = AuditRecord.objects.filter(entity_id=customer.pk, action="tag").order_by("id")
    assert [a.changes for a in tagged] == [
        {"tag_ids": [[], sorted([vip.pk, hot.pk])]},
        {"tag_ids": [sorted([vip.pk, hot.pk]), sorted([hot.pk, cold.pk])]},
        {"tag_ids": [sorted([hot.pk, cold.pk]), [cold.pk]]},
    ]


def test_tagging_by_name_reuses_a_tag_in_any_case_or_creates_it(world: World) -> None:
    # given
    vip = create_tag(world.admin, {"name": "VIP"})
    customer = make_customer(world.rep_east)

    # when
    reused = tag_customer_by_name(world.rep_east, customer.pk, "vip")
    created = tag_customer_by_name(world.rep_east, customer.pk, "  Trade show 2025 ")
    again = tag_customer_by_name(world.rep_east, customer.pk, "VIP")

    # then
    assert reused.pk == again.pk == vip.pk
    assert created.name == "Trade show 2025"
    assert tag_names(customer) == ["Trade show 2025", "VIP"]
    assert Customer.objects.get(pk=customer.pk).version == 3  # two tags added, the third a no-op

    # when one comes off
    untag_customer(world.rep_east, customer.pk, vip.pk)
    assert tag_names(customer) == ["Trade show 2025"]


def test_a_rep_cannot_tag_a_colleagues_customer(world: World) -> None:
    theirs = make_customer(world.rep_west)
    with pytest.raises(NotFound):
        tag_customer_by_name(world.rep_east, theirs.pk, "Mine")
    assert not Tag.objects.filter(name="Mine").exists()


def test_bulk_tagging_is_scoped_atomic_and_counts_the_changed(world: World) -> None:
    # given two of rep_east's customers, one already VIP, and one of rep_west's
    vip = create_tag(world.admin, {"name": "VIP"})
    a = make_customer(world.rep_east, tag_ids=[vip.pk])
    b = make_customer(world.rep_east)
    theirs = make_customer(world.rep_west)

    # when rep_east includes the colleague's customer, nothing changes
    with pytest.raises(ValidationFailed):
        tag_customers(world.rep_east, [a.pk, b.pk, theirs.pk], vip.pk)
    assert (tag_names(b), tag_names(theirs)) == ([], [])

    # when only their own: b gains it (1), then both lose it (2)
    assert tag_customers(world.rep_east, [a.pk, b.pk], vip.pk) == 1
    assert tag_names(b) == ["VIP"]
    assert untag_customers(world.rep_east, [a.pk, b.pk], vip.pk) == 2
    assert (tag_names(a), tag_names(b)) == ([], [])

    # then b was bumped twice, a once (it only lost the tag)
    assert {c.pk: c.version for c in Customer.objects.filter(pk__in=[a.pk, b.pk])} == {
        a.pk: 2,
        b.pk: 3,
    }
