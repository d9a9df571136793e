"""Monte Carlo sales forecast: how much of the open pipeline may be won in each coming period.

The weighted forecast (amount × probability) gives one number and hides the spread: a quarter
that rests on two large deals is far less certain than one spread over fifty small ones. Here
each run plays the pipeline out once: every open deal is won or lost on its own probability,
and a won deal closes on a day drawn from what history says about deals in its stage. The
spread of the runs' totals gives P10 / P50 / P90 per period and in all.

The function is pure (no database, no clock): callers gather the deals and the per-stage
close-day histograms, and turn dates into day offsets from today themselves.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext_lazy as _
from threadpoolctl import threadpool_limits

from salesflow.core.errors import ValidationFailed

FloatArray = npt.NDArray[np.float64]

DEFAULT_RUNS = 10_000

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


def simulate_forecast(
    deals: Sequence[OpenDeal],
    close_days: Sequence[Sequence[tuple[int, int]]],
    periods: Sequence[tuple[int, int]],
    *,
    seed: int,
    runs: int = DEFAULT_RUNS,
    chunk_runs: int | None = None,
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

    landed = np.zeros((len(periods), runs), dtype=np.float64)
    if cents.size:
        _simulate(cents, thresholds, landed, np.random.default_rng(seed), chunk_runs)
    by_period = np.diff(landed, axis=0, prepend=0.0)
    return Forecast(
        periods=tuple(
            PeriodForecast(first, last, _spread(by_period[index]))
            for index, (first, last) in enumerate(zip(firsts, lasts, strict=True))
        ),
        total=_spread(landed[-1]),
        runs=runs,
        seed=seed,
    )


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


def _deal_arrays(
    deals: Sequence[OpenDeal],
    stage_cumulative: list[FloatArray | None],
    firsts: list[int],
    lasts: list[int],
) -> tuple[FloatArray, FloatArray]:
    """Cents, and per period the win threshold (probability × cumulative period share), per deal.

    Every deal points at one row of cumulative shares: its stage's, or for a stage without
    history the point mass of the period holding its expected day, or a row of zeros. Deals
    that can add nothing (no amount, no chance, every close day outside the periods) are left
    out: they would only cost draws.
    """
    period_count = len(firsts)
    stage_count = len(stage_cumulative)
    nowhere = stage_count + period_count
    shares = np.zeros((nowhere + 1, period_count), dtype=np.float64)
    for stage, cumulative in enumerate(stage_cumulative):
        if cumulative is not None:
            shares[stage] = cumulative
    shares[stage_count:nowhere] = np.triu(np.ones((period_count, period_count)))

    cents = np.empty(len(deals), dtype=np.float64)
    chances = np.empty(len(deals), dtype=np.float64)
    rows = np.empty(len(deals), dtype=np.intp)
    for index, deal in enumerate(deals):
        if not 0 <= deal.probability <= 100:
            raise ValidationFailed.one(
                f"deals.{index}.probability", _("Enter a probability between 0 and 100.")
            )
        if not 0 <= deal.stage < stage_count:
            raise ValidationFailed.one(
                f"deals.{index}.stage", _("This stage has no close-day histogram.")
            )
        cents[index] = _cents(deal.amount, f"deals.{index}.amount")
        chances[index] = deal.probability / 100
        row = deal.stage
        if stage_cumulative[row] is None:
            row = nowhere
            if deal.expected_in_days is not None:
                position = _period_index(max(0, deal.expected_in_days), firsts, lasts)
                if position is not None:
                    row = stage_count + position
        rows[index] = row

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
