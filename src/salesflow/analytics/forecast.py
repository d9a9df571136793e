"""What will close: the weighted pipeline by forecast category, the manager's roll-up with their
adjustments, the win probability learned from history, and the Monte Carlo spread.

Open deals are read from the deals themselves (few, and indexed by expected close date);
history is read from the aggregates only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from salesflow.analytics import montecarlo
from salesflow.analytics.models import DealFact, ForecastAdjustment
from salesflow.analytics.queries import (
    Cut,
    _scoped,
    in_period,
    pipeline_stages,
    ratio,
    stay_sources,
)
from salesflow.core.models import Membership
from salesflow.core.money import ZERO
from salesflow.core.scoping import Actor, visible
from salesflow.pipeline.models import (
    CATEGORY_FLOORS,
    Deal,
    ForecastCategory,
    Stage,
    StageKind,
)

HISTORY_DAYS = 365
# Close-day spreads are cut off here: a deal more than two years away weighs nothing this year.
LONGEST_CLOSE_DAYS = 730
# Histogram weights are probabilities scaled to whole numbers for the simulation.
WEIGHT_SCALE = 10**9


def effective_category() -> Case:
    """The deal's chosen category, else the one its win probability falls in (as in SQL)."""
    return Case(
        When(~Q(forecast_category=""), then=F("forecast_category")),
        *(When(probability__gte=floor, then=Value(str(c))) for floor, c in CATEGORY_FLOORS),
        default=Value(str(ForecastCategory.OMITTED)),
        output_field=CharField(),
    )


def open_deals(actor: Actor, cut: Cut) -> QuerySet[Deal]:
    """The open deals the actor sees in the cut's pipeline, with its owner and customer cuts."""
    deals = visible(Deal, actor).filter(pipeline_id=cut.pipeline_id, stage__kind=StageKind.OPEN)
    if cut.owner_id is not None:
        deals = deals.filter(owner_id=cut.owner_id)
    if cut.team_path is not None:
        members = Membership.objects.filter(
            workspace_id=actor.workspace_id, team__path__startswith=cut.team_path
        )
        deals = deals.filter(owner_id__in=members.values("user_id"))
    return deals.filter(**{f"customer__{k}": v for k, v in cut.customer_cuts().items()})


def closing_in(actor: Actor, cut: Cut) -> QuerySet[Deal]:
    return open_deals(actor, cut).filter(
        expected_close_date__gte=cut.first_day, expected_close_date__lte=cut.last_day
    )


@dataclass
class CategoryLine:
    category: str
    deals: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    adjusted: Decimal | None = None
    adjustment_note: str = ""


@dataclass
class WeightedForecast:
    """Open deals expected to close in the period, by category; amount × probability summed."""

    lines: list[CategoryLine]
    deals: int
    amount: Decimal
    weighted: Decimal
    by_owner: dict[int, list[CategoryLine]] = field(default_factory=dict)


def _lines(rows: list[dict[str, Any]]) -> list[CategoryLine]:
    lines = {c.value: CategoryLine(c.value) for c in ForecastCategory}
    for row in rows:
        line = lines[row["category"]]
        line.deals += row["n"]
        line.amount += row["total"] or Decimal(0)
        line.weighted += row["weighted"] or Decimal(0)
    return list(lines.values())


def weighted_forecast(actor: Actor, cut: Cut, *, by_owner: bool = False) -> WeightedForecast:
    rows = list(
        closing_in(actor, cut)
        .annotate(category=effective_category())
        .values("owner_id", "category")
        .annotate(
            n=Count("*"),
            total=Sum("amount"),
            weighted=Sum(F("amount") * F("probability")) / 100,
        )
        .order_by()
    )
    lines = _lines(rows)
    result = WeightedForecast(
        lines=lines,
        deals=sum(line.deals for line in lines),
        amount=sum((line.amount for line in lines), Decimal(0)),
        weighted=sum((line.weighted for line in lines), Decimal(0)),
    )
    if by_owner:
        owners: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            owners[row["owner_id"]].append(row)
        result.by_owner = {owner: _lines(owner_rows) for owner, owner_rows in owners.items()}
    return result


def adjustments(actor: Actor, cut: Cut, team_id: int | None) -> QuerySet[ForecastAdjustment]:
    """The actor's own adjustments of this roll-up (pipeline, period and team)."""
    return ForecastAdjustment.objects.filter(
        Q(team_id=team_id) if team_id is not None else Q(team__isnull=True),
        workspace_id=actor.workspace_id,
        owner_id=actor.user_id,
        pipeline_id=cut.pipeline_id,
        first_day=cut.first_day,
        last_day=cut.last_day,
    )


def rollup(actor: Actor, cut: Cut, team_id: int | None = None) -> WeightedForecast:
    """The weighted forecast the actor sees, with their adjustment beside each category."""
    forecast = weighted_forecast(actor, cut, by_owner=True)
    chosen = {a.category: a for a in adjustments(actor, cut, team_id)}
    for line in forecast.lines:
        if line.category in chosen:
            line.adjusted = chosen[line.category].amount
            line.adjustment_note = chosen[line.category].note
    return forecast


