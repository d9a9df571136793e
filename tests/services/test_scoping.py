"""Who sees which rows, and who may change, delete or assign them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import Model

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity, update_activity
from salesflow.core.errors import Forbidden, NotFound, ValidationFailed
from salesflow.core.models import Membership, Team
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import delete_customer, update_customer
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange
from salesflow.pipeline.services.deals import delete_deal, update_deal
from salesflow.pipeline.services.pipelines import (
    create_pipeline,
    create_stage,
    delete_pipeline,
    delete_stage,
    install_template,
    update_pipeline,
    update_stage,
)
from tests.conftest import World, make_contact, make_customer, make_deal
from tests.services.support import error_fields, row_counts

MEMBERS = ("admin", "boss", "east_manager", "rep_east", "rep_shanghai", "rep_west")

# Whose records each member sees, by the tree in tests/conftest.py:
#   Sales (boss) ── East (east_manager, rep_east) ── Shanghai (rep_shanghai)
#                └─ West (rep_west)
# The admin is in no team; the boss manages Sales and so every team under it.
SEES = {
    "admin": set(MEMBERS),
    "boss": {"boss", "east_manager", "rep_east", "rep_shanghai", "rep_west"},
    "east_manager": {"east_manager", "rep_east", "rep_shanghai"},
    "rep_east": {"rep_east"},
    "rep_shanghai": {"rep_shanghai"},
    "rep_west": {"rep_west"},
}


@dataclass
class Owned:
    """One customer, contact, deal and activity per member, keyed by member name."""

    rows: dict[type[Model], dict[str, int]]


def _populate(world: World) -> Owned:
    rows: dict[type[Model], dict[str, int]] = {
        Customer: {},
        Contact: {},
        Deal: {},
        StageChange: {},
        Activity: {},
    }
    for name in MEMBERS:
        actor: Actor = getattr(world, name)
        customer = make_customer(actor)
        contact = make_contact(actor, customer)
        deal = make_deal(actor, customer, contact_id=contact.pk)
        activity = create_activity(
            actor, {"kind": "call", "subject": "Intro call", "customer_id": customer.pk}
        )
        rows[Customer][name] = customer.pk
        rows[Contact][name] = contact.pk
        rows[Deal][name] = deal.pk
        rows[StageChange][name] = StageChange.objects.get(deal=deal).pk
        rows[Activity][name] = activity.pk
    return Owned(rows)


@pytest.fixture
def owned(world: World, other_world: World) -> Owned:
    _populate(other_world)
    return _populate(world)


@pytest.mark.parametrize("model", [Customer, Contact, Deal, StageChange, Activity])
@pytest.mark.parametrize("member", MEMBERS)
def test_each_member_sees_exactly_their_scope(
    world: World, owned: Owned, model: type[Model], member: str
) -> None:
    # given one row of each kind per member in two workspaces (see SEES for the tree)
    actor: Actor = getattr(world, member)

    # when the member lists the rows they may see
    seen = set(visible(model, actor).values_list("pk", flat=True))

    # then it is the rows of the members in their scope, and none of the other workspace
    assert seen == {owned.rows[model][owner] for owner in SEES[member]}


@pytest.mark.parametrize("model", [Customer, Contact, Deal, StageChange, Activity])
def test_a_rows_outside_scope_look_missing(world: World, owned: Owned, model: type[Model]) -> None:
    # given the East manager and a row owned by the West rep (a sibling team)
    west_row = owned.rows[model]["rep_west"]

    # when the manager fetches it by id
    # then it does not exist for them
    with pytest.raises(NotFound):
        get_visible(model, world.east_manager, west_row)
    assert get_visible(model, world.boss, west_row).pk == west_row


@pytest.mark.parametrize("model", [Customer, Contact, Deal, StageChange, Activity])
def test_nobody_sees_another_workspaces_rows_by_id(
    world: World, other_world: World, model: type[Model]
) -> None:
    # given rows in the other workspace
    foreign = _populate(other_world).rows[model]["rep_east"]

    # when our admin asks for one by id
    # then it does not exist for them (the same answer as for a missing id)
    with pytest.raises(NotFound):
        get_visible(model, world.admin, foreign)
    with pytest.raises(NotFound):
        get_visible(model, world.admin, 10**12)
    with pytest.raises(NotFound):
        get_visible(model, world.admin, "not-an-id")


@pytest.mark.parametrize("model", [Pipeline, Stage, LostReason, Team, Membership])
@pytest.mark.parametrize("member", MEMBERS)
def test_workspace_definitions_are_visible_to_every_member(
    world: World, other_world: World, model: type[Model], member: str
) -> None:
    # given two workspaces, each with the b2b7 template: 1 pipeline, 8 stages, 6 lost
    # reasons, 4 teams and 6 members
    expected = {Pipeline: 1, Stage: 8, LostReason: 6, Team: 4, Membership: 6}[model]

    # when any member of the first lists them
    actor: Actor = getattr(world, member)
    rows = visible(model, actor)

    # then they see all of their workspace's and none of the other's
    assert rows.count() == expected
    assert set(rows.values_list("workspace_id", flat=True)) == {world.admin.workspace_id}


@pytest.mark.parametrize("member", ["boss", "east_manager", "rep_east"])
def test_only_admins_change_pipelines_stages_and_lost_reasons(world: World, member: str) -> None:
    # given a manager or a rep, and the workspace's pipeline and its first stage
    actor: Actor = getattr(world, member)
    pipeline = world.pipeline
    first = world.stages[0]
    before = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.count())

    # when they try each change
    attempts = [
        lambda: create_pipeline(actor, {"name": "Renewals"}),
        lambda: update_pipeline(actor, pipeline.pk, pipeline.version, {"name": "Mine"}),
        lambda: delete_pipeline(actor, pipeline.pk, pipeline.version),
        lambda: create_stage(actor, pipeline.pk, {"name": "Pilot"}),
        lambda: update_stage(actor, first.pk, first.version, {"probability": 50}),
        lambda: delete_stage(actor, first.pk, first.version),
        lambda: install_template(actor, "funnel4", language="en"),
    ]

    # then every one is forbidden and nothing changed
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    after = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.count())
    assert after == before
    first.refresh_from_db()
    assert (first.probability, first.version) == (5, 1)


def test_an_admin_changes_a_stage(world: World) -> None:
    # given the admin and the first stage
    first = world.stages[0]

    # when the admin changes its default probability
    changed = update_stage(world.admin, first.pk, first.version, {"probability": 8})

    # then it is written at the next version
    assert (changed.probability, changed.version) == (8, 2)


@pytest.mark.parametrize("member", ["rep_east", "rep_shanghai"])
def test_reps_may_not_delete_customers_or_deals(world: World, member: str) -> None:
    # given a rep's own customer and deal
    rep: Actor = getattr(world, member)
    deal = make_deal(rep)
    before = row_counts()

    # when the rep deletes them
    # then both are forbidden and nothing is gone
    with pytest.raises(Forbidden):
        delete_deal(rep, deal.pk, deal.version)
    with pytest.raises(Forbidden):
        delete_customer(rep, deal.customer_id, None)
    assert row_counts() == before


def test_a_manager_deletes_a_deal_in_scope_but_not_outside_it(world: World) -> None:
    # given deals of an East rep and of a West rep
    east = make_deal(world.rep_east)
    west = make_deal(world.rep_west)

    # when the East manager deletes both
    delete_deal(world.east_manager, east.pk, east.version)
    with pytest.raises(NotFound):
        delete_deal(world.east_manager, west.pk, west.version)

    # then only the East deal went to the trash
    assert Deal.objects.get(pk=east.pk).trashed_at is not None
    assert Deal.objects.get(pk=west.pk).trashed_at is None


@pytest.mark.parametrize("member", ["rep_east", "rep_west"])
def test_reps_may_not_assign_records_to_others(world: World, member: str) -> None:
    # given a rep with a customer, a deal and an activity of their own
    rep: Actor = getattr(world, member)
    deal = make_deal(rep)
    activity = create_activity(
        rep, {"kind": "note", "subject": "Met at fair", "customer_id": deal.customer_id}
    )
    colleague = world.rep_shanghai.user_id
    before = row_counts()

    # when they create or reassign records for a colleague
    attempts = [
        lambda: make_customer(rep, owner_id=colleague),
        lambda: make_deal(rep, deal.customer, owner_id=colleague),
        lambda: create_activity(
            rep,
            {
                "kind": "task",
                "subject": "Call back",
                "customer_id": deal.customer_id,
                "owner_id": colleague,
            },
        ),
        lambda: update_customer(rep, deal.customer_id, None, {"owner_id": colleague}),
        lambda: update_deal(rep, deal.pk, deal.version, {"owner_id": colleague}),
        lambda: update_activity(rep, activity.pk, activity.version, {"owner_id": colleague}),
    ]

    # then each is forbidden and nothing is written
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert row_counts() == before


def test_managers_assign_within_their_scope_only(world: World) -> None:
    # given an East rep's customer and deal
    deal = make_deal(world.rep_east)

    # when the East manager reassigns them to the Shanghai rep (a sub-team)
    customer = update_customer(
        world.east_manager, deal.customer_id, None, {"owner_id": world.rep_shanghai.user_id}
    )
    deal = update_deal(
        world.east_manager, deal.pk, deal.version, {"owner_id": world.rep_shanghai.user_id}
    )

    # then both now belong to the Shanghai rep
    assert customer.owner_id == deal.owner_id == world.rep_shanghai.user_id

    # when the manager tries the West rep (a sibling team) or the boss (above them)
    # then it is forbidden
    for outsider in (world.rep_west, world.boss):
        with pytest.raises(Forbidden):
            update_deal(world.east_manager, deal.pk, deal.version, {"owner_id": outsider.user_id})
    deal.refresh_from_db()
    assert deal.owner_id == world.rep_shanghai.user_id


def test_the_boss_assigns_across_sub_teams_and_the_admin_anywhere(world: World) -> None:
    # given an East rep's deal
    deal = make_deal(world.rep_east)

    # when the boss gives it to the West rep, and the admin to the boss
    deal = update_deal(world.boss, deal.pk, deal.version, {"owner_id": world.rep_west.user_id})
    deal = update_deal(world.admin, deal.pk, deal.version, {"owner_id": world.boss.user_id})

    # then both are applied
    deal.refresh_from_db()
    assert (deal.owner_id, deal.version) == (world.boss.user_id, 3)


def _owner_id(kind: str, world: World, other_world: World) -> object:
    """An owner id that names no active member of `world`'s workspace."""
    if kind == "inactive member":
        Membership.objects.filter(pk=world.rep_west.membership.pk).update(is_active=False)
        return world.rep_west.user_id
    return {
        "member of another workspace": other_world.rep_east.user_id,
        "no such user": 10**9,
        "none": None,
        "not an id": "rep_west",
    }[kind]


