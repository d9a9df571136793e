"""Bad input names the field at fault and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.activities.services import create_activity, update_activity
from salesflow.core.errors import ValidationFailed
from salesflow.core.services import create_team
from salesflow.customers.services import create_contact, create_customer, update_customer
from salesflow.pipeline.models import Pipeline, Stage
from salesflow.pipeline.services.deals import close_deal, create_deal, update_deal
from salesflow.pipeline.services.pipelines import (
    create_pipeline,
    create_stage,
    install_template,
    update_pipeline,
    update_stage,
)
from tests.conftest import World, make_customer, make_deal
from tests.services.support import SIGNED, error_fields, row_counts, stage

BAD_DEAL_FIELDS = [
    pytest.param({"currency": "XYZ"}, ["currency"], id="unknown currency"),
    pytest.param({"currency": "cny"}, ["currency"], id="lower-case currency"),
    pytest.param({"amount": "-0.01"}, ["amount"], id="negative amount"),
    pytest.param({"amount": "12.345"}, ["amount"], id="three decimals"),
    pytest.param({"amount": "1" * 17}, ["amount"], id="amount over 16 integer digits"),
    pytest.param({"amount": "lots"}, ["amount"], id="amount not a number"),
    pytest.param({"probability": 101}, ["probability"], id="probability over 100"),
    pytest.param({"probability": -1}, ["probability"], id="negative probability"),
    pytest.param({"name": "x" * 201}, ["name"], id="name over 200"),
    pytest.param({"name": ""}, ["name"], id="empty name"),
    pytest.param({"next_step": "x" * 301}, ["next_step"], id="next step over 300"),
    pytest.param({"expected_close_date": "someday"}, ["expected_close_date"], id="bad date"),
    pytest.param({"checklist": "everything"}, ["checklist"], id="checklist not a mapping"),
    pytest.param({"checklist": {"0": ["x"]}}, ["checklist.0"], id="checklist of no stage"),
    pytest.param({"colour": "red", "size": 3}, ["colour", "size"], id="unknown fields"),
    pytest.param(
        {"amount": "-5", "currency": "XYZ", "probability": 200},
        ["amount", "currency", "probability"],
        id="several at once",
    ),
]


@pytest.mark.parametrize(("data", "fields"), BAD_DEAL_FIELDS)
def test_creating_a_deal_with_bad_input(
    world: World, data: dict[str, Any], fields: list[str]
) -> None:
    # given a customer and the row counts
    customer = make_customer(world.rep_east)
    before = row_counts()

    # when a deal is created with one bad value (or several)
    with pytest.raises(ValidationFailed) as refused:
        create_deal(world.rep_east, {"name": "Deal", "customer_id": customer.pk, **data})

    # then each bad field is named and no deal, StageChange or AuditRecord is written
    assert sorted(error_fields(refused.value)) == fields
    assert row_counts() == before


@pytest.mark.parametrize(("data", "fields"), BAD_DEAL_FIELDS)
def test_updating_a_deal_with_bad_input(
    world: World, data: dict[str, Any], fields: list[str]
) -> None:
    # given a deal at version 1
    deal = make_deal(world.rep_east, amount="100.00")
    before = row_counts()

    # when it is updated with a bad value next to a good one
    with pytest.raises(ValidationFailed) as refused:
        update_deal(world.rep_east, deal.pk, deal.version, {"next_step": "Call", **data})

    # then the bad field is named and the deal is untouched
    assert sorted(error_fields(refused.value)) == fields
    assert row_counts() == before
    deal.refresh_from_db()
    assert (deal.version, deal.next_step, deal.amount) == (1, "", 100)


def test_a_checklist_may_tick_only_its_stages_items(world: World) -> None:
    # given a deal and the first stage
    deal = make_deal(world.rep_east)
    first = world.stages[0]

    # when an item that stage does not have is ticked
    with pytest.raises(ValidationFailed) as refused:
        update_deal(
            world.rep_east, deal.pk, deal.version, {"checklist": {str(first.pk): ["Pizza"]}}
        )

    # then that stage's checklist is named
    assert error_fields(refused.value) == [f"checklist.{first.pk}"]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        pytest.param({"stage_id": "first"}, ["stage_id"], id="stage id not a number"),
        pytest.param({"customer_id": None}, ["customer_id"], id="no customer"),
        pytest.param({"customer_id": "abc"}, ["customer_id"], id="customer id not a number"),
        pytest.param({"pipeline_id": 10**9}, ["pipeline_id"], id="no such pipeline"),
    ],
)
def test_creating_a_deal_with_bad_references(
    world: World, data: dict[str, Any], fields: list[str]
) -> None:
    customer = make_customer(world.rep_east)
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        create_deal(world.rep_east, {"name": "Deal", "customer_id": customer.pk, **data})
    assert error_fields(refused.value) == fields
    assert row_counts() == before


def test_a_deal_cannot_start_in_a_won_stage(world: World) -> None:
    customer = make_customer(world.rep_east)
    with pytest.raises(ValidationFailed) as refused:
        create_deal(
            world.rep_east,
            {"name": "Deal", "customer_id": customer.pk, "stage_id": stage(world, SIGNED).pk},
        )
    assert error_fields(refused.value) == ["stage_id"]


def test_an_oversized_lost_note_writes_nothing(world: World) -> None:
    # given an open deal
    deal = make_deal(world.rep_east)
    before = row_counts()

    # when it is closed lost with a note of 2001 characters (the limit is 2000)
    with pytest.raises(ValidationFailed) as refused:
        close_deal(
            world.rep_east,
            deal.pk,
            outcome="lost",
            reason="No budget",
            note="x" * 2001,
            version=deal.version,
        )

    # then the note is named and neither the deal nor its history changed
    assert error_fields(refused.value) == ["lost_note"]
    assert row_counts() == before
    deal.refresh_from_db()
    assert (deal.version, deal.closed_at) == (1, None)


BAD_CUSTOMER_FIELDS = [
    pytest.param({"name": "x" * 201}, ["name"], id="name over 200"),
    pytest.param({"email": "not-an-email"}, ["email"], id="bad email"),
    pytest.param({"website": "not a url"}, ["website"], id="bad website"),
    pytest.param({"kind": "robot"}, ["kind"], id="unknown kind"),
    pytest.param({"size": "huge"}, ["size"], id="unknown size"),
    pytest.param({"lifecycle": "vip"}, ["lifecycle"], id="unknown lifecycle"),
    pytest.param({"notes": "x" * 10001}, ["notes"], id="notes over 10000"),
    pytest.param({"vip": True}, ["vip"], id="unknown field"),
]


@pytest.mark.parametrize(("data", "fields"), BAD_CUSTOMER_FIELDS)
def test_customers_with_bad_input(world: World, data: dict[str, Any], fields: list[str]) -> None:
    # given an existing customer at version 1
    customer = make_customer(world.rep_east)
    before = row_counts()

    # when a customer is created, or this one updated, with a bad value
    with pytest.raises(ValidationFailed) as created:
        create_customer(world.rep_east, {"name": "Customer", **data})
    with pytest.raises(ValidationFailed) as updated:
        update_customer(world.rep_east, customer.pk, customer.version, data)

    # then the field is named both times and nothing is written
    assert error_fields(created.value) == error_fields(updated.value) == fields
    assert row_counts() == before
    customer.refresh_from_db()
    assert customer.version == 1


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        pytest.param({"name": "x" * 121}, ["name"], id="name over 120"),
        pytest.param({"emails": ["li@example.com", "nope"]}, ["emails.1"], id="bad email"),
        pytest.param({"phones": "13800000000"}, ["phones"], id="phones not a list"),
        pytest.param({"decision_role": "king"}, ["decision_role"], id="unknown role"),
        pytest.param({"notes": "x" * 10001}, ["notes"], id="notes over 10000"),
        pytest.param({"wechat": "li"}, ["wechat"], id="unknown field"),
    ],
)
def test_contacts_with_bad_input(world: World, data: dict[str, Any], fields: list[str]) -> None:
    customer = make_customer(world.rep_east)
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        create_contact(world.rep_east, {"customer_id": customer.pk, "name": "Li Lei", **data})
    assert error_fields(refused.value) == fields
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        pytest.param({"kind": "fax"}, ["kind"], id="unknown kind"),
        pytest.param({"subject": "x" * 201}, ["subject"], id="subject over 200"),
        pytest.param({"subject": ""}, ["subject"], id="empty subject"),
        pytest.param({"body": "x" * 20001}, ["body"], id="body over 20000"),
        pytest.param({"due_at": "tomorrow"}, ["due_at"], id="bad due time"),
        pytest.param({"priority": "high"}, ["priority"], id="unknown field"),
    ],
)
def test_activities_with_bad_input(world: World, data: dict[str, Any], fields: list[str]) -> None:
    # given a customer with one activity
    customer = make_customer(world.rep_east)
    activity = create_activity(
        world.rep_east, {"kind": "call", "subject": "Intro", "customer_id": customer.pk}
    )
    before = row_counts()

    # when an activity is created, or this one updated, with a bad value
    with pytest.raises(ValidationFailed) as created:
        create_activity(
            world.rep_east,
            {"kind": "call", "subject": "Call", "customer_id": customer.pk, **data},
        )
    with pytest.raises(ValidationFailed) as updated:
        update_activity(world.rep_east, activity.pk, activity.version, data)

    # then the field is named both times and nothing is written
    assert error_fields(created.value) == error_fields(updated.value) == fields
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        pytest.param({"probability": 101}, ["probability"], id="probability over 100"),
        pytest.param({"kind": "maybe"}, ["kind"], id="unknown kind"),
        pytest.param({"exit_fields": ["budget"]}, ["exit_fields"], id="unknown exit field"),
        pytest.param({"exit_checklist": ["a", "a"]}, ["exit_checklist"], id="duplicate item"),
        pytest.param({"exit_checklist": [""]}, ["exit_checklist"], id="empty item"),
        pytest.param({"name": "x" * 121}, ["name"], id="name over 120"),
        pytest.param({"goal": "x" * 2001}, ["goal"], id="goal over 2000"),
        pytest.param(
            {"playbook_activities": "x" * 4001}, ["playbook_activities"], id="activities over 4000"
        ),
        pytest.param({"colour": "red"}, ["colour"], id="unknown field"),
    ],
)
def test_stages_with_bad_input(world: World, data: dict[str, Any], fields: list[str]) -> None:
    # given the admin and the first stage
    first = world.stages[0]
    stages = Stage.objects.count()

    # when a stage is created, or the first one updated, with a bad value
    with pytest.raises(ValidationFailed) as created:
        create_stage(world.admin, world.pipeline.pk, {"name": "Pilot", **data})
    with pytest.raises(ValidationFailed) as updated:
        update_stage(world.admin, first.pk, first.version, data)

    # then the field is named both times and nothing is written
    assert error_fields(created.value) == error_fields(updated.value) == fields
    assert Stage.objects.count() == stages
    first.refresh_from_db()
    assert first.version == 1


def test_a_duplicate_name_within_the_workspace_names_the_name(
    world: World, other_world: World
) -> None:
    # given a workspace whose pipeline is "B2B seven-stage sales process" and with a team
    # "East", and a second pipeline "Renewals"
    renewals = create_pipeline(world.admin, {"name": "Renewals"})
    pipelines = Pipeline.objects.count()

    # when the admin creates or renames a pipeline to a name in use, installs the same
    # template again, or adds a second team "East"
    attempts = [
        lambda: create_pipeline(world.admin, {"name": "Renewals"}),
        lambda: update_pipeline(
            world.admin, renewals.pk, renewals.version, {"name": "B2B seven-stage sales process"}
        ),
        lambda: install_template(world.admin, "b2b7", language="en"),
        lambda: create_team(world.admin, world.admin.workspace, "East", None),
    ]

    # then `name` is named each time and nothing is written
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert error_fields(refused.value) == ["name"]
    assert Pipeline.objects.count() == pipelines

    # while the same names are free in another workspace
    assert create_pipeline(other_world.admin, {"name": "Renewals"}).name == "Renewals"
