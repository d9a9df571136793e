"""Moving deals between stages: exit criteria, direction, stage kinds and probability."""

from __future__ import annotations

import pytest

from salesflow.core.errors import ValidationFailed
from salesflow.pipeline.models import Deal, StageChange
from salesflow.pipeline.services.deals import close_deal, move_deal, update_deal
from tests.conftest import World, make_contact, make_deal
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
    error_pairs,
    history,
    satisfy,
    stage,
    ticked,
)


def test_forward_move_lists_every_missing_field_and_item_of_the_current_stage(
    world: World,
) -> None:
    # given a new deal in Prospecting (exit: a contact, "Customer profile collected")
    deal = make_deal(world.rep_east)
    prospecting = stage(world, PROSPECTING)

    # when the rep moves it one stage forward without meeting either
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, stage(world, INITIAL_CONTACT).pk, deal.version)

    # then both blockers are named, and nothing moved
    assert error_pairs(refused.value) == [
        ("contact_id", "Required to leave the stage “Prospecting”."),
        (
            f"checklist.{prospecting.pk}",
            "“Customer profile collected” must be ticked to leave the stage “Prospecting”.",
        ),
    ]
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (prospecting.pk, 1)
    assert history(deal) == [(None, PROSPECTING)]


def test_skipping_stages_checks_every_stage_left(world: World) -> None:
    # given a new deal in Prospecting with nothing filled in
    deal = make_deal(world.rep_east)
    prospecting, initial, needs = (
        stage(world, PROSPECTING),
        stage(world, INITIAL_CONTACT),
        stage(world, NEEDS_ANALYSIS),
    )

    # when it jumps straight to Proposal / quote, leaving Prospecting, Initial contact and
    # Needs analysis behind
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, stage(world, PROPOSAL).pk, deal.version)

    # then the blockers of all three stages are listed in stage order; Proposal's own
    # criteria do not apply yet because the deal is only entering it
    assert error_fields(refused.value) == [
        "contact_id",
        f"checklist.{prospecting.pk}",
        "next_step",
        f"checklist.{initial.pk}",
        "amount",
        "expected_close_date",
        f"checklist.{needs.pk}",
        f"checklist.{needs.pk}",
    ]
    messages = [str(e.message) for e in refused.value.errors]
    assert messages[6] == ("“Budget confirmed” must be ticked to leave the stage “Needs analysis”.")
    assert messages[7] == (
        "“Decision maker identified” must be ticked to leave the stage “Needs analysis”."
    )
    deal.refresh_from_db()
    assert deal.stage_id == prospecting.pk


def test_a_field_required_by_several_stages_is_reported_once(world: World) -> None:
    # given a deal with a contact and an amount but no close date, nothing ticked
    rep = world.rep_east
    deal = make_deal(rep, amount="5000")
    deal = update_deal(
        rep, deal.pk, deal.version, {"contact_id": make_contact(rep, deal.customer).pk}
    )
    prospecting, initial, needs, proposal = (
        stage(world, name) for name in (PROSPECTING, INITIAL_CONTACT, NEEDS_ANALYSIS, PROPOSAL)
    )

    # when it jumps to Negotiation (leaving the four stages before it)
    with pytest.raises(ValidationFailed) as refused:
        move_deal(rep, deal.pk, stage(world, NEGOTIATION).pk, deal.version)

    # then expected_close_date (needed by Needs analysis and Proposal) appears once, and the
    # fields already filled (contact, amount) are not listed
    assert error_fields(refused.value) == [
        f"checklist.{prospecting.pk}",
        "next_step",
        f"checklist.{initial.pk}",
        "expected_close_date",
        f"checklist.{needs.pk}",
        f"checklist.{needs.pk}",
        f"checklist.{proposal.pk}",
    ]


