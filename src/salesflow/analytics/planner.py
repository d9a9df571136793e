"""The reverse funnel: from a period's target back to the deals each stage needs, week by week.

Everything here is exact arithmetic on plain values (no database): 21 contracts at a rate of
70% need 21 / (7/10) = 30 deals, where floats give 30.000000000000004 and a ceiling of 31.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed

Rate = Fraction | Decimal
Weight = Fraction | Decimal | int


@dataclass(frozen=True)
class FunnelStage:
    """An open stage, in pipeline order; the last one's rate is its conversion to won."""

    key: int
    name: str
    conversion_to_next: Rate


@dataclass(frozen=True)
class StageNeed:
    stage_key: int
    name: str
    required: int
    conversion_to_next: Fraction


@dataclass(frozen=True)
class RepWeek:
    """One rep's share of one week; `entering` follows the order of `Plan.stages`."""

    rep_id: int
    entering: tuple[int, ...]
    won: int


@dataclass(frozen=True)
class WeekPlan:
    """A Monday-to-Sunday week, cut to the period at either end."""

    first_day: datetime.date
    last_day: datetime.date
    reps: tuple[RepWeek, ...]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def for_rep(self, rep_id: int) -> RepWeek:
        for rep in self.reps:
            if rep.rep_id == rep_id:
                return rep
        raise KeyError(rep_id)


@dataclass(frozen=True)
class Plan:
    target_contracts: int
    stages: tuple[StageNeed, ...]
    weeks: tuple[WeekPlan, ...]
    rep_ids: tuple[int, ...]

    def total_entering(
        self, stage_key: int, *, rep_id: int | None = None, week: int | None = None
    ) -> int:
        """Sums the weekly cells, so callers can check any slice against the stage's need."""
        index = next((i for i, s in enumerate(self.stages) if s.stage_key == stage_key), None)
        if index is None:
            raise KeyError(stage_key)
        return sum(cell.entering[index] for cell in self._cells(rep_id, week))

    def total_won(self, *, rep_id: int | None = None, week: int | None = None) -> int:
        return sum(cell.won for cell in self._cells(rep_id, week))

    def _cells(self, rep_id: int | None, week: int | None) -> list[RepWeek]:
        weeks = self.weeks if week is None else (self.weeks[week],)
        return [c for w in weeks for c in w.reps if rep_id is None or c.rep_id == rep_id]


def rate_from_counts(reached_next: int, reached_stage: int) -> Fraction:
    """A historical funnel gives counts; their ratio is the exact rate, with no rounding."""
    if reached_stage <= 0:
        raise ValidationFailed.one(
            "reached_stage", _("At least one deal must have reached the stage.")
        )
    if reached_next < 0:
        raise ValidationFailed.one("reached_next", _("A count of deals cannot be negative."))
    return Fraction(reached_next, reached_stage)


def rates_from_counts(reached: Sequence[int]) -> tuple[Fraction, ...]:
    """Counts of deals that reached each open stage then won, e.g. 100, 50, 20, 10, 5, 3."""
    if len(reached) < 2:
        raise ValidationFailed.one(
            "reached", _("Give the deals that reached each open stage, then the won deals.")
        )
    return tuple(rate_from_counts(n, s) for s, n in itertools.pairwise(reached))


def rate_from_percent(percent: int | Decimal) -> Fraction:
    """Percentages as people type them (50 or Decimal('37.5')), kept exact."""
    return _exact(percent, "percent") / 100


def contracts_for_revenue(target_revenue: Decimal, average_deal_size: Decimal | None) -> int:
    """Whole contracts: a revenue short by a fraction of a deal still needs one more deal."""
    revenue = _exact(target_revenue, "target_revenue")
    if revenue <= 0:
        raise ValidationFailed.one("target_revenue", _("The target revenue must be above zero."))
    if average_deal_size is None:
        raise ValidationFailed.one("average_deal_size", _("This field is required."))
    size = _exact(average_deal_size, "average_deal_size")
    if size <= 0:
        raise ValidationFailed.one(
            "average_deal_size", _("The average won deal size must be above zero.")
        )
    return math.ceil(revenue / size)


def stage_needs(stages: Sequence[FunnelStage], target_contracts: int) -> tuple[StageNeed, ...]:
    """Each stage needs the fewest deals n with n × rate ≥ what the next stage needs."""
    _check_target(target_contracts)
    rates = _checked_rates(stages)
    needs: list[StageNeed] = []
    needed_next = target_contracts
    for stage, rate in zip(reversed(stages), reversed(rates), strict=True):
        needed_next = math.ceil(needed_next / rate)
        needs.append(StageNeed(stage.key, stage.name, needed_next, rate))
    return tuple(reversed(needs))


