"""The Monte Carlo forecast: exact where the outcome is certain, right on average otherwise."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from salesflow.analytics.montecarlo import (
    ALL_EXACT_CELLS,
    EXACT_CELLS,
    MAX_AGGREGATE_ERROR,
    DealGroup,
    OpenDeal,
    Spread,
    aggregate_error,
    exact_deals,
    group_deals,
    simulate_forecast,
)
from salesflow.core.errors import ValidationFailed

NEXT_TWO_MONTHS = [(0, 30), (31, 60)]
ZERO = Decimal("0.00")


def spread(p10: str, p50: str, p90: str, mean: str) -> Spread:
    return Spread(Decimal(p10), Decimal(p50), Decimal(p90), Decimal(mean))


def varied_deals(count: int) -> list[OpenDeal]:
    """Amounts 1,000.00 to about 8,000 and probabilities spread over 0-100, all in stage 0."""
    return [
        OpenDeal(amount=Decimal(1000) + Decimal("35.25") * n, probability=(n * 37) % 101, stage=0)
        for n in range(count)
    ]


def test_a_certain_deal_lands_whole_in_its_period() -> None:
    # given one deal of 1000 at 100 %, in a stage whose won deals all closed after 10 days
    deals = [OpenDeal(amount=Decimal("1000.00"), probability=100, stage=0)]
    close_days = [[(10, 4)]]

    # when the next two months are simulated
    forecast = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=1, runs=500)

    # then every run puts 1000 on day 10, inside (0, 30): all percentiles and the mean are 1000;
    # (31, 60) never gets anything, and the total is the first period's
    first, second = forecast.periods
    assert (first.first_day, first.last_day) == (0, 30)
    assert first.won == spread("1000.00", "1000.00", "1000.00", "1000.00")
    assert second.won == spread("0.00", "0.00", "0.00", "0.00")
    assert forecast.total == first.won
    assert forecast.runs == 500


def test_a_deal_with_no_chance_is_never_won() -> None:
    # given a large deal at 0 %
    deals = [OpenDeal(amount=Decimal("250000.00"), probability=0, stage=0)]

    # when it is simulated
    forecast = simulate_forecast(deals, [[(3, 1)]], NEXT_TWO_MONTHS, seed=1, runs=1000)

    # then no run wins anything
    for period in forecast.periods:
        assert period.won == Spread(ZERO, ZERO, ZERO, ZERO)
    assert forecast.total == Spread(ZERO, ZERO, ZERO, ZERO)


def test_a_close_day_outside_every_period_counts_nowhere() -> None:
    # given a certain deal whose stage closes after 100 days, and a gap at days 31-59
    deals = [OpenDeal(amount=Decimal("500.00"), probability=100, stage=0)]
    periods = [(0, 30), (60, 90)]

    # when it is simulated
    forecast = simulate_forecast(deals, [[(100, 1), (45, 1)]], periods, seed=3, runs=200)

    # then day 100 is after the last period and day 45 falls in the gap: nothing is counted
    assert all(period.won.p90 == ZERO for period in forecast.periods)
    assert forecast.total.p90 == ZERO


def test_the_mean_of_many_runs_is_the_weighted_forecast() -> None:
    # given 200 deals, all closing inside the one period (days 12 and 20 are both in 0-30)
    deals = varied_deals(200)
    runs = 10_000
    amounts = [float(deal.amount or 0) for deal in deals]
    chances = [deal.probability / 100 for deal in deals]

    # when they are simulated
    forecast = simulate_forecast(deals, [[(12, 3), (20, 1)]], [(0, 30)], seed=2024, runs=runs)

    # then the mean is within 1 % of Σ amount × p / 100: each run's sum has variance
    # Σ amount² × p × (1 − p), so the mean of `runs` runs has standard error sqrt(var / runs);
    # 1 % of the forecast must be at least 5 standard errors for the check to be fair (a miss
    # then has a chance below one in a million whatever the seed)
    weighted = sum(a * p for a, p in zip(amounts, chances, strict=True))
    variance = sum(a * a * p * (1 - p) for a, p in zip(amounts, chances, strict=True))
    standard_error = math.sqrt(variance / runs)
    tolerance = 0.01 * weighted
    assert tolerance >= 5 * standard_error
    assert abs(float(forecast.periods[0].won.mean) - weighted) <= tolerance
    assert forecast.total.mean == forecast.periods[0].won.mean
    assert forecast.total.p10 < forecast.total.p50 < forecast.total.p90


def test_the_same_seed_gives_the_same_forecast_and_another_seed_another() -> None:
    # given a varied pipeline spread over two months
    deals = varied_deals(150)
    close_days = [[(5, 2), (25, 3), (40, 4), (58, 1), (75, 1)]]

    # when it is simulated twice with seed 7 and once with seed 8
    first = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=7, runs=2000)
    again = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=7, runs=2000)
    other = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=8, runs=2000)

    # then seed 7 repeats itself to the cent, and seed 8 draws a different median
    assert again == first
    assert other.total.p50 != first.total.p50
    assert other.periods[0].won.p50 != first.periods[0].won.p50


@pytest.mark.parametrize("chunk_runs", [1, 7, 250, 999, 1000, None])
def test_the_chunk_size_does_not_change_the_result(chunk_runs: int | None) -> None:
    # given a varied pipeline and its forecast computed with every run in one chunk
    deals = varied_deals(120)
    close_days = [[(5, 2), (25, 3), (40, 4), (75, 1)]]
    whole = simulate_forecast(
        deals, close_days, NEXT_TWO_MONTHS, seed=11, runs=1000, chunk_runs=1000
    )

    # when it is computed again in chunks of `chunk_runs` runs
    chunked = simulate_forecast(
        deals, close_days, NEXT_TWO_MONTHS, seed=11, runs=1000, chunk_runs=chunk_runs
    )

    # then the draws are the same stream in the same order: identical to the cent
    assert chunked == whole


def test_one_deal_spread_over_two_periods() -> None:
    # given a certain deal of 1000 whose stage closed half its deals on day 5, half on day 40
    deals = [OpenDeal(amount=Decimal("1000.00"), probability=100, stage=0)]
    close_days = [[(5, 1), (40, 1)]]
    runs = 10_000

    # when it is simulated
    forecast = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=5, runs=runs)

    # then each period gets 0 or 1000, each about half the time: P10 is 0 and P90 is 1000 in
    # both; a period's median (0, 1000, or 500 between the two middle runs) is 1000 minus the
    # other's, since every run puts the 1000 in exactly one of them. The mean is 500 with a
    # standard error of 500 / sqrt(10,000) = 5, so 25 is 5 standard errors.
    first, second = forecast.periods
    for period in (first, second):
        assert period.won.p10 == ZERO
        assert period.won.p90 == Decimal("1000.00")
        assert abs(period.won.mean - 500) <= 25
    assert first.won.p50 + second.won.p50 == Decimal("1000.00")
    assert forecast.total == spread("1000.00", "1000.00", "1000.00", "1000.00")


def test_many_deals_spread_over_two_periods() -> None:
    # given 100 certain deals of 10 each, in a stage that closed half on day 5, half on day 40
    deals = [OpenDeal(amount=10, probability=100, stage=0) for _ in range(100)]
    close_days = [[(5, 1), (40, 1)]]

    # when they are simulated
    forecast = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=9, runs=10_000)

    # then each period gets 10 × Binomial(100, ½): mean 500, standard deviation
    # 10 × sqrt(100 × ½ × ½) = 50. Its median is 500; its 10 % quantile is 440 (P(X ≤ 43) =
    # 0.097, P(X ≤ 44) = 0.136) and its 90 % one 560 by symmetry, about 500 ∓ 1.28 × 50.
    # The bounds leave room for one step of 10 either way from sampling.
    for period in forecast.periods:
        assert period.won.p50 == Decimal("500.00")
        assert Decimal(420) <= period.won.p10 <= Decimal(460)
        assert Decimal(540) <= period.won.p90 <= Decimal(580)
        assert abs(period.won.mean - 500) <= 5
    # and every run wins all 100 deals in one period or the other: 1000 in all
    assert forecast.total == spread("1000.00", "1000.00", "1000.00", "1000.00")


def test_a_stage_without_history_uses_each_deals_expected_day() -> None:
    # given stage 1 with no won deals in its history, and four certain deals in it:
    # one expected in 45 days, one overdue by 3 days, one with no expected date, one with no
    # amount; stage 0 has history but no deals
    deals = [
        OpenDeal(amount=Decimal("300.00"), probability=100, stage=1, expected_in_days=45),
        OpenDeal(amount=Decimal("20.50"), probability=100, stage=1, expected_in_days=-3),
        OpenDeal(amount=Decimal("7000.00"), probability=100, stage=1),
        OpenDeal(amount=None, probability=100, stage=1, expected_in_days=10),
    ]
    close_days: list[list[tuple[int, int]]] = [[(2, 5)], []]

    # when they are simulated
    forecast = simulate_forecast(deals, close_days, NEXT_TWO_MONTHS, seed=4, runs=300)

    # then day 45 lies in (31, 60), the overdue deal counts as today in (0, 30), the deal with
    # no day lands nowhere and the one with no amount adds 0: 20.50 + 300.00 = 320.50 in all
    first, second = forecast.periods
    assert first.won == spread("20.50", "20.50", "20.50", "20.50")
    assert second.won == spread("300.00", "300.00", "300.00", "300.00")
    assert forecast.total == spread("320.50", "320.50", "320.50", "320.50")


def test_float_amounts_come_back_as_money() -> None:
    # given a certain deal whose amount is a float
    deals = [OpenDeal(amount=1234.5, probability=100, stage=0)]

    # when it is simulated
    forecast = simulate_forecast(deals, [[(1, 1)]], [(0, 30)], seed=1, runs=10)

    # then the amount comes back as a Decimal with two places
    assert str(forecast.total.p50) == "1234.50"


def lognormal_deals(count: int, seed: int) -> list[OpenDeal]:
    """Amounts spread as real pipelines' are (a few large deals, many small), in five stages."""
    rng = np.random.default_rng(seed)
    amounts = np.round(rng.choice([20e3, 80e3, 450e3], count) * rng.lognormal(0, 0.7, count), -2)
    chances = rng.choice([10, 20, 40, 60, 80], count)
    stages = rng.integers(0, 5, count)
    return [
        OpenDeal(amount=Decimal(int(a)), probability=int(p), stage=int(s))
        for a, p, s in zip(amounts, chances, stages, strict=True)
    ]