@pytest.mark.parametrize(
    "kind",
    ["inactive member", "member of another workspace", "no such user", "none", "not an id"],
)
def test_the_owner_must_be_an_active_member_of_the_workspace(
    world: World, other_world: World, kind: str
) -> None:
    # given an owner who is not an active member of this workspace
    owner_id = _owner_id(kind, world, other_world)
    customer = make_customer(world.admin)
    deal = make_deal(world.admin, customer)
    before = row_counts()

    # when the admin gives them a customer, a deal or an activity
    attempts = [
        lambda: make_customer(world.admin, owner_id=owner_id),
        lambda: make_deal(world.admin, customer, owner_id=owner_id),
        lambda: create_activity(
            world.admin,
            {"kind": "call", "subject": "x", "customer_id": customer.pk, "owner_id": owner_id},
        ),
        lambda: update_deal(world.admin, deal.pk, deal.version, {"owner_id": owner_id}),
        lambda: update_customer(world.admin, customer.pk, None, {"owner_id": owner_id}),
    ]

    # then owner_id is named each time and nothing is written
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert error_fields(refused.value) == ["owner_id"]
    assert row_counts() == before


def test_a_rep_cannot_change_what_they_cannot_see(world: World) -> None:
    # given a deal of the West rep
    deal = make_deal(world.rep_west)

    # when the East rep tries to change it
    # then it does not exist for them
    with pytest.raises(NotFound):
        update_deal(world.rep_east, deal.pk, deal.version, {"name": "Mine now"})
    deal.refresh_from_db()
    assert deal.version == 1
