"""Ids in the input must name rows the actor may see, and links must agree with each other."""

from __future__ import annotations

import pytest

from salesflow.activities.services import create_activity, update_activity
from salesflow.core.errors import ValidationFailed
from salesflow.customers.services import create_contact, update_contact
from salesflow.pipeline.services.deals import create_deal, update_deal
from tests.conftest import World, make_contact, make_customer, make_deal
from tests.services.support import error_fields, row_counts


def test_a_deal_for_another_workspaces_customer_is_refused(
    world: World, other_world: World
) -> None:
    # given a customer in the other workspace
    foreign = make_customer(other_world.admin)
    before = row_counts()

    # when our admin (who sees everything in our workspace) opens a deal for it
    with pytest.raises(ValidationFailed) as refused:
        create_deal(world.admin, {"name": "Poach", "customer_id": foreign.pk})

    # then customer_id is named and nothing is written
    assert error_fields(refused.value) == ["customer_id"]
    assert row_counts() == before


def test_a_deal_for_a_customer_outside_the_reps_scope_is_refused(world: World) -> None:
    # given a customer of the West rep
    west = make_customer(world.rep_west)
    before = row_counts()

    # when the East rep opens a deal for it
    with pytest.raises(ValidationFailed) as refused:
        create_deal(world.rep_east, {"name": "Poach", "customer_id": west.pk})

    # then customer_id is named and nothing is written
    assert error_fields(refused.value) == ["customer_id"]
    assert row_counts() == before


@pytest.mark.parametrize("whose", ["other workspace", "other rep", "other customer"])
def test_a_deals_contact_must_be_visible_and_work_for_its_customer(
    world: World, other_world: World, whose: str
) -> None:
    # given the East rep's customer, and a contact that is in another workspace, belongs to
    # another rep's customer, or works for another of the rep's own customers
    rep = world.rep_east
    customer = make_customer(rep)
    owner = {
        "other workspace": other_world.admin,
        "other rep": world.rep_west,
        "other customer": rep,
    }[whose]
    contact = make_contact(owner, make_customer(owner))
    before = row_counts()

    # when the rep opens a deal for their customer with that contact
    with pytest.raises(ValidationFailed) as refused:
        create_deal(rep, {"name": "D", "customer_id": customer.pk, "contact_id": contact.pk})

    # then contact_id is named and nothing is written
    assert error_fields(refused.value) == ["contact_id"]
    assert row_counts() == before


def test_a_deal_in_another_workspaces_pipeline_is_refused(world: World, other_world: World) -> None:
    customer = make_customer(world.admin)
    with pytest.raises(ValidationFailed) as refused:
        create_deal(
            world.admin,
            {"name": "D", "customer_id": customer.pk, "pipeline_id": other_world.pipeline.pk},
        )
    assert error_fields(refused.value) == ["pipeline_id"]


def test_moving_a_deal_to_another_customer_with_its_old_contact_is_refused(
    world: World,
) -> None:
    # given a deal with a contact of its customer, and a second customer
    rep = world.rep_east
    first = make_customer(rep)
    deal = make_deal(rep, first, contact_id=make_contact(rep, first).pk)
    second = make_customer(rep)

    # when only the customer is changed
    with pytest.raises(ValidationFailed) as refused:
        update_deal(rep, deal.pk, deal.version, {"customer_id": second.pk})

    # then the contact no longer fits, and nothing changed
    assert error_fields(refused.value) == ["contact_id"]
    deal.refresh_from_db()
    assert (deal.customer_id, deal.version) == (first.pk, 1)


def test_moving_a_deal_to_another_customer_while_clearing_its_contact(world: World) -> None:
    # given a deal with a contact of its customer, and a second customer
    rep = world.rep_east
    first = make_customer(rep)
    deal = make_deal(rep, first, contact_id=make_contact(rep, first).pk)
    second = make_customer(rep)

    # when the customer is changed and the contact cleared in the same write
    update_deal(rep, deal.pk, deal.version, {"customer_id": second.pk, "contact_id": None})

    # then both are applied
    deal.refresh_from_db()
    assert (deal.customer_id, deal.contact_id, deal.version) == (second.pk, None, 2)


