"""The analytics endpoints: hand-computed figures, the actor's scope, bad input and the plan.

The funnel and velocity tests read the five-deal history of tests/analytics/test_funnel.py
(A–D created on 2 March 2026, E on 2 April), whose figures are worked out there by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.pipeline.models import Pipeline
from salesflow.pipeline.services.pipelines import create_pipeline, create_stage
from tests.conftest import World

MARCH = {"first_day": "2026-03-01", "last_day": "2026-03-31"}
APRIL = {"compare_first_day": "2026-04-01", "compare_last_day": "2026-04-30"}
INVALID = "Some fields are not valid."


def by_name(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {row["name"]: row[key] for row in rows}


def test_funnel_answers_the_hand_computed_cohort(history: World, api_as) -> None:
    # when the admin asks for March's funnel (the cohort is A, B, C, D)
    response = api_as(history.admin).get("/analytics/funnel", **MARCH)

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["pipeline_id"], body["first_day"], body["last_day"]) == (
        history.pipeline.pk,
        "2026-03-01",
        "2026-03-31",
    )
    cohort = body["cohort"]
    # reached: Prospecting A B C D = 4 (100 + 200 + 0 + 300 = 600); Initial contact the same
    # (B skipped it, D was won); Needs analysis A B D = 3 (600); Proposal and Negotiation A D = 2
    # (400); Signed counts the deals won now, A = 1 (100); After-sales service 0; Lost is left out
    assert [(s["name"], s["kind"], s["reached"], s["amount"]) for s in cohort["stages"]] == [
        ("Prospecting", "open", 4, "600.00"),
        ("Initial contact", "open", 4, "600.00"),
        ("Needs analysis", "open", 3, "600.00"),
        ("Proposal / quote", "open", 2, "400.00"),
        ("Negotiation", "open", 2, "400.00"),
        ("Signed", "won", 1, "100.00"),
        ("After-sales service", "won", 0, "0.00"),
    ]
    # conversion: 4/4 = 1, 3/4 = 0.75, 2/3 = 0.666667 (6 decimals), 2/2 = 1, 1/2 = 0.5, 0/1 = 0,
    # and nothing after the last stage; drop-off: 4−4, 4−3, 3−2, 2−2, 2−1, 1−0, none after
    assert [s["conversion_to_next"] for s in cohort["stages"]] == [
        1.0,
        0.75,
        0.666667,
        1.0,
        0.5,
        0.0,
        None,
    ]
    assert [s["drop_off"] for s in cohort["stages"]] == [0, 1, 1, 0, 1, 1, 0]
    # deals 4, won 1, overall 1/4
    assert (cohort["deals"], cohort["won"], cohort["overall_conversion"]) == (4, 1, 0.25)
    assert [s["stage_id"] for s in cohort["stages"]] == [
        s.pk for s in history.stages if s.kind != "lost"
    ]


def test_funnel_answers_entries_and_time_in_stage(history: World, api_as) -> None:
    # when
    body = api_as(history.admin).get("/analytics/funnel", **MARCH).json()

    # then entries in March: Prospecting 4 at creation + C (6 Mar) + D reopened (15 Mar) = 6;
    # Initial contact C, A = 2; Needs analysis B, A = 2; Signed D, A = 2; April's E not counted
    assert by_name(body["flow"], "entries") == {
        "Prospecting": 6,
        "Initial contact": 2,
        "Needs analysis": 2,
        "Proposal / quote": 0,
        "Negotiation": 0,
        "Signed": 2,
        "After-sales service": 0,
    }
    # amounts at entry: Needs analysis B 200 + A 100; Signed D 300 + A 100
    amounts = by_name(body["flow"], "amount")
    assert (amounts["Needs analysis"], amounts["Signed"]) == ("300.00", "400.00")
    # stays ended in March: Prospecting C 1, B 2, A 3, D 8 days → median (2 + 3) / 2 = 2.5,
    # mean 14 / 4 = 3.5; Needs analysis B 4→12 Mar (8), A 9→20 Mar (11) → 9.5 and 9.5;
    # Signed D 10→15 Mar = 5; Lost: B is still there, no stay ended
    times = {
        t["name"]: (t["count"], t["median_days"], t["mean_days"]) for t in body["time_in_stage"]
    }
    assert times["Prospecting"] == (4, 2.5, 3.5)
    assert times["Needs analysis"] == (2, 9.5, 9.5)
    assert times["Signed"] == (1, 5.0, 5.0)
    assert times["Lost"] == (0, None, None)
    assert (body["by_owner"], body["compare"]) == (None, None)


def test_funnel_by_owner_and_compare_period(history: World, api_as) -> None:
    # when March is compared with April, split by owner
    response = api_as(history.admin).get("/analytics/funnel", **MARCH, **APRIL, by_owner=True)

    # then rep_east (A, B) reached 2, 2, 2 and won 1; rep_west (C, D) 2, 2, 1 and won 0
    body = response.json()
    owners = {o["owner_id"]: o["funnel"] for o in body["by_owner"]}
    east, west = owners[history.rep_east.user_id], owners[history.rep_west.user_id]
    assert [s["reached"] for s in east["stages"][:3]] + [east["won"]] == [2, 2, 2, 1]
    assert [s["reached"] for s in west["stages"][:3]] + [west["won"]] == [2, 2, 1, 0]
    assert set(owners) == {history.rep_east.user_id, history.rep_west.user_id}
    # and April's cohort is E alone: Prospecting 1, Initial contact 1, nothing further;
    # E entered Prospecting (2 Apr) and Initial contact (3 Apr); its Prospecting stay was 1 day
    compare = body["compare"]
    assert (compare["first_day"], compare["last_day"]) == ("2026-04-01", "2026-04-30")
    assert [s["reached"] for s in compare["cohort"]["stages"][:3]] == [1, 1, 0]
    assert by_name(compare["flow"], "entries")["Initial contact"] == 1
    assert by_name(compare["time_in_stage"], "count")["Prospecting"] == 1
    assert [o["owner_id"] for o in compare["by_owner"]] == [history.rep_east.user_id]


def test_a_customer_cut_narrows_every_figure(history: World, api_as) -> None:
    # when March is cut by industry: only A belongs to the Retail customer
    response = api_as(history.admin).get("/analytics/funnel", **MARCH, industry="Retail")

    # then the cohort is A alone (reached 1, won 1); A entered S0, S1, S2 and Signed once each,
    # and stayed 3 days in S0 (2→5 Mar), 4 in S1 (5→9 Mar), 11 in S2 (9→20 Mar)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["cohort"]["deals"], body["cohort"]["won"]) == (1, 1)
    assert [s["entries"] for s in body["flow"][:3]] == [1, 1, 1]
    assert [s["median_days"] for s in body["time_in_stage"][:3]] == [3.0, 4.0, 11.0]


def test_velocity_answers_the_hand_computed_figures(history: World, api_as) -> None:
    # when the admin asks for March, compared with April, by owner
    response = api_as(history.admin).get("/analytics/velocity", **MARCH, **APRIL, by_owner=True)

    # then closed in March: A won (100; 2→20 Mar = 18 days), B lost; open now C, D, E = 3;
    # velocity = 3 × 100 × 1/2 ÷ 18 = 8.333… → 8.33 a day
    assert response.status_code == 200, response.json()
    body = response.json()
    cycle = {"count": 1, "median_days": 18.0, "mean_days": 18.0}
    assert {k: body[k] for k in ("won", "lost", "won_amount", "win_rate")} == {
        "won": 1,
        "lost": 1,
        "won_amount": "100.00",
        "win_rate": 0.5,
    }
    assert (body["average_won_amount"], body["sales_cycle"]) == ("100.00", cycle)
    assert (body["open_deals"], body["velocity_per_day"]) == (3, "8.33")
    # and rep_east closed both (1 won, 1 lost) and has E open: 1 × 100 × 1/2 ÷ 18 = 2.78 a day;
    # rep_west closed nothing in March but has C and D open
    owners = [
        (o["owner_id"], o["won"], o["lost"], o["win_rate"], o["open_deals"], o["velocity_per_day"])
        for o in body["by_owner"]
    ]
    assert sorted(owners) == sorted(
        [
            (history.rep_east.user_id, 1, 1, 0.5, 1, "2.78"),
            (history.rep_west.user_id, 0, 0, None, 2, None),
        ]
    )
    # and nothing was closed in April: no win rate, no average, no velocity
    compare = body["compare"]
    assert (compare["won"], compare["lost"], compare["win_rate"]) == (0, 0, None)
    assert compare["velocity_per_day"] is None
    # and its owners are those with deals open now, who closed nothing
    assert {(o["owner_id"], o["won"], o["lost"], o["open_deals"]) for o in compare["by_owner"]} == {
        (history.rep_east.user_id, 0, 0, 1),
        (history.rep_west.user_id, 0, 0, 2),
    }


def test_a_rep_counts_only_their_own_deals(history: World, api_as) -> None:
    # when rep_west (C and D are theirs) asks for March, even naming rep_east as the owner
    api = api_as(history.rep_west)
    own = api.get("/analytics/funnel", **MARCH).json()
    other = api.get("/analytics/funnel", **MARCH, owner_id=history.rep_east.user_id).json()
    velocity = api.get("/analytics/velocity", **MARCH).json()

    # then only C and D count: 2 deals, none won; rep_east's deals do not exist for them
    assert (own["cohort"]["deals"], own["cohort"]["won"]) == (2, 0)
    assert (other["cohort"]["deals"], other["cohort"]["won"]) == (0, 0)
    # nothing of theirs closed in March (D was won, then reopened); C and D are open
    assert (velocity["won"], velocity["lost"], velocity["open_deals"]) == (0, 0, 2)


@pytest.mark.parametrize("path", ["/analytics/funnel", "/analytics/velocity"])
def test_another_workspaces_pipeline_or_team_is_404(
    world: World, other_world: World, api_as, path: str
) -> None:
    # given
    api = api_as(world.admin)

    # when
    answers = [
        api.get(path, pipeline_id=other_world.pipeline.pk),
        api.get(path, team_id=other_world.teams["east"].pk),
    ]

    # then
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == {"detail": "Not found.", "errors": []}


BAD_QUERIES: dict[str, tuple[dict[str, Any], list[dict[str, str]]]] = {
    "last day before the first": (
        {"first_day": "2026-03-31", "last_day": "2026-03-01"},
        [{"field": "first_day", "message": "The period must not end before it starts."}],
    ),
    "compare with one day only": (
        {**MARCH, "compare_first_day": "2026-02-01"},
        [{"field": "compare_last_day", "message": "Give both days of the period to compare with."}],
    ),
    "not a date": (
        {"first_day": "soon"},
        [{"field": "first_day", "message": "Enter a valid date."}],
    ),
    "not a boolean": (
        {"by_owner": "perhaps"},
        [{"field": "by_owner", "message": "Enter true or false."}],
    ),
}


@pytest.mark.parametrize("path", ["/analytics/funnel", "/analytics/velocity"])
@pytest.mark.parametrize("case", BAD_QUERIES, ids=str)
def test_bad_query_is_422_naming_the_field(world: World, api_as, path: str, case: str) -> None:
    # given
    params, errors = BAD_QUERIES[case]

    # when
    response = api_as(world.admin).get(path, **params)

    # then
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": errors}


@pytest.fixture
def seed_pipeline(world: World) -> Pipeline:
    """Exactly five open stages, as in the seed example, then won and lost."""
    pipeline = create_pipeline(world.admin, {"name": "Seed example"})
    for name in ("Leads", "Contacted", "Analysed", "Proposal", "Negotiation"):
        create_stage(world.admin, pipeline.pk, {"name": name, "kind": "open"})
    create_stage(world.admin, pipeline.pk, {"name": "Won", "kind": "won", "probability": 100})
    create_stage(world.admin, pipeline.pk, {"name": "Lost", "kind": "lost", "probability": 0})
    return pipeline


def plan_body(pipeline: Pipeline, **fields: Any) -> dict[str, Any]:
    """Four whole weeks, Monday 2 March to Sunday 29 March 2026."""
    return {
        "pipeline_id": pipeline.pk,
        "first_day": "2026-03-02",
        "last_day": "2026-03-29",
        "target_contracts": 3,
        "rates": [50, 40, 50, 50, 60],
        **fields,
    }


def test_plan_answers_the_seed_example(world: World, seed_pipeline: Pipeline, api_as) -> None:
    # when rep_east plans 3 contracts at 50%, 40%, 50%, 50% and 60%
    response = api_as(world.rep_east).post("/analytics/plan", plan_body(seed_pipeline))

    # then, from the end: Negotiation ⌈3 ÷ 0.6⌉ = 5, Proposal ⌈5 ÷ 0.5⌉ = 10,
    # Analysed ⌈10 ÷ 0.5⌉ = 20, Contacted ⌈20 ÷ 0.4⌉ = 50, Leads ⌈50 ÷ 0.5⌉ = 100
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(s["name"], s["required"], s["conversion_to_next"]) for s in body["stages"]] == [
        ("Leads", 100, 0.5),
        ("Contacted", 50, 0.4),
        ("Analysed", 20, 0.5),
        ("Proposal", 10, 0.5),
        ("Negotiation", 5, 0.6),
    ]
    assert (body["target_contracts"], body["average_deal_size"]) == (3, None)
    # and a rep plans for themselves alone
    assert body["rep_ids"] == [world.rep_east.user_id]
    # four weeks of 7 days share each need equally, equal remainders to the earlier weeks:
    # Leads 100 → 25 each; Contacted 50 → 13, 13, 12, 12; Analysed 20 → 5 each;
    # Proposal 10 → 3, 3, 2, 2; Negotiation 5 → 2, 1, 1, 1; won 3 → 1, 1, 1, 0
    weeks = body["weeks"]
    assert [(w["first_day"], w["last_day"]) for w in weeks] == [
        ("2026-03-02", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-22"),
        ("2026-03-23", "2026-03-29"),
    ]
    assert [w["reps"] for w in weeks] == [
        [{"rep_id": world.rep_east.user_id, "entering": entering, "won": won}]
        for entering, won in [
            ([25, 13, 5, 3, 2], 1),
            ([25, 13, 5, 3, 1], 1),
            ([25, 12, 5, 2, 1], 1),
            ([25, 12, 5, 2, 1], 0),
        ]
    ]


def test_plan_for_revenue_takes_rates_size_and_reps_from_history(
    history: World,
    api_as,
) -> None:
    # given the clock at 3 April: the last 365 days hold all five deals. Reached: Prospecting
    # A B C D E = 5, Initial contact A B C D E = 5, Needs analysis A B D = 3, Proposal and
    # Negotiation A D = 2, won A = 1; so the rates are 5/5, 3/5, 2/3, 2/2, 1/2; A won 100
    body = {"first_day": "2026-04-06", "last_day": "2026-04-12", "target_revenue": "250"}

    # when the admin plans 250 without rates, deal size or reps
    response = api_as(history.admin).post("/analytics/plan", body)

    # then 250 ÷ 100 → 3 contracts; Negotiation ⌈3 ÷ 1/2⌉ = 6, Proposal ⌈6 ÷ 1⌉ = 6,
    # Needs analysis ⌈6 ÷ 2/3⌉ = 9, Initial contact ⌈9 ÷ 3/5⌉ = 15, Prospecting ⌈15 ÷ 1⌉ = 15
    assert response.status_code == 200, response.json()
    plan = response.json()
    assert (plan["target_contracts"], plan["average_deal_size"]) == (3, "100.00")
    assert [s["required"] for s in plan["stages"]] == [15, 15, 9, 6, 6]
    assert [s["conversion_to_next"] for s in plan["stages"]] == [1.0, 0.6, 0.666667, 1.0, 0.5]
    # and an admin's plan is shared by the workspace's active reps, by username
    reps = [history.rep_east, history.rep_shanghai, history.rep_west]
    assert plan["rep_ids"] == [r.user_id for r in reps]
    # one week, three reps: 15 → 5 each; won 3 → 1 each
    assert [(r["entering"][0], r["won"]) for r in plan["weeks"][0]["reps"]] == [(5, 1)] * 3


BAD_PLANS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "both targets": ({"target_revenue": "1000"}, ["target_contracts", "target_revenue"]),
    "no target": ({"target_contracts": None}, ["target_contracts", "target_revenue"]),
    "a rate too few": ({"rates": [50, 40, 50, 50]}, ["rates"]),
    "rates out of range": ({"rates": [0, 40, 50, 101, 60]}, ["rates.0", "rates.3"]),
    "last day before the first": ({"last_day": "2026-03-01"}, ["last_day"]),
    "four years": ({"last_day": "2030-03-29"}, ["last_day"]),
    "not a date": ({"first_day": "soon"}, ["first_day"]),
    "unknown field": ({"quota": 3}, ["quota"]),
    "a weight per rep": ({"weights": [1, 2]}, ["weights"]),
    "a revenue in fractions of a cent": (
        {"target_contracts": None, "target_revenue": "1000.001", "average_deal_size": "1e-30"},
        ["target_revenue", "average_deal_size"],
    ),
    "a deal size of zero": (
        {"target_contracts": None, "target_revenue": "1000", "average_deal_size": "0"},
        ["average_deal_size"],
    ),
}


@pytest.mark.parametrize("case", BAD_PLANS, ids=str)
def test_bad_plan_is_422_naming_the_fields(
    world: World, seed_pipeline: Pipeline, api_as, case: str
) -> None:
    # given
    fields, named = BAD_PLANS[case]

    # when
    response = api_as(world.rep_east).post("/analytics/plan", plan_body(seed_pipeline, **fields))

    # then
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == INVALID
    assert [e["field"] for e in body["errors"]] == named


def test_plan_without_history_asks_for_rates_and_deal_size(
    world: World, seed_pipeline: Pipeline, api_as
) -> None:
    # given a pipeline nobody has sold through
    api = api_as(world.admin)

    # when the rates are left out, then when the deal size is left out of a revenue target
    no_rates = api.post("/analytics/plan", plan_body(seed_pipeline, rates=None))
    no_size = api.post(
        "/analytics/plan",
        plan_body(seed_pipeline, target_contracts=None, target_revenue="5000"),
    )

    # then each answer names what the user must enter
    assert no_rates.status_code == no_size.status_code == 422
    assert no_rates.json()["errors"] == [
        {
            "field": "rates",
            "message": "The deals of the last 365 days do not give every stage a conversion "
            "rate: enter the rates.",
        }
    ]
    assert no_size.json()["errors"] == [
        {
            "field": "average_deal_size",
            "message": "No deal was won in the last 365 days: enter the average deal size.",
        }
    ]


def test_plan_for_a_rep_outside_the_scope_is_422(
    world: World, seed_pipeline: Pipeline, api_as
) -> None:
    # when rep_east plans for themselves and rep_west, whose deals they do not see
    body = plan_body(seed_pipeline, rep_ids=[world.rep_east.user_id, world.rep_west.user_id])
    response = api_as(world.rep_east).post("/analytics/plan", body)

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "rep_ids.1", "message": "Choose an active member whose deals you see."}
    ]


def test_plan_in_another_workspaces_pipeline_is_404(
    world: World, other_world: World, seed_pipeline: Pipeline, api_as
) -> None:
    # when
    body = plan_body(seed_pipeline, pipeline_id=other_world.pipeline.pk)
    response = api_as(world.admin).post("/analytics/plan", body)

    # then
    assert response.status_code == 404


def test_the_openapi_document_describes_the_analytics_parameters(world: World, api_as) -> None:
    # when
    document = api_as(world.admin).get("/openapi.json").json()

    # then the plan body and the by_owner switch are described for clients
    plan_in = document["components"]["schemas"]["PlanIn"]["properties"]
    assert all(field.get("description") for field in plan_in.values())
    for path in ("/api/v1/analytics/funnel", "/api/v1/analytics/velocity"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert parameters["by_owner"]["description"]
    assert "/api/v1/analytics/plan" in document["paths"]