FIVE_STAGES = [[(3 + 9 * stage, 2), (20 + 11 * stage, 3), (70, 1)] for stage in range(5)]


def test_a_large_pipeline_drawn_partly_in_aggregate_agrees_with_drawing_every_deal() -> None:
    # given 5,000 deals, and the same deals split into the 100 largest and the rest in groups
    deals = lognormal_deals(5000, seed=3)
    largest = sorted(deals, key=lambda deal: -(deal.amount or 0))
    top, rest = largest[:100], group_deals(largest[100:], FIVE_STAGES)
    runs = 4000

    # when both are simulated over the next two months
    every = simulate_forecast(deals, FIVE_STAGES, NEXT_TWO_MONTHS, seed=1, runs=runs)
    part = simulate_forecast(top, FIVE_STAGES, NEXT_TWO_MONTHS, seed=2, runs=runs, rest=rest)

    # then the aggregate part is said, its estimated error is below a tenth of a point,
    # and each figure's P10, P50, P90 and mean agree within 5 standard errors of a difference
    # of two independent estimates from `runs` runs (the spread is near normal: a quantile's
    # standard error is sqrt(p (1 − p) / runs) / density, the density at P50 about
    # 1 / (σ √(2π)) and at P10 and P90 about 0.175 / σ, with σ ≈ (P90 − P10) / 2.563)
    assert part.aggregated == 4900
    assert part.aggregate_error < MAX_AGGREGATE_ERROR
    pairs = [
        (ours.won, theirs.won) for ours, theirs in zip(part.periods, every.periods, strict=True)
    ]
    for mine, other in [*pairs, (part.total, every.total)]:
        sigma = float(other.p90 - other.p10) / 2.563
        density = {0.1: 0.175 / sigma, 0.5: 0.399 / sigma, 0.9: 0.175 / sigma}
        for p, a, b in [(0.1, mine.p10, other.p10), (0.5, mine.p50, other.p50),
                        (0.9, mine.p90, other.p90)]:  # fmt: skip
            error = math.sqrt(p * (1 - p) / runs) / density[p]
            assert abs(float(a - b)) < 5 * math.sqrt(2) * error
        assert abs(float(mine.mean - other.mean)) < 5 * math.sqrt(2) * sigma / math.sqrt(runs)