@dataclass(frozen=True)
class LearnedProbability:
    stage_id: int
    name: str
    configured: int
    learned: Fraction | None
    closed_deals: int


def learned_probabilities(
    actor: Actor, cut: Cut, today: datetime.date | None = None
) -> list[LearnedProbability]:
    """Per open stage, the share of the deals that reached it and were later won.

    Counted over the deals closed in the last year (won or lost), beside the configured
    probability: both stay visible, and neither replaces the other.
    """
    today = today or timezone.localdate()
    stages = pipeline_stages(actor, cut.pipeline_id)
    position = {s.pk: s.position for s in stages}
    rows = (
        _scoped(DealFact, actor, cut)
        .filter(**cut.customer_cuts())
        .filter(
            closed_on__gt=today - datetime.timedelta(days=HISTORY_DAYS),
            closed_on__lte=today,
            outcome__in=[StageKind.WON, StageKind.LOST],
        )
        .values("furthest_stage_id", "outcome")
        .annotate(n=Count("*"))
        .order_by()
    )
    reached: dict[int, int] = defaultdict(int)
    won: dict[int, int] = defaultdict(int)
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    for row in rows:
        is_won = row["outcome"] == StageKind.WON
        furthest = position.get(row["furthest_stage_id"], -1)
        for stage in open_stages:
            if is_won or stage.position <= furthest:
                reached[stage.pk] += row["n"]
                won[stage.pk] += row["n"] if is_won else 0
    return [
        LearnedProbability(
            s.pk, s.name, s.probability, ratio(won[s.pk], reached[s.pk]), reached[s.pk]
        )
        for s in open_stages
    ]


def close_day_histograms(
    actor: Actor, cut: Cut, stages: list[Stage], today: datetime.date
) -> list[list[tuple[int, int]]]:
    """Per open stage, how many days a deal in it takes to close: the observed stays in it and
    every later open stage over the last year, added up (convolved) as independent lengths."""
    year = replace(
        cut, first_day=today - datetime.timedelta(days=HISTORY_DAYS - 1), last_day=today,
        source_channel=None, industry=None, region=None,
    )  # fmt: skip
    daily, monthly = stay_sources(actor, year)
    parts = in_period(year, daily, "day", monthly)
    rows = [
        row
        for part in parts
        for row in part.values("stage_id", "days").annotate(n=Sum("stays")).order_by()
    ]
    stays: dict[int, np.ndarray] = {}
    for row in rows:
        days = min(int(row["days"]), LONGEST_CLOSE_DAYS)
        histogram = stays.setdefault(row["stage_id"], np.zeros(LONGEST_CLOSE_DAYS + 1))
        histogram[days] += row["n"]
    result: list[list[tuple[int, int]]] = []
    spread = np.array([1.0])  # from the last open stage backwards: nothing left is 0 days
    for stage in reversed(stages):
        if stage.pk not in stays:
            result.append([])
            continue
        histogram = stays[stage.pk]
        spread = np.convolve(spread, histogram / histogram.sum())[: LONGEST_CLOSE_DAYS + 1]
        weights = np.rint(spread / spread.sum() * WEIGHT_SCALE).astype(np.int64)
        result.append([(int(day), int(weights[day])) for day in np.flatnonzero(weights)])
    return list(reversed(result))


@dataclass(frozen=True)
class MonteCarloForecast:
    months: list[tuple[datetime.date, datetime.date]]
    forecast: montecarlo.Forecast | None  # None when the whole period lies in the past
    deals: int


