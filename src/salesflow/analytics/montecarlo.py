"""Monte Carlo sales forecast: how much of the open pipeline may be won in each coming period.

The weighted forecast (amount × probability) gives one number and hides the spread: a quarter
that rests on two large deals is far less certain than one spread over fifty small ones. Here
each run plays the pipeline out once: every open deal is won or lost on its own probability,
and a won deal closes on a day drawn from what history says about deals in its stage. The
spread of the runs' totals gives P10 / P50 / P90 per period and in all.

A large pipeline is not drawn deal by deal: 10,000 runs over 100,000 open deals would take
a billion draws. Its largest deals are (`exact_deals` says how many), and the rest are drawn
in aggregate, as `DealGroup`s: for each reported figure (each period and the total) the sum
the small deals add is drawn from a translated gamma distribution with the same mean,
variance and skewness as that sum (the distribution of a sum of many independent wins, to
the order the skewness carries). `aggregate_error` estimates how far that can move any
percentile's rank, from the first term where the two distributions differ (the fourth
cumulant's, in the Edgeworth expansion); callers draw every deal when it exceeds
`MAX_AGGREGATE_ERROR`. Each figure draws its own aggregate part, so a run's total is no longer
the sum of its periods; only the spread of each figure, which is all that is reported, is
simulated.

The function is pure (no database, no clock): callers gather the deals and the per-stage
close-day histograms, and turn dates into day offsets from today themselves.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext_lazy as _
from threadpoolctl import threadpool_limits

from salesflow.core.errors import ValidationFailed

FloatArray = npt.NDArray[np.float64]

DEFAULT_RUNS = 10_000

# Every deal is drawn while deals × runs stays under ALL_EXACT_CELLS (1,000 deals at 10,000
# runs, 45 to 90 ms on a 2-core virtual machine); beyond, the largest EXACT_CELLS / runs deals
# are, and the rest are drawn in aggregate when that moves no percentile's rank by more than a
# tenth of a point: a fifth of the sampling error of a P10 or P90 estimated from 10,000 runs,
# sqrt(0.1 × 0.9 / 10,000).
ALL_EXACT_CELLS = 10_000_000
EXACT_CELLS = 5_000_000
MAX_AGGREGATE_ERROR = 0.001
# The largest value of |He3(x) φ(x)| = |(x³ − 3x) φ(x)|, at x² = 3 − √6: how far the fourth
# cumulant's Edgeworth term can move the distribution function, per unit of excess kurtosis × 24.
_HE3_ROOT = math.sqrt(3 - math.sqrt(6))
_HE3_PEAK = (
    abs(_HE3_ROOT**3 - 3 * _HE3_ROOT) * math.exp(-(_HE3_ROOT**2) / 2) / math.sqrt(2 * math.pi)
)

# Each chunk holds one uniform draw per (run, deal) and a same-sized float buffer for the
# comparisons: 16 bytes per cell. Memory stays flat whatever the number of runs, and a chunk
# small enough to stay in a core's L2 cache across the per-period passes runs about twice as
# fast as one of tens of megabytes.
_CHUNK_BYTES = 2**20
_BYTES_PER_CELL = 16


@dataclass(frozen=True)
class OpenDeal:
    """One open deal as the simulation sees it.

    `stage` indexes the `close_days` histograms given to `simulate_forecast`.
    `expected_in_days` (the deal's own expected close date as days from today) is used only
    when its stage has no history; a negative value means overdue and counts as today.
    """

    amount: Decimal | float | None
    probability: int
    stage: int
    expected_in_days: int | None = None


@dataclass(frozen=True)
class DealGroup:
    """Open deals drawn in aggregate: the same stage, probability and `expected_in_days` (as in
    `OpenDeal`), with the sums of their amounts and of the amounts' powers (None counts as 0)."""

    probability: int
    stage: int
    expected_in_days: int | None
    count: int
    amount: Decimal
    squares: float
    cubes: float
    fourth_powers: float


def stages_without_history(close_days: Sequence[Sequence[tuple[int, int]]]) -> set[int]:
    """The stages whose deals close on their own expected day: no won deal in their histogram."""
    return {stage for stage, histogram in enumerate(close_days)
            if not any(count for _day, count in histogram)}  # fmt: skip


def group_deals(
    deals: Sequence[OpenDeal], close_days: Sequence[Sequence[tuple[int, int]]]
) -> list[DealGroup]:
    """The deals as groups, for drawing in aggregate, keyed as callers with a database group
    them in SQL: the expected day only counts in a stage without history."""
    no_history = stages_without_history(close_days)
    groups: dict[tuple[int, int, int | None], list[Any]] = {}
    for deal in deals:
        day = deal.expected_in_days if deal.stage in no_history else None
        amount = Decimal(deal.amount or 0)
        value = float(amount)
        sums = groups.setdefault((deal.probability, deal.stage, day),
                                 [0, Decimal(0), 0.0, 0.0, 0.0])  # fmt: skip
        sums[0] += 1
        sums[1] += amount
        sums[2] += value**2
        sums[3] += value**3
        sums[4] += value**4
    return [DealGroup(*key, *sums) for key, sums in groups.items()]


def exact_deals(deals: int, runs: int) -> int:
    """How many of a pipeline's deals (its largest) are drawn one by one."""
    if deals * runs <= ALL_EXACT_CELLS:
        return deals
    return max(1, EXACT_CELLS // runs)


@dataclass(frozen=True)
class Spread:
    """Won amount across runs; the percentiles use numpy's default linear interpolation."""

    p10: Decimal
    p50: Decimal
    p90: Decimal
    mean: Decimal


@dataclass(frozen=True)
class PeriodForecast:
    first_day: int
    last_day: int
    won: Spread


@dataclass(frozen=True)
class Forecast:
    periods: tuple[PeriodForecast, ...]
    total: Spread
    runs: int
    seed: int
    aggregated: int = 0  # deals drawn in aggregate
    aggregate_error: float = 0.0  # as `aggregate_error` estimates it


def simulate_forecast(
    deals: Sequence[OpenDeal],
    close_days: Sequence[Sequence[tuple[int, int]]],
    periods: Sequence[tuple[int, int]],
    *,
    seed: int,
    runs: int = DEFAULT_RUNS,
    chunk_runs: int | None = None,
    rest: Sequence[DealGroup] = (),
) -> Forecast:
    """Simulate `runs` outcomes of the open pipeline and summarise the won amount per period.

    `close_days[s]` is stage s's histogram of (days from now until close, number of deals)
    over deals that were in stage s and were later won; an empty histogram (or one whose
    counts are all zero) means no history, and the deal's `expected_in_days` is used instead.
    A won deal whose close day falls outside every period, or that has neither history nor an
    expected day, adds to no period and to no total.

    `periods` are (first_day, last_day) offsets from today, both inclusive, in ascending order
    and not overlapping (gaps are allowed). The total is the sum over the periods.

    P10 / P50 / P90 are `numpy.percentile` with its default "linear" method (Hyndman & Fan
    type 7: linear interpolation between the two nearest order statistics), so a percentile
    may fall between two runs' values. Amounts are summed as whole cents held in float64,
    which is exact (and so independent of summation order) while a run's sum stays below
    2**53 cents; results are rounded half-up to the cent.

    One uniform draw per (run, deal) decides both the outcome and the period: the deal is won
    when u < p, and u / p (uniform on [0, 1) given a win) picks the close day from the stage's
    cumulative histogram. Only which period a day lands in matters, so each histogram is first
    folded onto the periods. Draws are taken in run order from `numpy.random.default_rng(seed)`,
    so the result depends on the seed and the input only, never on `chunk_runs`.

    The deals of `rest` are drawn in aggregate (see the module's docstring), after the others.
    """
    if runs < 1:
        raise ValidationFailed.one("runs", _("Run the simulation at least once."))
    if chunk_runs is not None and chunk_runs < 1:
        raise ValidationFailed.one("chunk_runs", _("A chunk needs at least one run."))
    if seed < 0:
        raise ValidationFailed.one("seed", _("The seed cannot be negative."))
    firsts, lasts = _checked_periods(periods)
    stage_cumulative = [
        _period_cumulative(histogram, firsts, lasts, field=f"close_days.{index}")
        for index, histogram in enumerate(close_days)
    ]
    cents, thresholds = _deal_arrays(deals, stage_cumulative, firsts, lasts)

    moments = _group_moments(rest, stage_cumulative, firsts, lasts)

    rng = np.random.default_rng(seed)
    landed = np.zeros((len(periods), runs), dtype=np.float64)
    if cents.size:
        _simulate(cents, thresholds, landed, rng, chunk_runs)
    # one row per period, then the total
    won = np.vstack([np.diff(landed, axis=0, prepend=0.0), landed[-1:]])
    for index, cumulants in enumerate(moments):
        won[index] += _aggregate_draws(cumulants, rng, runs)
    return Forecast(
        periods=tuple(
            PeriodForecast(first, last, _spread(won[index]))
            for index, (first, last) in enumerate(zip(firsts, lasts, strict=True))
        ),
        total=_spread(won[-1]),
        runs=runs,
        seed=seed,
        aggregated=sum(group.count for group in rest),
        aggregate_error=_error(moments),
    )


def aggregate_error(
    rest: Sequence[DealGroup],
    close_days: Sequence[Sequence[tuple[int, int]]],
    periods: Sequence[tuple[int, int]],
) -> float:
    """How far drawing `rest` in aggregate may move the rank of any percentile reported (as a
    share: 0.001 is a tenth of a percentile point), by the first Edgeworth term in which the
    translated gamma distribution differs from the true one."""
    firsts, lasts = _checked_periods(periods)
    stage_cumulative = [
        _period_cumulative(histogram, firsts, lasts, field=f"close_days.{index}")
        for index, histogram in enumerate(close_days)
    ]
    return _error(_group_moments(rest, stage_cumulative, firsts, lasts))


def _group_moments(
    groups: Sequence[DealGroup],
    stage_cumulative: list[FloatArray | None],
    firsts: list[int],
    lasts: list[int],
) -> FloatArray:
    """The first four cumulants, in cents, of what the groups win in each period and in all.

    A deal of amount c won in a figure with chance q adds c·B(q), whose cumulants are c q,
    c² q(1−q), c³ q(1−q)(1−2q) and c⁴ q(1−q)(1−6q(1−q)); the deals are independent, so the
    cumulants of their sum are the sums of theirs.
    """
    period_count = len(firsts)
    cumulants = np.zeros((period_count + 1, 4), dtype=np.float64)
    if not groups:
        return cumulants
    shares = _share_rows(stage_cumulative, firsts, lasts)
    rows = [_share_row(group, stage_cumulative, firsts, lasts, field=f"rest.{index}")
            for index, group in enumerate(groups)]  # fmt: skip
    powers = np.array(
        [[_cents(group.amount, f"rest.{index}.amount"), group.squares, group.cubes,
          group.fourth_powers] for index, group in enumerate(groups)],
        dtype=np.float64,
    ) * [1.0, 1e4, 1e6, 1e8]  # fmt: skip
    negative = np.flatnonzero((powers < 0).any(axis=1))
    if negative.size:
        field = f"rest.{negative[0]}.amount"
        raise ValidationFailed.one(field, _("Enter an amount of zero or more."))
    probabilities = np.array([group.probability for group in groups], dtype=np.float64) / 100
    landed = shares[rows] * probabilities[:, np.newaxis]
    chances = np.hstack([np.diff(landed, axis=1, prepend=0.0), landed[:, -1:]])
    spread = chances * (1 - chances)
    cumulants[:, 0] = chances.T @ powers[:, 0]
    cumulants[:, 1] = spread.T @ powers[:, 1]
    cumulants[:, 2] = (spread * (1 - 2 * chances)).T @ powers[:, 2]
    cumulants[:, 3] = (spread * (1 - 6 * spread)).T @ powers[:, 3]
    return cumulants


def _error(moments: FloatArray) -> float:
    """The largest Edgeworth estimate over the figures (see `aggregate_error`)."""
    worst = 0.0
    for _mean, variance, third, fourth in moments:
        if variance <= 0:
            continue
        skewness = third / variance**1.5
        kurtosis = fourth / variance**2
        worst = max(worst, float(abs(kurtosis - 1.5 * skewness**2)) * _HE3_PEAK / 24)
    return worst


def _aggregate_draws(cumulants: FloatArray, rng: np.random.Generator, runs: int) -> FloatArray:
    """`runs` draws of a translated gamma with the given mean, variance and skewness."""
    mean, variance, third, _fourth = cumulants
    if variance <= 0:
        return np.full(runs, mean)
    deviation = math.sqrt(variance)
    skewness = third / variance**1.5
    if abs(skewness) < 1e-6:
        return mean + deviation * rng.standard_normal(runs)
    shape = 4 / skewness**2
    scale = deviation * abs(skewness) / 2
    return mean + math.copysign(1.0, skewness) * (rng.gamma(shape, scale, runs) - shape * scale)


def _checked_periods(periods: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    if not periods:
        raise ValidationFailed.one("periods", _("Give at least one period."))
    firsts: list[int] = []
    lasts: list[int] = []
    for index, (first, last) in enumerate(periods):
        field = f"periods.{index}"
        if first < 0:
            raise ValidationFailed.one(field, _("A period cannot start before today."))
        if last < first:
            raise ValidationFailed.one(field, _("A period cannot end before it starts."))
        if lasts and first <= lasts[-1]:
            raise ValidationFailed.one(
                field, _("Periods must follow one another in order without overlapping.")
            )
        firsts.append(int(first))
        lasts.append(int(last))
    return firsts, lasts


def _period_index(day: int, firsts: list[int], lasts: list[int]) -> int | None:
    position = bisect_right(firsts, day) - 1
    if position >= 0 and day <= lasts[position]:
        return position
    return None


def _period_cumulative(
    histogram: Sequence[tuple[int, int]], firsts: list[int], lasts: list[int], *, field: str
) -> FloatArray | None:
    """Fold a close-day histogram onto the periods, as cumulative shares of all won deals.

    The last entry falls short of 1 by the share that closed outside every period. None when
    the stage has no history, so that its deals fall back to their own expected day.
    """
    counts = np.zeros(len(firsts), dtype=np.float64)
    total = 0
    for day, count in histogram:
        if day < 0:
            raise ValidationFailed.one(field, _("Days until close cannot be negative."))
        if count < 0:
            raise ValidationFailed.one(field, _("A count of deals cannot be negative."))
        total += count
        position = _period_index(day, firsts, lasts)
        if position is not None:
            counts[position] += count
    if total == 0:
        return None
    cumulative: FloatArray = np.cumsum(counts) / total
    return cumulative


def _cents(amount: Decimal | float | None, field: str) -> int:
    if amount is None:
        return 0
    try:
        value = (Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise ValidationFailed.one(field, _("Enter an amount of zero or more."))
    return int(value)


def _share_rows(
    stage_cumulative: list[FloatArray | None], firsts: list[int], lasts: list[int]
) -> FloatArray:
    """Rows of cumulative period shares: one per stage (zeros without history), one per
    period (the point mass of a deal expected in it) and, last, zeros (nowhere)."""
    period_count = len(firsts)
    stage_count = len(stage_cumulative)
    shares = np.zeros((stage_count + period_count + 1, period_count), dtype=np.float64)
    for stage, cumulative in enumerate(stage_cumulative):
        if cumulative is not None:
            shares[stage] = cumulative
    shares[stage_count : stage_count + period_count] = np.triu(
        np.ones((period_count, period_count))
    )
    return shares


def _share_row(
    deal: OpenDeal | DealGroup,
    stage_cumulative: list[FloatArray | None],
    firsts: list[int],
    lasts: list[int],
    *,
    field: str,
) -> int:
    """The row of `_share_rows` a deal (or group) closes by: its stage's, or for a stage
    without history the period holding its expected day (or nowhere)."""
    stage_count = len(stage_cumulative)
    probability, stage = deal.probability, deal.stage
    if not 0 <= probability <= 100:
        raise ValidationFailed.one(
            f"{field}.probability", _("Enter a probability between 0 and 100.")
        )
    if not 0 <= stage < stage_count:
        raise ValidationFailed.one(f"{field}.stage", _("This stage has no close-day histogram."))
    if stage_cumulative[stage] is not None:
        return stage
    if deal.expected_in_days is not None:
        position = _period_index(max(0, deal.expected_in_days), firsts, lasts)
        if position is not None:
            return stage_count + position
    return stage_count + len(firsts)


def _deal_arrays(
    deals: Sequence[OpenDeal],
    stage_cumulative: list[FloatArray | None],
    firsts: list[int],
    lasts: list[int],
) -> tuple[FloatArray, FloatArray]:
    """Cents, and per period the win threshold (probability × cumulative period share), per deal.

    Deals that can add nothing (no amount, no chance, every close day outside the periods) are
    left out: they would only cost draws.
    """
    shares = _share_rows(stage_cumulative, firsts, lasts)
    cents = np.empty(len(deals), dtype=np.float64)
    chances = np.empty(len(deals), dtype=np.float64)
    rows = np.empty(len(deals), dtype=np.intp)
    for index, deal in enumerate(deals):
        field = f"deals.{index}"
        rows[index] = _share_row(deal, stage_cumulative, firsts, lasts, field=field)
        cents[index] = _cents(deal.amount, f"{field}.amount")
        chances[index] = deal.probability / 100

    thresholds = shares[rows] * chances[:, np.newaxis]
    counted = (cents > 0) & (thresholds[:, -1] > 0)
    return cents[counted], np.ascontiguousarray(thresholds[counted].T)


def _simulate(
    cents: FloatArray,
    thresholds: FloatArray,
    landed: FloatArray,
    rng: np.random.Generator,
    chunk_runs: int | None,
) -> None:
    """Fill `landed[k, run]` with the cents won in periods 0..k (cumulative over periods).

    A deal lands in period k or earlier exactly when u < threshold[k], so each period costs
    one comparison pass and one matrix-vector product over the chunk.
    """
    # One BLAS thread: the products are small, and a second thread that must wait for a core
    # the web server's other workers are using slows each product down instead of speeding it up.
    with threadpool_limits(limits=1, user_api="blas"):
        _simulate_chunks(cents, thresholds, landed, rng, chunk_runs)


def _simulate_chunks(
    cents: FloatArray,
    thresholds: FloatArray,
    landed: FloatArray,
    rng: np.random.Generator,
    chunk_runs: int | None,
) -> None:
    runs = landed.shape[1]
    deal_count = cents.size
    if chunk_runs is None:
        chunk_runs = max(1, _CHUNK_BYTES // (_BYTES_PER_CELL * deal_count))
    chunk_runs = min(chunk_runs, runs)
    draws = np.empty((chunk_runs, deal_count), dtype=np.float64)
    hits = np.empty((chunk_runs, deal_count), dtype=np.float64)
    for start in range(0, runs, chunk_runs):
        size = min(chunk_runs, runs - start)
        chunk_draws = draws[:size]
        chunk_hits = hits[:size]
        rng.random(out=chunk_draws)
        for k, threshold in enumerate(thresholds):
            np.less(chunk_draws, threshold, out=chunk_hits)
            np.matmul(chunk_hits, cents, out=landed[k, start : start + size])


def _money(cents: float) -> Decimal:
    return Decimal(cents).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(-2)


def _spread(won: FloatArray) -> Spread:
    p10, p50, p90 = np.percentile(won, [10, 50, 90])
    return Spread(
        p10=_money(float(p10)),
        p50=_money(float(p50)),
        p90=_money(float(p90)),
        mean=_money(float(won.mean())),
    )
