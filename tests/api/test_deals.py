"""Deals through the API: filters, ownership, and the move / close / reopen actions.

The default pipeline is the b2b7 template (tests/conftest.py, language "en"):
  0 Prospecting      open  exit: contact; ✓ "Customer profile collected"
  1 Initial contact  open  exit: next_step; ✓ "Intent to buy confirmed"
  2 Needs analysis   open  exit: amount, expected_close_date; ✓ "Budget confirmed",
                                                              ✓ "Decision maker identified"
  3 Proposal / quote open  exit: amount, expected_close_date, contact;
                                 ✓ "Proposal sent to the customer"
  4 Negotiation      open  exit: amount, expected_close_date; ✓ "Commercial terms agreed",
                                                              ✓ "Contract approved internally"
  5 Signed  won · 6 After-sales service  won · 7 Lost  lost
"""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.core.models import AuditRecord
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Deal, StageChange
from salesflow.pipeline.services.deals import close_deal
from tests.api.conftest import counts, ids, make_pipeline
from tests.conftest import World, make_contact, make_customer, make_deal

EXIT_CRITERIA_UNMET = "The exit criteria of the stages left are not met."
ALL_TICKED = [
    ["Customer profile collected"],
    ["Intent to buy confirmed"],
    ["Budget confirmed", "Decision maker identified"],
    ["Proposal sent to the customer"],
    ["Commercial terms agreed", "Contract approved internally"],
]


def stage_ids(world: World) -> list[int]:
    return [s.pk for s in world.stages]


def ready_to_win(world: World) -> Deal:
    """A deal in the first stage that meets the exit criteria of every open stage."""
    customer = make_customer(world.admin)
    stages = stage_ids(world)
    return make_deal(
        world.admin,
        customer,
        contact_id=make_contact(world.admin, customer).pk,
        next_step="Sign",
        amount="2000.00",
        expected_close_date="2025-06-30",
        checklist={str(stages[i]): items for i, items in enumerate(ALL_TICKED)},
    )


def test_create_fills_the_defaults_from_the_pipeline(world: World, api_as) -> None:
    # given
    customer = make_customer(world.rep_east)

    # when
    response = api_as(world.rep_east).post(
        "/deals", {"name": "CRM seats", "customer_id": customer.pk, "amount": 1234.5}
    )

    # then: default pipeline, its first open stage, that stage's 5 %, the workspace currency
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pipeline_id"] == world.pipeline.pk
    assert body["stage_id"] == stage_ids(world)[0]
    assert body["status"] == "open"
    assert (body["probability"], body["probability_overridden"]) == (5, False)
    assert (body["amount"], body["currency"]) == ("1234.50", "CNY")
    assert body["owner_id"] == world.rep_east.user_id
    assert body["lost_reason"] is None
    assert body["closed_at"] is None
    assert body["checklist"] == {}
    assert StageChange.objects.filter(deal_id=body["id"]).count() == 1


def test_update_sets_probability_by_hand_and_null_resets_it(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)
    api = api_as(world.admin)

    # when
    overridden = api.patch(f"/deals/{deal.pk}", {"version": 1, "probability": 35}).json()
    reset = api.patch(f"/deals/{deal.pk}", {"version": 2, "probability": None}).json()

    # then: 35 set by hand, then back to the stage's 5
    assert (overridden["probability"], overridden["probability_overridden"]) == (35, True)
    assert (reset["probability"], reset["probability_overridden"]) == (5, False)


def test_move_with_unmet_exit_criteria_lists_each_and_changes_nothing(world: World, api_as) -> None:
    # given: a fresh deal in Prospecting, moved two stages on
    deal = make_deal(world.admin)
    stages = stage_ids(world)
    before = counts()

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/move", {"stage_id": stages[2], "version": 1}
    )

    # then: the criteria of both stages left, in stage order
    assert response.status_code == 422
    assert response.json() == {
        "detail": EXIT_CRITERIA_UNMET,
        "errors": [
            {"field": "contact_id", "message": "Required to leave the stage “Prospecting”."},
            {
                "field": f"checklist.{stages[0]}",
                "message": "“Customer profile collected” must be ticked to leave the stage "
                "“Prospecting”.",
            },
            {"field": "next_step", "message": "Required to leave the stage “Initial contact”."},
            {
                "field": f"checklist.{stages[1]}",
                "message": "“Intent to buy confirmed” must be ticked to leave the stage "
                "“Initial contact”.",
            },
        ],
    }
    assert counts() == before
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (stages[0], 1)


