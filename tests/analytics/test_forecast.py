"""Forecast figures on small histories computed by hand."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from salesflow.analytics import forecast, montecarlo
from salesflow.analytics.queries import Cut
from salesflow.analytics.services import adjust_forecast
from salesflow.core.errors import Forbidden
from salesflow.core.scoping import Actor
from salesflow.pipeline.models import Deal
from tests.analytics.histories import draw_five_largest, many_open_deals
from tests.conftest import World

pytestmark = pytest.mark.django_db

APRIL = (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))


def april(world: World, **cuts: object) -> Cut:
    return Cut(world.pipeline.pk, *APRIL, **cuts)  # type: ignore[arg-type]


def rollup_lines(actor: Actor, world: World) -> list[forecast.CategoryLine]:
    return forecast.rollup(actor, april(world)).lines


def test_weighted_forecast_by_category_and_owner(open_pipeline: World) -> None:
    # when the admin asks for April
    result = forecast.weighted_forecast(open_pipeline.admin, april(open_pipeline), by_owner=True)
    lines = {line.category: line for line in result.lines}

    # then commit = Q + R: amount 2500, weighted 2000 × 80 % + 500 × 50 % = 1850
    assert (lines["commit"].deals, lines["commit"].amount) == (2, Decimal(2500))
    assert lines["commit"].weighted == Decimal(1850)
    # pipeline = P: 1000 × 5 % = 50; nothing is best case or omitted
    assert (lines["pipeline"].deals, lines["pipeline"].weighted) == (1, Decimal(50))
    assert lines["best_case"].deals == lines["omitted"].deals == 0
    assert (result.deals, result.amount, result.weighted) == (3, Decimal(3500), Decimal(1900))
    # and per owner: rep_east weighted 50 + 1600, rep_west 250
    east = result.by_owner[open_pipeline.rep_east.user_id]
    assert sum(line.weighted for line in east) == Decimal(1650)


def test_a_rep_sees_their_own_forecast_only(open_pipeline: World) -> None:
    result = forecast.weighted_forecast(open_pipeline.rep_west, april(open_pipeline))
    # R alone: 500 × 50 % = 250
    assert (result.deals, result.weighted) == (1, Decimal(250))


def test_a_manager_adjusts_the_rollup_and_both_numbers_are_kept(open_pipeline: World) -> None:
    # when the sales manager says commit will be 1500, not the computed 1850
    adjust_forecast(open_pipeline.boss, pipeline_id=open_pipeline.pipeline.pk,
                    first_day=APRIL[0], last_day=APRIL[1], category="commit",
                    amount=Decimal(1500), note="Q slips to May")  # fmt: skip

    # then the roll-up shows both
    lines = {line.category: line for line in rollup_lines(open_pipeline.boss, open_pipeline)}
    assert (lines["commit"].weighted, lines["commit"].adjusted) == (Decimal(1850), Decimal(1500))
    assert lines["commit"].adjustment_note == "Q slips to May"
    assert lines["pipeline"].adjusted is None

    # and another manager's roll-up is not touched; a rep may not adjust at all
    other = rollup_lines(open_pipeline.east_manager, open_pipeline)
    assert all(line.adjusted is None for line in other)
    with pytest.raises(Forbidden):
        adjust_forecast(open_pipeline.rep_east, pipeline_id=open_pipeline.pipeline.pk,
                        first_day=APRIL[0], last_day=APRIL[1], category="commit",
                        amount=Decimal(1))  # fmt: skip

    # when the manager withdraws the adjustment, only the computed number is left
    adjust_forecast(open_pipeline.boss, pipeline_id=open_pipeline.pipeline.pk,
                    first_day=APRIL[0], last_day=APRIL[1], category="commit",
                    amount=None)  # fmt: skip
    lines = {line.category: line for line in rollup_lines(open_pipeline.boss, open_pipeline)}
    assert lines["commit"].adjusted is None


def test_learned_probability_beside_the_configured_one(history: World) -> None:
    # given the history: A won and B lost (B had reached S2, skipping S1); C, D are open
    stages = history.open_stages()

    # when the probabilities are learned on 1 April from the last year's closed deals
    learned = forecast.learned_probabilities(
        history.admin, Cut(history.pipeline.pk, *APRIL), today=datetime.date(2026, 4, 1)
    )

    # then S0, S1, S2 were reached by A and B, one of them won: 1/2; S3 on by A alone: 1/1
    assert [p.learned for p in learned[:4]] == [Fraction(1, 2)] * 3 + [Fraction(1)]
    assert [p.closed_deals for p in learned[:4]] == [2, 2, 2, 1]
    assert [p.configured for p in learned] == [s.probability for s in stages]


def test_close_days_add_up_the_stays_of_the_stages_left(history: World) -> None:
    # given the stays that ended in the history (see test_funnel): S0 lasted 1, 2, 3, 8 days;
    # S1 lasted 3 and 4 days; S2 (A 9→20 Mar, 11 days; B 4→12 Mar, 8 days); later stages none
    stages = [s for s in history.stages if s.kind == "open"]
    histograms = forecast.close_day_histograms(
        history.admin, Cut(history.pipeline.pk, *APRIL), stages, datetime.date(2026, 4, 1)
    )

    # then a deal in S2 closes after 8 or 11 days, half the weight each
    weights = dict(histograms[2])
    assert set(weights) == {8, 11}
    assert weights[8] == weights[11]
    # and a deal in S1 after S1 (3 or 4) + S2 (8 or 11): 11, 12, 14, 15 days, a quarter each
    assert set(dict(histograms[1])) == {11, 12, 14, 15}
    # stages nobody left in the last year have no history
    assert histograms[3] == []


def test_monte_carlo_mean_is_close_to_the_weighted_forecast(open_pipeline: World) -> None:
    # given the open deals of April (no stay history, so each closes on its expected day)
    today = datetime.date(2026, 3, 1)
    period = Cut(open_pipeline.pipeline.pk, datetime.date(2026, 4, 1), datetime.date(2026, 5, 31))

    # when 10,000 runs are simulated
    result = forecast.monte_carlo_forecast(open_pipeline.admin, period, today=today, seed=7)

    # then April's mean ≈ 1000 × 5 % + 2000 × 80 % + 500 × 50 % = 1900, and May's ≈ S's
    # 9000 × 5 % = 450; each within 5 standard errors of the mean of 10,000 runs
    assert result.forecast is not None
    april_result, may_result = (p.won for p in result.forecast.periods)
    sd_april = math.sqrt(1000**2 * 0.05 * 0.95 + 2000**2 * 0.8 * 0.2 + 500**2 * 0.5 * 0.5)
    assert abs(float(april_result.mean) - 1900) < 5 * sd_april / math.sqrt(10_000)
    sd_may = math.sqrt(9000**2 * 0.05 * 0.95)
    assert abs(float(may_result.mean) - 450) < 5 * sd_may / math.sqrt(10_000)
    assert result.months == [
        (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30)),
        (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31)),
    ]
    # and the same seed gives the same answer
    again = forecast.monte_carlo_forecast(open_pipeline.admin, period, today=today, seed=7)
    assert again.forecast == result.forecast


def days_from(today: datetime.date, day: datetime.date | None) -> int | None:
    return None if day is None else (day - today).days


def expected_simulation(
    world: World, cut: Cut, today: datetime.date, *, largest: int, seed: int, runs: int
) -> montecarlo.Forecast:
    """The simulation of the open deals read one by one: the `largest` drawn each (in the order
    of their amounts, or of their ids when that is all of them), the rest grouped in Python."""
    stages = list(world.open_stages())
    index = {s.pk: i for i, s in enumerate(stages)}
    rows = list(Deal.objects.filter(pipeline_id=cut.pipeline_id, stage__kind="open").order_by("pk"))
    if largest < len(rows):  # largest first (the later id first among equals), as read
        rows.sort(key=lambda d: (d.amount if d.amount is not None else -1, d.pk), reverse=True)
    deals = [
        montecarlo.OpenDeal(amount=d.amount, probability=d.probability, stage=index[d.stage_id],
                            expected_in_days=days_from(today, d.expected_close_date))
        for d in rows
    ]  # fmt: skip
    histograms = forecast.close_day_histograms(world.admin, cut, stages, today)
    periods = [(0, 20), (21, 51)]  # the rest of April and May, from 10 April
    rest = montecarlo.group_deals(deals[largest:], histograms) if largest < len(deals) else []
    return montecarlo.simulate_forecast(
        deals[:largest], histograms, periods, seed=seed, runs=runs, rest=rest
    )


@pytest.mark.parametrize(
    ("any_error", "largest", "aggregated"),
    [
        # the 34 others summed per group in SQL (less the 5 largest) to the same sums of powers
        # as the deals read one by one and grouped in Python: the same draws, to the cent
        pytest.param(True, 5, 34, id="summed"),
        # under the real limit 34 deals are too few to draw as one sum within a tenth of a
        # point: every deal is drawn
        pytest.param(False, 39, 0, id="too few to sum"),
    ],
)
def test_a_large_pipeline_sums_its_smaller_deals_in_the_database(
    history: World, monkeypatch: pytest.MonkeyPatch, any_error: bool, largest: int,
    aggregated: int,
) -> None:  # fmt: skip
    # given 39 open deals, and a simulation budget that draws only the 5 largest one by one
    many_open_deals(history)
    runs = 2000
    draw_five_largest(monkeypatch, runs, any_error=any_error)
    today = datetime.date(2026, 4, 10)
    cut = Cut(history.pipeline.pk, datetime.date(2026, 4, 1), datetime.date(2026, 5, 31))

    # when the Monte Carlo forecast is computed
    result = forecast.monte_carlo_forecast(history.admin, cut, runs=runs, seed=3, today=today)

    # then it is the simulation of the deals read one by one, drawn as the budget says
    expected = expected_simulation(history, cut, today, largest=largest, seed=3, runs=runs)
    assert result.forecast is not None
    assert result.deals == 39
    assert result.forecast.aggregated == expected.aggregated == aggregated
    assert result.forecast.aggregate_error == pytest.approx(expected.aggregate_error)
    for ours, theirs in zip(result.forecast.periods, expected.periods, strict=True):
        for name in ("p10", "p50", "p90", "mean"):
            assert abs(getattr(ours.won, name) - getattr(theirs.won, name)) <= Decimal("0.01")