def test_the_aggregate_part_has_the_mean_and_spread_of_its_deals() -> None:
    # given 3,000 deals in aggregate only, all in one stage whose deals close inside the period
    deals = [OpenDeal(amount=Decimal(100 + n % 900), probability=10 + n % 70, stage=0)
             for n in range(3000)]  # fmt: skip
    runs = 40_000

    # when they are simulated
    result = simulate_forecast([], [[(5, 1)]], [(0, 30)], seed=6, runs=runs,
                               rest=group_deals(deals, [[(5, 1)]]))  # fmt: skip

    # then the mean is Σ a p within 5 standard errors, and P90 − P10 is 2.563 standard
    # deviations of the sum (sqrt Σ a² p (1 − p)) within 3 %
    mean = sum(float(d.amount or 0) * d.probability / 100 for d in deals)
    variance = sum(float(d.amount or 0) ** 2 * d.probability / 100 * (1 - d.probability / 100)
                   for d in deals)  # fmt: skip
    sigma = math.sqrt(variance)
    assert abs(float(result.total.mean) - mean) < 5 * sigma / math.sqrt(runs)
    assert float(result.total.p90 - result.total.p10) == pytest.approx(2.563 * sigma, rel=0.03)
    assert result.aggregated == 3000


def test_only_many_small_deals_are_drawn_in_aggregate() -> None:
    # given a pipeline's deals as groups: 20,000 deals of about the same size, and 3 deals
    many = group_deals(lognormal_deals(20_000, seed=8), FIVE_STAGES)
    few = group_deals(lognormal_deals(3, seed=8), FIVE_STAGES)

    # then the many are estimated to move a percentile by far less than a tenth of a point,
    # the few by more: they must be drawn one by one
    assert aggregate_error(many, FIVE_STAGES, NEXT_TWO_MONTHS) < MAX_AGGREGATE_ERROR / 10
    assert aggregate_error(few, FIVE_STAGES, NEXT_TWO_MONTHS) > MAX_AGGREGATE_ERROR

    # and every deal is drawn while deals × runs stays within the budget; beyond, the largest
    assert exact_deals(ALL_EXACT_CELLS // 10_000, 10_000) == ALL_EXACT_CELLS // 10_000
    assert exact_deals(ALL_EXACT_CELLS // 10_000 + 1, 10_000) == EXACT_CELLS // 10_000
    assert exact_deals(10**9, 10**9) == 1


GOOD: dict[str, Any] = {
    "deals": [OpenDeal(amount=Decimal(100), probability=50, stage=0)],
    "close_days": [[(10, 1)]],
    "periods": NEXT_TWO_MONTHS,
    "seed": 1,
    "runs": 100,
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param(
            {"deals": [OpenDeal(amount=1, probability=-1, stage=0)]},
            "deals.0.probability",
            "Enter a probability between 0 and 100.",
            id="negative probability",
        ),
        pytest.param(
            {"deals": [*GOOD["deals"], OpenDeal(amount=1, probability=101, stage=0)]},
            "deals.1.probability",
            "Enter a probability between 0 and 100.",
            id="probability over 100",
        ),
        pytest.param(
            {"deals": [OpenDeal(amount=Decimal("-0.01"), probability=10, stage=0)]},
            "deals.0.amount",
            "Enter an amount of zero or more.",
            id="negative amount",
        ),
        pytest.param(
            {"deals": [OpenDeal(amount=float("nan"), probability=10, stage=0)]},
            "deals.0.amount",
            "Enter an amount of zero or more.",
            id="amount not a number",
        ),
        pytest.param(
            {"deals": [OpenDeal(amount=1, probability=10, stage=1)]},
            "deals.0.stage",
            "This stage has no close-day histogram.",
            id="stage without a histogram",
        ),
        pytest.param(
            {"close_days": [[(-1, 1)]]},
            "close_days.0",
            "Days until close cannot be negative.",
            id="negative day in a histogram",
        ),
        pytest.param(
            {"close_days": [[(3, -1)]]},
            "close_days.0",
            "A count of deals cannot be negative.",
            id="negative count in a histogram",
        ),
        pytest.param(
            {"rest": [DealGroup(10, 0, None, 1, Decimal(-5), 25.0, -125.0, 625.0)]},
            "rest.0.amount",
            "Enter an amount of zero or more.",
            id="negative amount in a group",
        ),
        pytest.param(
            {"rest": [DealGroup(10, 3, None, 1, Decimal(5), 25.0, 125.0, 625.0)]},
            "rest.0.stage",
            "This stage has no close-day histogram.",
            id="group in a stage without a histogram",
        ),
        pytest.param({"runs": 0}, "runs", "Run the simulation at least once.", id="no runs"),
        pytest.param(
            {"chunk_runs": 0}, "chunk_runs", "A chunk needs at least one run.", id="empty chunk"
        ),
        pytest.param({"seed": -1}, "seed", "The seed cannot be negative.", id="negative seed"),
        pytest.param({"periods": []}, "periods", "Give at least one period.", id="no periods"),
        pytest.param(
            {"periods": [(0, 30), (30, 60)]},
            "periods.1",
            "Periods must follow one another in order without overlapping.",
            id="overlapping periods",
        ),
        pytest.param(
            {"periods": [(31, 60), (0, 30)]},
            "periods.1",
            "Periods must follow one another in order without overlapping.",
            id="periods out of order",
        ),
        pytest.param(
            {"periods": [(10, 9)]},
            "periods.0",
            "A period cannot end before it starts.",
            id="period ending before it starts",
        ),
        pytest.param(
            {"periods": [(-7, 0)]},
            "periods.0",
            "A period cannot start before today.",
            id="period in the past",
        ),
    ],
)
def test_bad_input_is_refused(change: dict[str, Any], field: str, message: str) -> None:
    # given good arguments with one of them spoiled
    arguments = {**GOOD, **change}

    # when the forecast is asked for
    with pytest.raises(ValidationFailed) as refused:
        simulate_forecast(**arguments)

    # then the one field at fault is named, in English
    [error] = refused.value.errors
    assert (error.field, str(error.message)) == (field, message)
