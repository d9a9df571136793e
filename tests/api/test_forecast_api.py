"""The forecast and bottleneck endpoints, on small histories computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.analytics.models import ForecastAdjustment
from tests.analytics.histories import draw_five_largest, many_open_deals
from tests.conftest import World

pytestmark = pytest.mark.django_db

APRIL = "first_day=2026-04-01&last_day=2026-04-30"


def categories(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["category"]: line for line in body["categories"]}


def test_forecast_by_category_with_the_monte_carlo_spread(open_pipeline: World, api_as) -> None:
    # when the admin asks for April's forecast (the clock stands on 1 March)
    response = api_as(open_pipeline.admin).get(f"/analytics/forecast?{APRIL}&runs=2000&seed=3")

    # then commit = Q + R weighted 2000 × 80 % + 500 × 50 % = 1850, pipeline = P 1000 × 5 % = 50
    assert response.status_code == 200, response.json()
    body = response.json()
    lines = categories(body)
    assert (lines["commit"]["deals"], lines["commit"]["weighted"]) == (2, "1850.00")
    assert lines["pipeline"]["weighted"] == "50.00"
    assert (body["deals"], body["amount"], body["weighted"]) == (3, "3500.00", "1900.00")
    # and the simulation covers April as one month, with P10 ≤ P50 ≤ P90
    simulation = body["monte_carlo"]
    assert (simulation["runs"], simulation["seed"], simulation["deals"]) == (2000, 3, 4)
    (april,) = simulation["months"]
    assert (april["first_day"], april["last_day"]) == ("2026-04-01", "2026-04-30")
    spread = [float(april["won"][k]) for k in ("p10", "p50", "p90")]
    assert spread == sorted(spread)
    # and each open stage has its learned probability (no closed deals yet: null)
    assert all(p["learned"] is None for p in body["learned_probabilities"])


def test_a_manager_adjusts_and_sees_both_numbers(open_pipeline: World, api_as) -> None:
    boss = api_as(open_pipeline.boss)
    body = {"pipeline_id": open_pipeline.pipeline.pk, "first_day": "2026-04-01",
            "last_day": "2026-04-30", "category": "commit", "amount": "1500",
            "note": "Q slips"}  # fmt: skip

    # when the manager sets commit to 1500
    response = boss.put("/analytics/forecast/adjustments", body)
    assert response.status_code == 200, response.json()
    assert (response.json()["amount"], response.json()["note"]) == ("1500.00", "Q slips")

    # then the forecast shows the computed and the adjusted figure side by side
    lines = categories(boss.get(f"/analytics/forecast?{APRIL}&runs=100").json())
    assert (lines["commit"]["weighted"], lines["commit"]["adjusted"]) == ("1850.00", "1500.00")

    # when a rep tries, they are refused and nothing is written
    rep = api_as(open_pipeline.rep_east)
    assert rep.put("/analytics/forecast/adjustments", body).status_code == 403
    assert ForecastAdjustment.objects.count() == 1

    # when the manager withdraws it, the answer is 204 and the adjustment is gone
    response = boss.put("/analytics/forecast/adjustments", {**body, "amount": None})
    assert response.status_code == 204
    assert not ForecastAdjustment.objects.exists()


def test_bad_adjustments_name_the_field(open_pipeline: World, api_as) -> None:
    boss = api_as(open_pipeline.boss)
    body = {"pipeline_id": open_pipeline.pipeline.pk, "first_day": "2026-04-30",
            "last_day": "2026-04-01", "category": "commit", "amount": "1"}  # fmt: skip
    response = boss.put("/analytics/forecast/adjustments", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "first_day"
    response = boss.put("/analytics/forecast/adjustments", {**body, "category": "maybe"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "category"
    assert not ForecastAdjustment.objects.exists()


def test_bottlenecks_answer_a_list(open_pipeline: World, api_as) -> None:
    # four deals are far too few to flag anything with the documented thresholds
    response = api_as(open_pipeline.boss).get(f"/analytics/bottlenecks?{APRIL}")
    assert response.status_code == 200
    assert response.json() == []


def test_the_smaller_deals_drawn_in_aggregate_are_counted(
    history: World, api_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 39 open deals and a budget that draws the 5 largest one by one
    many_open_deals(history)
    draw_five_largest(monkeypatch, 2000, any_error=True)

    # when the admin asks for the forecast of April and May
    response = api_as(history.admin).get(
        "/analytics/forecast?first_day=2026-04-01&last_day=2026-05-31&runs=2000"
    )

    # then the simulation says 34 of the 39 deals were drawn in aggregate, with its estimate
    assert response.status_code == 200, response.json()
    simulation = response.json()["monte_carlo"]
    assert (simulation["deals"], simulation["aggregated_deals"]) == (39, 34)
    assert 0 < simulation["aggregate_error"] <= 1.0