def test_move_forward_once_the_criteria_are_met(world: World, api_as) -> None:
    # given: the contact and the checklist item Prospecting asks for, set through the API
    deal = make_deal(world.admin)
    contact = make_contact(world.admin, deal.customer)
    stages = stage_ids(world)
    api = api_as(world.admin)
    api.patch(
        f"/deals/{deal.pk}",
        {
            "version": 1,
            "contact_id": contact.pk,
            "checklist": {str(stages[0]): ["Customer profile collected"]},
        },
    )

    # when
    response = api.post(f"/deals/{deal.pk}/move", {"stage_id": stages[1], "version": 2})

    # then: in Initial contact, at its 10 %
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage_id"], body["status"], body["probability"]) == (stages[1], "open", 10)
    assert body["version"] == 3
    assert StageChange.objects.filter(deal_id=deal.pk).count() == 2


def test_move_backward_needs_no_criteria(world: World, api_as) -> None:
    # given: a deal placed in Needs analysis, whose criteria it does not meet
    stages = stage_ids(world)
    deal = make_deal(world.admin, stage_id=stages[2])

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/move", {"stage_id": stages[0], "version": 1}
    )

    # then: back in Prospecting at its 5 %
    assert response.status_code == 200, response.json()
    assert (response.json()["stage_id"], response.json()["probability"]) == (stages[0], 5)


def test_close_won_lists_every_unmet_criterion_of_the_stages_left(world: World, api_as) -> None:
    # given: a fresh deal in Prospecting: all five open stages are still ahead
    deal = make_deal(world.admin)
    s = stage_ids(world)
    before = counts()

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/close", {"outcome": "won", "note": "", "version": 1}
    )

    # then: each field once (the first stage that asks names it), each checklist item
    assert response.status_code == 422
    assert response.json()["detail"] == EXIT_CRITERIA_UNMET
    assert [e["field"] for e in response.json()["errors"]] == [
        "contact_id",
        f"checklist.{s[0]}",
        "next_step",
        f"checklist.{s[1]}",
        "amount",
        "expected_close_date",
        f"checklist.{s[2]}",
        f"checklist.{s[2]}",
        f"checklist.{s[3]}",
        f"checklist.{s[4]}",
        f"checklist.{s[4]}",
    ]
    assert counts() == before


def test_close_won(world: World, api_as) -> None:
    # given
    deal = ready_to_win(world)
    s = stage_ids(world)

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/close", {"outcome": "won", "reason": None, "note": "", "version": 1}
    )

    # then: in the first won stage, at 100 %, and the prospect became a customer
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage_id"], body["status"], body["probability"]) == (s[5], "won", 100)
    assert body["closed_at"] is not None
    assert body["version"] == 2
    assert Customer.objects.get(pk=deal.customer_id).lifecycle == "customer"


def test_close_lost_with_a_listed_reason(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/close",
        {"outcome": "lost", "reason": "No budget", "note": "Frozen until Q3", "version": 1},
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage_id"], body["status"], body["probability"]) == (
        stage_ids(world)[7],
        "lost",
        0,
    )
    assert (body["lost_reason"], body["lost_note"]) == ("No budget", "Frozen until Q3")
    assert body["closed_at"] is not None


@pytest.mark.parametrize("reason", ["Aliens took the budget", None, ""])
def test_close_lost_needs_a_listed_reason(world: World, api_as, reason: str | None) -> None:
    # given
    deal = make_deal(world.admin)
    before = counts()

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/close", {"outcome": "lost", "reason": reason, "version": 1}
    )

    # then: the message lists the reasons GET /lost-reasons gives
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "reason",
            "message": "Give one of the workspace's lost reasons: Price too high、"
            "Chose a competitor、No budget、Need cancelled or postponed、"
            "Could not reach the customer、Product does not fit the need.",
        }
    ]
    assert counts() == before