def test_moving_a_deal_to_another_customer_with_a_contact_of_that_customer(
    world: World,
) -> None:
    rep = world.rep_east
    first, second = make_customer(rep), make_customer(rep)
    deal = make_deal(rep, first, contact_id=make_contact(rep, first).pk)
    contact = make_contact(rep, second)
    update_deal(rep, deal.pk, deal.version, {"customer_id": second.pk, "contact_id": contact.pk})
    deal.refresh_from_db()
    assert (deal.customer_id, deal.contact_id) == (second.pk, contact.pk)


@pytest.mark.parametrize(
    ("link", "whose", "field"),
    [
        ("customer_id", "other workspace", "customer_id"),
        ("customer_id", "other rep", "customer_id"),
        ("contact_id", "other workspace", "contact_id"),
        ("contact_id", "other rep", "contact_id"),
        ("contact_id", "other customer", "contact_id"),
        ("deal_id", "other workspace", "deal_id"),
        ("deal_id", "other rep", "deal_id"),
        ("deal_id", "other customer", "deal_id"),
    ],
)
def test_an_activitys_links_must_be_visible_and_agree(
    world: World, other_world: World, link: str, whose: str, field: str
) -> None:
    # given the East rep's customer, and a customer with a contact and a deal that belongs to
    # another workspace, another rep, or the East rep themselves
    rep = world.rep_east
    customer = make_customer(rep)
    owner = {
        "other workspace": other_world.admin,
        "other rep": world.rep_west,
        "other customer": rep,
    }[whose]
    elsewhere = make_customer(owner)
    ids = {
        "customer_id": elsewhere.pk,
        "contact_id": make_contact(owner, elsewhere).pk,
        "deal_id": make_deal(owner, elsewhere).pk,
    }
    before = row_counts()

    # when the rep logs a call on their customer linked to that row
    with pytest.raises(ValidationFailed) as refused:
        create_activity(
            rep,
            {"kind": "call", "subject": "Call", "customer_id": customer.pk, link: ids[link]},
        )

    # then the link is named and nothing is written
    assert error_fields(refused.value) == [field]
    assert row_counts() == before


def test_an_activity_moved_to_another_customer_may_drop_its_contact_and_deal(
    world: World,
) -> None:
    # given an activity linked to a customer, its contact and its deal
    rep = world.rep_east
    first = make_customer(rep)
    contact = make_contact(rep, first)
    deal = make_deal(rep, first)
    activity = create_activity(
        rep,
        {
            "kind": "meeting",
            "subject": "Kick-off",
            "customer_id": first.pk,
            "contact_id": contact.pk,
            "deal_id": deal.pk,
        },
    )
    second = make_customer(rep)

    # when it is moved to another customer, clearing the contact and the deal
    activity = update_activity(
        rep,
        activity.pk,
        activity.version,
        {"customer_id": second.pk, "contact_id": None, "deal_id": None},
    )

    # then it is applied
    activity.refresh_from_db()
    assert (activity.customer_id, activity.contact_id, activity.deal_id) == (second.pk, None, None)
    assert activity.version == 2


def test_an_activity_moved_to_another_customer_keeping_its_links_is_refused(
    world: World,
) -> None:
    rep = world.rep_east
    first = make_customer(rep)
    activity = create_activity(
        rep,
        {
            "kind": "visit",
            "subject": "Site visit",
            "customer_id": first.pk,
            "contact_id": make_contact(rep, first).pk,
            "deal_id": make_deal(rep, first).pk,
        },
    )
    with pytest.raises(ValidationFailed) as refused:
        update_activity(rep, activity.pk, activity.version, {"customer_id": make_customer(rep).pk})
    assert error_fields(refused.value) == ["contact_id", "deal_id"]


@pytest.mark.parametrize("whose", ["other workspace", "other rep"])
def test_a_contact_needs_a_visible_customer(world: World, other_world: World, whose: str) -> None:
    # given a customer the East rep cannot see
    owner = {"other workspace": other_world.admin, "other rep": world.rep_west}[whose]
    hidden = make_customer(owner)
    mine = make_contact(world.rep_east, make_customer(world.rep_east))
    before = row_counts()

    # when the rep adds a contact to it, or moves their own contact there
    with pytest.raises(ValidationFailed) as created:
        create_contact(world.rep_east, {"customer_id": hidden.pk, "name": "Han Meimei"})
    with pytest.raises(ValidationFailed) as moved:
        update_contact(world.rep_east, mine.pk, mine.version, {"customer_id": hidden.pk})

    # then customer_id is named and nothing is written
    assert error_fields(created.value) == error_fields(moved.value) == ["customer_id"]
    assert row_counts() == before