def test_after_meeting_the_criteria_the_skipping_move_succeeds(world: World) -> None:
    # given a deal whose exit fields are filled and whose first three stages are ticked off
    rep = world.rep_east
    left = [stage(world, n) for n in (PROSPECTING, INITIAL_CONTACT, NEEDS_ANALYSIS)]
    deal = satisfy(rep, make_deal(rep), left)
    assert deal.version == 2  # created at 1, filled in by one update

    # when it jumps from Prospecting to Proposal / quote
    proposal = stage(world, PROPOSAL)
    moved = move_deal(rep, deal.pk, proposal.pk, deal.version)

    # then it is there at version 3 with Proposal's default probability (40), one
    # StageChange records the jump, and the audit trail shows what changed
    moved.refresh_from_db()
    assert (moved.stage_id, moved.version, moved.probability) == (proposal.pk, 3, 40)
    assert history(moved) == [(None, PROSPECTING), (PROSPECTING, PROPOSAL)]
    move = audits(moved)[-1]
    assert move.action == "move"
    assert move.actor_id == rep.user_id
    assert move.changes["stage_id"] == [left[0].pk, proposal.pk]
    assert move.changes["probability"] == [5, 40]
    assert set(move.changes) == {"stage_id", "stage_entered_at", "probability"}


def test_backward_moves_need_no_criteria_and_are_recorded(world: World) -> None:
    # given a deal that reached Proposal / quote and then lost its contact and amount
    rep = world.rep_east
    left = [stage(world, n) for n in (PROSPECTING, INITIAL_CONTACT, NEEDS_ANALYSIS)]
    deal = satisfy(rep, make_deal(rep), left)
    deal = move_deal(rep, deal.pk, stage(world, PROPOSAL).pk, deal.version)
    deal = update_deal(rep, deal.pk, deal.version, {"contact_id": None, "amount": None})

    # when it goes back to Initial contact
    initial = stage(world, INITIAL_CONTACT)
    deal = move_deal(rep, deal.pk, initial.pk, deal.version)

    # then the move is allowed despite the empty fields, and recorded
    deal.refresh_from_db()
    assert (deal.stage_id, deal.probability) == (initial.pk, 10)
    assert history(deal) == [
        (None, PROSPECTING),
        (PROSPECTING, PROPOSAL),
        (PROPOSAL, INITIAL_CONTACT),
    ]


def test_moving_forward_again_after_going_back_checks_only_the_stages_left(
    world: World,
) -> None:
    # given a deal moved back from Proposal to Initial contact, with everything filled in but
    # the Initial contact checklist untouched
    rep = world.rep_east
    prospecting, initial, needs = (
        stage(world, n) for n in (PROSPECTING, INITIAL_CONTACT, NEEDS_ANALYSIS)
    )
    deal = satisfy(rep, make_deal(rep), [prospecting, initial, needs])
    deal = move_deal(rep, deal.pk, stage(world, PROPOSAL).pk, deal.version)
    deal = move_deal(rep, deal.pk, initial.pk, deal.version)
    deal = update_deal(rep, deal.pk, deal.version, {"checklist": ticked([prospecting, needs])})

    # when it moves forward to Needs analysis
    with pytest.raises(ValidationFailed) as refused:
        move_deal(rep, deal.pk, needs.pk, deal.version)

    # then only Initial contact's own item blocks it (Prospecting is behind it)
    assert error_fields(refused.value) == [f"checklist.{initial.pk}"]


def test_moving_to_the_stage_it_is_in_is_refused(world: World) -> None:
    # given a deal in Prospecting
    deal = make_deal(world.rep_east)

    # when it is "moved" to Prospecting
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, deal.stage_id, deal.version)

    # then the stage is named and nothing is recorded
    assert error_fields(refused.value) == ["stage_id"]
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_a_stage_of_another_pipeline_is_refused(world: World, other_world: World) -> None:
    # given a deal and a stage of another workspace's pipeline
    deal = make_deal(world.rep_east)
    foreign = other_world.open_stages()[1]

    # when the deal is moved there
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, foreign.pk, deal.version)

    # then the stage is refused
    assert error_fields(refused.value) == ["stage_id"]


@pytest.mark.parametrize("target", [SIGNED, AFTER_SALES, LOST])
def test_an_open_deal_cannot_be_moved_into_a_closed_stage(world: World, target: str) -> None:
    # given an open deal that meets every criterion
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), world.open_stages())

    # when it is moved straight into a won or lost stage
    with pytest.raises(ValidationFailed) as refused:
        move_deal(rep, deal.pk, stage(world, target).pk, deal.version)

    # then it must be closed instead, and stays where it was
    assert error_fields(refused.value) == ["stage_id"]
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_at) == (PROSPECTING, None)


def _won(world: World) -> Deal:
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), world.open_stages())
    return close_deal(rep, deal.pk, outcome="won", version=deal.version)


