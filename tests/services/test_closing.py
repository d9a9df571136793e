"""Closing deals won or lost, and reopening them."""

from __future__ import annotations

import pytest

from salesflow.core.errors import ValidationFailed
from salesflow.customers.models import Customer, Lifecycle
from salesflow.pipeline.models import Deal, LostReason, StageChange
from salesflow.pipeline.services.deals import close_deal, move_deal, reopen_deal, update_deal
from tests.conftest import World, make_customer, make_deal
from tests.services.support import (
    AFTER_SALES,
    INITIAL_CONTACT,
    LOST,
    NEEDS_ANALYSIS,
    NEGOTIATION,
    PROPOSAL,
    PROSPECTING,
    SIGNED,
    audits,
    error_fields,
    history,
    row_counts,
    satisfy,
    stage,
    ticked,
)


def _in_needs_analysis(world: World) -> Deal:
    """A deal moved to Needs analysis with its fields filled and earlier stages ticked."""
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), [stage(world, PROSPECTING), stage(world, INITIAL_CONTACT)])
    deal = move_deal(rep, deal.pk, stage(world, NEEDS_ANALYSIS).pk, deal.version)
    deal.refresh_from_db()
    return deal


def test_closing_won_needs_the_criteria_of_the_current_and_every_remaining_stage(
    world: World,
) -> None:
    # given a deal in Needs analysis with all fields filled but nothing ticked from here on
    deal = _in_needs_analysis(world)
    needs, proposal, negotiation = (
        stage(world, n) for n in (NEEDS_ANALYSIS, PROPOSAL, NEGOTIATION)
    )
    before = row_counts()

    # when it is closed won
    with pytest.raises(ValidationFailed) as refused:
        close_deal(world.rep_east, deal.pk, outcome="won", version=deal.version)

    # then the unticked items of Needs analysis (2), Proposal (1) and Negotiation (2) are
    # listed, in stage order, and nothing was written
    assert error_fields(refused.value) == [
        f"checklist.{needs.pk}",
        f"checklist.{needs.pk}",
        f"checklist.{proposal.pk}",
        f"checklist.{negotiation.pk}",
        f"checklist.{negotiation.pk}",
    ]
    assert row_counts() == before
    deal.refresh_from_db()
    assert (deal.stage_id, deal.closed_at) == (needs.pk, None)


def test_closing_won_also_names_missing_fields(world: World) -> None:
    # given a deal in Needs analysis, everything ticked, but the amount cleared
    deal = _in_needs_analysis(world)
    deal = update_deal(
        world.rep_east,
        deal.pk,
        deal.version,
        {"checklist": ticked(world.open_stages()), "amount": None},
    )

    # when it is closed won
    with pytest.raises(ValidationFailed) as refused:
        close_deal(world.rep_east, deal.pk, outcome="won", version=deal.version)

    # then only the amount is missing (needed by three of the remaining stages, named once)
    assert error_fields(refused.value) == ["amount"]


def test_closing_won(world: World) -> None:
    # given a deal in Needs analysis whose remaining checklists are ticked, for a prospect
    deal = _in_needs_analysis(world)
    deal = update_deal(
        world.rep_east, deal.pk, deal.version, {"checklist": ticked(world.open_stages())}
    )
    customer = Customer.objects.get(pk=deal.customer_id)
    assert (customer.lifecycle, customer.version) == (Lifecycle.PROSPECT, 1)
    version = deal.version

    # when it is closed won
    close_deal(world.rep_east, deal.pk, outcome="won", version=version)

    # then it sits in the first won stage, closed, at probability 100, one version later,
    # the close is in the history, and the prospect became a customer (one more version)
    deal.refresh_from_db()
    assert deal.stage.name == SIGNED
    assert deal.closed_at is not None
    assert (deal.probability, deal.probability_overridden) == (100, False)
    assert deal.version == version + 1
    assert history(deal)[-1] == (NEEDS_ANALYSIS, SIGNED)
    assert audits(deal)[-1].action == "close"
    customer.refresh_from_db()
    assert (customer.lifecycle, customer.version) == (Lifecycle.CUSTOMER, 2)
    assert audits(customer)[-1].changes == {"lifecycle": ["prospect", "customer"]}


def test_winning_a_second_deal_leaves_an_existing_customer_alone(world: World) -> None:
    # given a customer who already won a deal
    rep = world.rep_east
    customer = make_customer(rep)
    first = satisfy(rep, make_deal(rep, customer), world.open_stages())
    close_deal(rep, first.pk, outcome="won", version=first.version)
    customer.refresh_from_db()
    version = customer.version

    # when a second deal for them is won
    second = satisfy(rep, make_deal(rep, customer), world.open_stages())
    close_deal(rep, second.pk, outcome="won", version=second.version)

    # then the customer row is not written again
    customer.refresh_from_db()
    assert (customer.lifecycle, customer.version) == (Lifecycle.CUSTOMER, version)


def test_closing_lost_with_a_listed_reason(world: World) -> None:
    # given an open deal with an overridden probability
    rep = world.rep_east
    deal = make_deal(rep, probability=45)

    # when it is closed lost for a listed reason, with a note
    close_deal(
        rep,
        deal.pk,
        outcome="lost",
        reason="Chose a competitor",
        note="Went with the cheaper offer",
        version=deal.version,
    )

    # then it is in the lost stage at probability 0 with the reason and note, and the
    # customer stays a prospect
    deal.refresh_from_db()
    assert deal.stage.name == LOST
    assert (deal.probability, deal.probability_overridden) == (0, False)
    assert deal.lost_reason is not None
    assert deal.lost_reason.name == "Chose a competitor"
    assert deal.lost_note == "Went with the cheaper offer"
    assert deal.closed_at is not None
    assert history(deal) == [(None, PROSPECTING), (PROSPECTING, LOST)]
    assert Customer.objects.get(pk=deal.customer_id).lifecycle == Lifecycle.PROSPECT