def period_weeks(
    first_day: datetime.date, last_day: datetime.date
) -> tuple[tuple[datetime.date, datetime.date], ...]:
    """Monday-to-Sunday weeks, the first and last cut to the period."""
    if last_day < first_day:
        raise ValidationFailed.one("last_day", _("The period must not end before its first day."))
    weeks = []
    start = first_day
    while start <= last_day:
        sunday = start + datetime.timedelta(days=6 - start.weekday())
        end = min(sunday, last_day)
        weeks.append((start, end))
        start = end + datetime.timedelta(days=1)
    return tuple(weeks)


def apportion(total: int, weights: Sequence[Fraction | int]) -> tuple[int, ...]:
    """Whole shares that add up to `total`; equal remainders favour the earlier position.

    Worked in integers: the weights are scaled to a common denominator, so each quota is
    total × weight / sum and its remainder an integer modulo the sum.
    """
    scale = math.lcm(*(Fraction(w).denominator for w in weights)) if weights else 1
    scaled = [int(w * scale) for w in weights]
    weight_sum = sum(scaled)
    if total < 0 or weight_sum <= 0 or any(w < 0 for w in scaled):
        raise ValueError("apportion needs a non-negative total and non-negative weights")
    shares = [total * w // weight_sum for w in scaled]
    remainders = [total * w % weight_sum for w in scaled]
    by_remainder = sorted(range(len(scaled)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return tuple(shares)


def plan_for_contracts(
    stages: Sequence[FunnelStage],
    target_contracts: int,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    rep_ids: Sequence[int],
    weights: Sequence[Weight] | None = None,
) -> Plan:
    """Weights are each rep's share of the team's quota; without them the reps share equally."""
    needs = stage_needs(stages, target_contracts)
    weeks = period_weeks(first_day, last_day)
    rep_weights = _checked_reps(rep_ids, weights)
    day_counts = [(end - start).days + 1 for start, end in weeks]

    grids = [_spread(need.required, rep_weights, day_counts) for need in needs]
    won_grid = _spread(target_contracts, rep_weights, day_counts)
    week_plans = tuple(
        WeekPlan(
            first_day=start,
            last_day=end,
            reps=tuple(
                RepWeek(
                    rep_id=rep_id,
                    entering=tuple(grid[r][w] for grid in grids),
                    won=won_grid[r][w],
                )
                for r, rep_id in enumerate(rep_ids)
            ),
        )
        for w, (start, end) in enumerate(weeks)
    )
    return Plan(target_contracts, needs, week_plans, tuple(rep_ids))


def plan_for_revenue(
    stages: Sequence[FunnelStage],
    target_revenue: Decimal,
    average_deal_size: Decimal | None,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    rep_ids: Sequence[int],
    weights: Sequence[Weight] | None = None,
) -> Plan:
    return plan_for_contracts(
        stages,
        contracts_for_revenue(target_revenue, average_deal_size),
        first_day=first_day,
        last_day=last_day,
        rep_ids=rep_ids,
        weights=weights,
    )


def _exact(value: object, field: str) -> Fraction:
    """Floats cannot say 0.6 exactly, and the plan's ceilings depend on exact values."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationFailed.one(field, _("Enter a finite number."))
        return Fraction(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    raise ValidationFailed.one(
        field, _("Give an exact number (a Fraction, a Decimal or a whole number).")
    )


def _check_target(target_contracts: int) -> None:
    if (
        not isinstance(target_contracts, int)
        or isinstance(target_contracts, bool)
        or target_contracts <= 0
    ):
        raise ValidationFailed.one(
            "target_contracts", _("The target must be a whole number of contracts above zero.")
        )


def _checked_rates(stages: Sequence[FunnelStage]) -> list[Fraction]:
    if not stages:
        raise ValidationFailed.one("stages", _("A plan needs at least one open stage."))
    if len({stage.key for stage in stages}) != len(stages):
        raise ValidationFailed.one("stages", _("Each stage may appear only once."))
    rates = []
    for stage in stages:
        field = f"conversion_to_next.{stage.key}"
        rate = _exact(stage.conversion_to_next, field)
        if rate <= 0:
            raise ValidationFailed.one(
                field,
                _("The conversion rate of “%(stage)s” must be above zero.") % {"stage": stage.name},
            )
        if rate > 1:
            raise ValidationFailed.one(
                field,
                _("The conversion rate of “%(stage)s” cannot exceed 100%%.")
                % {"stage": stage.name},
            )
        rates.append(rate)
    return rates


def _checked_reps(rep_ids: Sequence[int], weights: Sequence[Weight] | None) -> list[Fraction]:
    if not rep_ids:
        raise ValidationFailed.one("rep_ids", _("Choose at least one rep."))
    if len(set(rep_ids)) != len(rep_ids):
        raise ValidationFailed.one("rep_ids", _("Each rep may appear only once."))
    if weights is None:
        return [Fraction(1)] * len(rep_ids)
    if len(weights) != len(rep_ids):
        raise ValidationFailed.one("weights", _("Give one weight per rep."))
    exact = [_exact(w, "weights") for w in weights]
    if any(w < 0 for w in exact):
        raise ValidationFailed.one("weights", _("A weight cannot be negative."))
    if not any(exact):
        raise ValidationFailed.one("weights", _("At least one rep needs a weight above zero."))
    return exact


def _spread(
    total: int, rep_weights: Sequence[Fraction], day_counts: Sequence[int]
) -> list[list[int]]:
    """Fair whole totals per rep and per week first, then cells that keep both.

    Each cell is the floor or ceiling of rep total × week total / total, so no rep's plan piles
    up in the first weeks and no week collects every rep's extra deal.
    """
    rep_totals = apportion(total, rep_weights)
    week_totals = apportion(total, day_counts)
    if total == 0:
        return [[0] * len(week_totals) for _ in rep_totals]
    # cell quotas rep total × week total / total, kept as integer numerators over `total`
    numerators = [[r * w for w in week_totals] for r in rep_totals]
    return _round_with_totals(numerators, total, rep_totals, week_totals)


def _round_with_totals(
    numerators: list[list[int]],
    denominator: int,
    row_totals: Sequence[int],
    column_totals: Sequence[int],
) -> list[list[int]]:
    """Rounds each cell's quota (numerator / denominator) up or down so that rows and columns
    keep their totals exactly.

    The largest remainders are rounded up first (ties: earlier row, then earlier column);
    when that corners a row, an augmenting path moves a rounding-up elsewhere. A solution
    always exists because the remainders themselves are a fractional one.
    """
    cells = [[n // denominator for n in row] for row in numerators]
    row_short = [t - sum(row) for t, row in zip(row_totals, cells, strict=True)]
    column_short = [t - sum(row[c] for row in cells) for c, t in enumerate(column_totals)]
    remainders = [[n % denominator for n in row] for row in numerators]
    candidates = sorted(
        (
            (r, c)
            for r, row in enumerate(remainders)
            for c, remainder in enumerate(row)
            if remainder
        ),
        key=lambda rc: (-remainders[rc[0]][rc[1]], rc[0], rc[1]),
    )
    rounded_up: set[tuple[int, int]] = set()
    for r, c in candidates:
        if row_short[r] and column_short[c]:
            rounded_up.add((r, c))
            row_short[r] -= 1
            column_short[c] -= 1
    columns_of: dict[int, list[int]] = {}
    rows_of: dict[int, list[int]] = {}
    for r, c in candidates:
        columns_of.setdefault(r, []).append(c)
        rows_of.setdefault(c, []).append(r)
    for r in range(len(numerators)):
        while row_short[r]:
            c = _augment(r, columns_of, rows_of, rounded_up, column_short)
            row_short[r] -= 1
            column_short[c] -= 1
    for r, c in rounded_up:
        cells[r][c] += 1
    return cells


def _augment(
    start_row: int,
    columns_of: dict[int, list[int]],
    rows_of: dict[int, list[int]],
    rounded_up: set[tuple[int, int]],
    column_short: Sequence[int],
) -> int:
    """Breadth-first search for row → column → row … → a column still short; flips the path.

    Row to column follows a cell still rounded down, column to row one already rounded up.
    """
    came_from_row: dict[int, int] = {}
    came_from_column: dict[int, int] = {start_row: -1}
    queue = deque([start_row])
    while queue:
        r = queue.popleft()
        for c in columns_of.get(r, []):
            if (r, c) in rounded_up or c in came_from_row:
                continue
            came_from_row[c] = r
            if column_short[c]:
                _flip(c, came_from_row, came_from_column, rounded_up)
                return c
            for next_row in rows_of[c]:
                if (next_row, c) in rounded_up and next_row not in came_from_column:
                    came_from_column[next_row] = c
                    queue.append(next_row)
    raise RuntimeError("no rounding keeps every total; the quotas were inconsistent")


def _flip(
    end_column: int,
    came_from_row: dict[int, int],
    came_from_column: dict[int, int],
    rounded_up: set[tuple[int, int]],
) -> None:
    c = end_column
    while c != -1:
        r = came_from_row[c]
        rounded_up.add((r, c))
        c = came_from_column[r]
        if c != -1:
            rounded_up.remove((r, c))