def test_close_with_an_unknown_outcome_is_422(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)

    # when
    response = api_as(world.admin).post(
        f"/deals/{deal.pk}/close", {"outcome": "drawn", "version": 1}
    )

    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["outcome"]


def test_reopen_returns_to_the_stage_it_was_closed_from(world: World, api_as) -> None:
    # given: lost from Initial contact
    s = stage_ids(world)
    deal = make_deal(world.admin, stage_id=s[1])
    api = api_as(world.admin)
    api.post(f"/deals/{deal.pk}/close", {"outcome": "lost", "reason": "No budget", "version": 1})

    # when
    response = api.post(f"/deals/{deal.pk}/reopen", {"version": 2})

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage_id"], body["status"], body["probability"]) == (s[1], "open", 10)
    assert (body["lost_reason"], body["lost_note"], body["closed_at"]) == (None, "", None)


def test_reopen_into_a_named_stage(world: World, api_as) -> None:
    # given
    s = stage_ids(world)
    deal = make_deal(world.admin)
    api = api_as(world.admin)
    api.post(f"/deals/{deal.pk}/close", {"outcome": "lost", "reason": "No budget", "version": 1})

    # when
    response = api.post(f"/deals/{deal.pk}/reopen", {"version": 2, "stage_id": s[3]})

    # then: Proposal / quote at its 40 %
    assert response.status_code == 200, response.json()
    assert (response.json()["stage_id"], response.json()["probability"]) == (s[3], 40)


def test_reopen_an_open_deal_is_422(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)

    # when
    response = api_as(world.admin).post(f"/deals/{deal.pk}/reopen", {"version": 1})

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "stage_id", "message": "This deal is not closed."}
    ]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("move", {"stage_id": 0}),
        ("close", {"outcome": "lost", "reason": "No budget"}),
        ("reopen", {}),
    ],
)
def test_actions_with_a_stale_version_are_409_and_change_nothing(
    world: World, api_as, action: str, body: dict[str, Any]
) -> None:
    # given: the deal is at version 2 (renamed once), the client still holds version 1
    s = stage_ids(world)
    deal = make_deal(world.admin)
    api = api_as(world.admin)
    if action == "reopen":
        api.post(
            f"/deals/{deal.pk}/close", {"outcome": "lost", "reason": "No budget", "version": 1}
        )
    else:
        api.patch(f"/deals/{deal.pk}", {"version": 1, "name": "Renamed"})
    deal.refresh_from_db()
    before = (counts(), deal.stage_id, deal.version)
    if "stage_id" in body:
        body["stage_id"] = s[1]

    # when
    response = api.post(f"/deals/{deal.pk}/{action}", {**body, "version": 1})

    # then
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    deal.refresh_from_db()
    assert (counts(), deal.stage_id, deal.version) == before


def test_a_rep_may_not_delete_even_their_own_deal(world: World, api_as) -> None:
    # given
    deal = make_deal(world.rep_east)
    before = counts()

    # when
    response = api_as(world.rep_east).delete(f"/deals/{deal.pk}", version=1)

    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a manager or an admin may do this.", "errors": []}
    assert counts() == before


def test_a_manager_deletes_a_sub_teams_deal(world: World, api_as) -> None:
    # given
    deal = make_deal(world.rep_shanghai)

    # when
    response = api_as(world.east_manager).delete(f"/deals/{deal.pk}")

    # then it is in the trash: gone from the API, kept for an admin to restore
    assert response.status_code == 204
    assert api_as(world.east_manager).get(f"/deals/{deal.pk}").status_code == 404
    assert Deal.objects.get(pk=deal.pk).trashed_at is not None