def _lost(world: World) -> Deal:
    rep = world.rep_east
    deal = make_deal(rep)
    return close_deal(rep, deal.pk, outcome="lost", reason="Price too high", version=deal.version)


@pytest.mark.parametrize(("close", "target"), [(_won, PROSPECTING), (_lost, NEGOTIATION)])
def test_a_closed_deal_cannot_be_moved_to_an_open_stage(
    world: World, close: object, target: str
) -> None:
    # given a deal closed won or lost
    deal = close(world)  # type: ignore[operator]
    closed_stage = deal.stage_id

    # when it is moved to an open stage
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, stage(world, target).pk, deal.version)

    # then it must be reopened instead
    assert error_fields(refused.value) == ["stage_id"]
    deal.refresh_from_db()
    assert deal.stage_id == closed_stage


def test_a_won_deal_moves_between_won_stages(world: World) -> None:
    # given a deal closed won, so in Signed
    deal = _won(world)
    assert deal.stage.name == SIGNED

    # when it moves on to After-sales service and back
    deal = move_deal(world.rep_east, deal.pk, stage(world, AFTER_SALES).pk, deal.version)
    deal = move_deal(world.rep_east, deal.pk, stage(world, SIGNED).pk, deal.version)

    # then both moves are recorded and it is still won (closed, probability 100)
    deal.refresh_from_db()
    assert history(deal)[-2:] == [(SIGNED, AFTER_SALES), (AFTER_SALES, SIGNED)]
    assert deal.closed_at is not None
    assert deal.probability == 100


def test_a_lost_deal_cannot_move_to_a_won_stage(world: World) -> None:
    # given a lost deal
    deal = _lost(world)

    # when it is moved to Signed
    with pytest.raises(ValidationFailed) as refused:
        move_deal(world.rep_east, deal.pk, stage(world, SIGNED).pk, deal.version)

    # then it is refused
    assert error_fields(refused.value) == ["stage_id"]


def test_probability_follows_the_stage_default(world: World) -> None:
    # given a new deal (Prospecting, default 5) that meets every criterion
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), world.open_stages())
    assert deal.probability == 5

    # when it moves to Needs analysis (20) and then Negotiation (60)
    deal = move_deal(rep, deal.pk, stage(world, NEEDS_ANALYSIS).pk, deal.version)
    after_first = deal.probability
    deal = move_deal(rep, deal.pk, stage(world, NEGOTIATION).pk, deal.version)

    # then each time it takes the new stage's default
    deal.refresh_from_db()
    assert (after_first, deal.probability, deal.probability_overridden) == (20, 60, False)


def test_an_overridden_probability_survives_moves_until_reset(world: World) -> None:
    # given a deal whose rep set the probability to 35 by hand
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), world.open_stages())
    deal = update_deal(rep, deal.pk, deal.version, {"probability": 35})
    assert (deal.probability, deal.probability_overridden) == (35, True)

    # when it moves forward to Negotiation (default 60) and back to Initial contact (10)
    deal = move_deal(rep, deal.pk, stage(world, NEGOTIATION).pk, deal.version)
    forward = deal.probability
    deal = move_deal(rep, deal.pk, stage(world, INITIAL_CONTACT).pk, deal.version)
    backward = deal.probability

    # then the override holds both times, and the StageChanges carry it
    assert (forward, backward) == (35, 35)
    assert list(
        StageChange.objects.filter(deal=deal).order_by("id").values_list("probability", flat=True)
    ) == [5, 35, 35]

    # when the rep clears the probability
    deal = update_deal(rep, deal.pk, deal.version, {"probability": None})

    # then it is the current stage's default again (Initial contact: 10), and follows the
    # next move (Needs analysis: 20)
    assert (deal.probability, deal.probability_overridden) == (10, False)
    deal = move_deal(rep, deal.pk, stage(world, NEEDS_ANALYSIS).pk, deal.version)
    deal.refresh_from_db()
    assert deal.probability == 20


def test_a_probability_given_at_creation_is_an_override(world: World) -> None:
    # given a deal created with probability 50
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep, probability=50), world.open_stages())

    # when it moves to Initial contact (default 10)
    deal = move_deal(rep, deal.pk, stage(world, INITIAL_CONTACT).pk, deal.version)

    # then the given 50 stays
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_overridden) == (50, True)