@pytest.mark.parametrize("reason", [None, "", "Bad weather", "价格太高"])
def test_closing_lost_needs_a_reason_of_the_workspace(world: World, reason: str | None) -> None:
    # given an open deal (the English workspace has no reason named "价格太高")
    deal = make_deal(world.rep_east)
    before = row_counts()

    # when it is closed lost with no reason or one not on the list
    with pytest.raises(ValidationFailed) as refused:
        close_deal(world.rep_east, deal.pk, outcome="lost", reason=reason, version=deal.version)

    # then `reason` is named and nothing is written
    assert error_fields(refused.value) == ["reason"]
    assert row_counts() == before


def test_another_workspaces_reason_is_not_accepted(world: World, other_world: World) -> None:
    # given a reason that only another workspace has
    LostReason.objects.create(workspace=other_world.admin.workspace, name="Merger")
    deal = make_deal(world.rep_east)

    # when a deal of our workspace is closed lost for it
    with pytest.raises(ValidationFailed) as refused:
        close_deal(world.rep_east, deal.pk, outcome="lost", reason="Merger", version=deal.version)

    # then it is refused
    assert error_fields(refused.value) == ["reason"]


def test_an_unknown_outcome_is_refused(world: World) -> None:
    deal = make_deal(world.rep_east)
    with pytest.raises(ValidationFailed) as refused:
        close_deal(world.rep_east, deal.pk, outcome="maybe", version=deal.version)
    assert error_fields(refused.value) == ["outcome"]


@pytest.mark.parametrize(("first", "second"), [("won", "won"), ("won", "lost"), ("lost", "won")])
def test_closing_a_closed_deal_is_refused(world: World, first: str, second: str) -> None:
    # given a deal already closed
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), world.open_stages())
    deal = close_deal(rep, deal.pk, outcome=first, reason="No budget", version=deal.version)
    changes = StageChange.objects.filter(deal=deal).count()

    # when it is closed again
    with pytest.raises(ValidationFailed) as refused:
        close_deal(rep, deal.pk, outcome=second, reason="No budget", version=deal.version)

    # then it is refused and nothing is recorded
    assert error_fields(refused.value) == ["outcome"]
    assert StageChange.objects.filter(deal=deal).count() == changes


def test_reopening_a_lost_deal_returns_to_the_stage_it_was_closed_from(world: World) -> None:
    # given a deal in Needs analysis closed lost
    rep = world.rep_east
    deal = _in_needs_analysis(world)
    deal = close_deal(
        rep, deal.pk, outcome="lost", reason="No budget", note="Q3", version=deal.version
    )

    # when it is reopened without naming a stage
    deal = reopen_deal(rep, deal.pk, version=deal.version)

    # then it is back in Needs analysis, open, without the reason or note, at that stage's
    # default probability (20)
    deal.refresh_from_db()
    assert deal.stage.name == NEEDS_ANALYSIS
    assert (deal.closed_at, deal.lost_reason_id, deal.lost_note) == (None, None, "")
    assert deal.probability == 20
    assert history(deal)[-2:] == [(NEEDS_ANALYSIS, LOST), (LOST, NEEDS_ANALYSIS)]
    assert audits(deal)[-1].action == "reopen"


def test_reopening_a_won_deal_after_after_sales_returns_to_where_it_was_won(
    world: World,
) -> None:
    # given a deal won from Needs analysis and moved on to After-sales service
    rep = world.rep_east
    deal = _in_needs_analysis(world)
    deal = update_deal(rep, deal.pk, deal.version, {"checklist": ticked(world.open_stages())})
    deal = close_deal(rep, deal.pk, outcome="won", version=deal.version)
    deal = move_deal(rep, deal.pk, stage(world, AFTER_SALES).pk, deal.version)

    # when it is reopened
    deal = reopen_deal(rep, deal.pk, version=deal.version)

    # then it is back in Needs analysis, not in Signed
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_at) == (NEEDS_ANALYSIS, None)


def test_reopening_into_a_named_open_stage(world: World) -> None:
    # given a deal in Needs analysis closed lost
    rep = world.rep_east
    deal = _in_needs_analysis(world)
    deal = close_deal(rep, deal.pk, outcome="lost", reason="No budget", version=deal.version)

    # when it is reopened into Initial contact
    deal = reopen_deal(
        rep, deal.pk, version=deal.version, stage_id=stage(world, INITIAL_CONTACT).pk
    )

    # then it is there
    deal.refresh_from_db()
    assert (deal.stage.name, deal.probability) == (INITIAL_CONTACT, 10)


@pytest.mark.parametrize("target", [SIGNED, LOST])
def test_reopening_into_a_closed_stage_is_refused(world: World, target: str) -> None:
    rep = world.rep_east
    deal = make_deal(rep)
    deal = close_deal(rep, deal.pk, outcome="lost", reason="No budget", version=deal.version)
    with pytest.raises(ValidationFailed) as refused:
        reopen_deal(rep, deal.pk, version=deal.version, stage_id=stage(world, target).pk)
    assert error_fields(refused.value) == ["stage_id"]


def test_reopening_an_open_deal_is_refused(world: World) -> None:
    deal = make_deal(world.rep_east)
    with pytest.raises(ValidationFailed) as refused:
        reopen_deal(world.rep_east, deal.pk, version=deal.version)
    assert error_fields(refused.value) == ["stage_id"]