def test_a_rep_may_not_assign_a_deal_to_another_member(world: World, api_as) -> None:
    # given
    deal = make_deal(world.rep_east)
    api = api_as(world.rep_east)
    before = counts()

    # when
    created = api.post(
        "/deals",
        {"name": "X", "customer_id": deal.customer_id, "owner_id": world.rep_west.user_id},
    )
    updated = api.patch(f"/deals/{deal.pk}", {"version": 1, "owner_id": world.rep_west.user_id})

    # then
    assert (created.status_code, updated.status_code) == (403, 403)
    assert updated.json()["detail"] == "You may not assign records to this member."
    assert counts() == before
    assert Deal.objects.get(pk=deal.pk).owner_id == world.rep_east.user_id


def test_a_manager_assigns_inside_their_teams_only(world: World, api_as) -> None:
    # given: east_manager manages East (and Shanghai under it), not West
    deal = make_deal(world.rep_east)
    api = api_as(world.east_manager)

    # when
    inside = api.patch(f"/deals/{deal.pk}", {"version": 1, "owner_id": world.rep_shanghai.user_id})
    outside = api.patch(f"/deals/{deal.pk}", {"version": 2, "owner_id": world.rep_west.user_id})

    # then
    assert inside.status_code == 200
    assert inside.json()["owner_id"] == world.rep_shanghai.user_id
    assert outside.status_code == 403


def test_owner_id_of_nobody_in_the_workspace_is_422(
    world: World, other_world: World, api_as
) -> None:
    # given
    customer = make_customer(world.admin)

    # when
    response = api_as(world.admin).post(
        "/deals",
        {"name": "X", "customer_id": customer.pk, "owner_id": other_world.admin.user_id},
    )

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "owner_id", "message": "No active member of this workspace has this id."}
    ]


@pytest.fixture
def deal_set(world: World) -> dict[str, Deal]:
    """Five deals that differ in every filtered field."""
    admin = world.admin
    acme, globex = make_customer(admin), make_customer(admin)
    s = stage_ids(world)
    second = make_pipeline(admin)
    deals = {
        "small": make_deal(admin, acme, amount="100.00", expected_close_date="2025-01-10"),
        "large": make_deal(
            admin, acme, amount="500.00", expected_close_date="2025-02-10", stage_id=s[2]
        ),
        "unpriced": make_deal(world.rep_east, make_customer(world.rep_east)),
        "lost": make_deal(admin, globex, amount="300.00"),
        "won": make_deal(admin, globex, pipeline_id=second.pk),
    }
    close_deal(admin, deals["lost"].pk, outcome="lost", reason="No budget", version=1)
    close_deal(admin, deals["won"].pk, outcome="won", version=1)
    return deals


def test_deal_filters(world: World, deal_set: dict[str, Deal], api_as) -> None:
    # given
    api = api_as(world.admin)
    d = {key: deal.pk for key, deal in deal_set.items()}
    s = stage_ids(world)

    def found(**params: Any) -> set[int]:
        return set(ids(api.pages("/deals", **params)))

    # then
    assert found(status="open") == {d["small"], d["large"], d["unpriced"]}
    assert found(status="won") == {d["won"]}
    assert found(status="lost") == {d["lost"]}
    assert found(pipeline_id=world.pipeline.pk) == set(d.values()) - {d["won"]}
    assert found(stage_id=s[2]) == {d["large"]}
    assert found(owner_id=world.rep_east.user_id) == {d["unpriced"]}
    assert found(customer_id=deal_set["small"].customer_id) == {d["small"], d["large"]}
    assert found(amount_min="300") == {d["large"], d["lost"]}
    assert found(amount_max="300") == {d["small"], d["lost"]}
    assert found(amount_min="100", amount_max="100") == {d["small"]}
    assert found(expected_close_from="2025-01-11") == {d["large"]}
    assert found(expected_close_to="2025-01-10") == {d["small"]}
    assert found(status="open", amount_min="200") == {d["large"]}


def test_audit_records_name_the_api_caller(world: World, api_as) -> None:
    # given
    customer = make_customer(world.rep_east)

    # when
    body = api_as(world.rep_east).post("/deals", {"name": "X", "customer_id": customer.pk}).json()

    # then
    audit = AuditRecord.objects.get(entity="pipeline.deal", entity_id=body["id"])
    assert (audit.action, audit.actor_id) == ("create", world.rep_east.user_id)