def months_of(
    first: datetime.date, last: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """The calendar months (clipped to the period) that make up a period."""
    months = []
    start = first
    while start <= last:
        following = (start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        end = min(following - datetime.timedelta(days=1), last)
        months.append((start, end))
        start = end + datetime.timedelta(days=1)
    return months


def monte_carlo_forecast(
    actor: Actor,
    cut: Cut,
    *,
    runs: int = montecarlo.DEFAULT_RUNS,
    seed: int = 1,
    today: datetime.date | None = None,
) -> MonteCarloForecast:
    """P10 / P50 / P90 of the amount won per month of the period (its past part is skipped).

    The deals are summed per group in SQL; only those `montecarlo.exact_deals` draws one by one
    (the largest, read stage by stage in the order of an index on the amount) are read row by
    row, unless drawing the rest in aggregate would be too coarse
    (`montecarlo.MAX_AGGREGATE_ERROR`), and then all are.
    """
    today = today or timezone.localdate()
    months = months_of(max(cut.first_day, today), cut.last_day)
    stages = [s for s in pipeline_stages(actor, cut.pipeline_id) if s.kind == StageKind.OPEN]
    index = {s.pk: i for i, s in enumerate(stages)}
    histograms = close_day_histograms(actor, cut, stages, today)
    without_history = [stages[i].pk for i in montecarlo.stages_without_history(histograms)]
    seen = open_deals(actor, cut)
    deals = seen.filter(stage_id__in=index)
    groups = _deal_groups(deals, without_history)
    count = sum(group["count"] for group in groups)
    if not months:
        return MonteCarloForecast([], None, count)
    periods = [((first - today).days, (last - today).days) for first, last in months]

    def drawn(rows: list[tuple[Any, ...]]) -> list[montecarlo.OpenDeal]:
        return [
            montecarlo.OpenDeal(
                amount=amount,
                probability=probability,
                stage=index[stage_id],
                expected_in_days=(close - today).days if close else None,
            )
            for amount, probability, stage_id, close, _pk in rows
        ]

    columns = ("amount", "probability", "stage_id", "expected_close_date", "pk")
    largest = montecarlo.exact_deals(count, runs)
    exact: list[montecarlo.OpenDeal] | None = None
    rest: list[montecarlo.DealGroup] = []
    if largest < count:
        # the largest of each stage, read in the order of the index, then the largest of those
        # (each stage named alone: beside the list of stages, PostgreSQL sorts the stage)
        candidates = [
            row
            for stage_id in index
            for row in seen.filter(stage_id=stage_id, amount__gt=0)
            .order_by("-amount", "-pk")
            .values_list(*columns)[:largest]
        ]
        candidates.sort(key=lambda row: (row[0], row[-1]), reverse=True)
        top = drawn(candidates[:largest])
        rest = _without(groups, montecarlo.group_deals(top, histograms), index, today)
        if montecarlo.aggregate_error(rest, histograms, periods) <= montecarlo.MAX_AGGREGATE_ERROR:
            exact = top
        else:
            rest = []
    if exact is None:
        exact = drawn(list(deals.order_by("pk").values_list(*columns)))
    forecast = montecarlo.simulate_forecast(
        exact, histograms, periods, seed=seed, runs=runs, rest=rest
    )
    return MonteCarloForecast(months, forecast, count)


def _deal_groups(deals: QuerySet[Deal], without_history: list[int]) -> list[dict[str, Any]]:
    """The deals summed per stage, probability and (in a stage without history, where the
    simulation reads it) expected close date: count, Σ amount, Σ amount², Σ amount³, Σ amount⁴.

    Each amount is turned into a float once, in a subquery the databases keep whole (`OFFSET 0`
    stops PostgreSQL from folding it into the sums, which would convert the amount anew in
    each of them: nine times a deal, and converting a numeric costs PostgreSQL more than the
    rest of the statement).
    """
    rows = (
        deals.annotate(
            close=Case(
                When(stage_id__in=without_history, then=F("expected_close_date")),
                default=None,
                output_field=DateField(),
            ),
            value=Cast("amount", FloatField()),
        )
        .order_by()
        .values_list("stage_id", "probability", "close", "amount", "value")
    )
    inner, params = rows.query.sql_with_params()
    fence = "LIMIT -1 OFFSET 0" if connection.vendor == "sqlite" else "OFFSET 0"
    keys = ("stage_id", "probability", "close", "count", "total", "squares", "cubes",
            "fourth_powers")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "stage_id", "probability", "close", COUNT(*), SUM("amount"),'
            ' SUM("value" * "value"), SUM("value" * "value" * "value"),'
            ' SUM("value" * "value" * "value" * "value")'
            f' FROM ({inner} {fence}) "deals" GROUP BY "stage_id", "probability", "close"',
            params,
        )
        groups = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    for group in groups:  # SQLite returns dates as text and sums of amounts as floats
        if isinstance(group["close"], str):
            group["close"] = datetime.date.fromisoformat(group["close"])
        group["total"] = Decimal(str(group["total"] or 0)).quantize(ZERO)
    return groups


def _without(
    groups: list[dict[str, Any]],
    drawn: list[montecarlo.DealGroup],
    index: dict[int, int],
    today: datetime.date,
) -> list[montecarlo.DealGroup]:
    """The groups summed in SQL less those of the deals drawn one by one (keyed alike)."""
    sums = {
        (g["probability"], index[g["stage_id"]],
         (g["close"] - today).days if g["close"] else None): [
            g["count"], g["total"] or Decimal(0),
            *(float(g[name] or 0) for name in ("squares", "cubes", "fourth_powers")),
        ]
        for g in groups
    }  # fmt: skip
    for group in drawn:
        cell = sums[(group.probability, group.stage, group.expected_in_days)]
        cell[0] -= group.count
        cell[1] -= group.amount
        for position, power in enumerate((group.squares, group.cubes, group.fourth_powers), 2):
            cell[position] = max(0.0, cell[position] - power)
    return [montecarlo.DealGroup(*key, *cell) for key, cell in sums.items() if cell[0]]
