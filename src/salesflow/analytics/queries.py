"""The funnel figures, read from the aggregates through the actor's scope.

Definitions (docs/analytics.md has them with a worked example):
- cohort funnel: the deals created in the period; reached(open stage) counts the deals whose
  furthest stage is that stage or a later one, and every won deal; reached(won stage) counts
  the deals won now that have reached it;
- flow funnel: stage entries that happened in the period;
- win rate: won / (won + lost) among the deals closed in the period;
- time in stage: stays that ended in the period, in whole days;
- sales velocity: open deals × average won deal size × win rate / average sales cycle, per day.

Every figure over a period reads the monthly counts for the whole calendar months of the period
and the daily counts (or the deal facts) for its other days. Cut by one customer column, for a
reader who sees every owner, the months come from the counts by that column; cut by more than
one, or for a reader who sees only some owners, the daily counts answer the whole period: the
monthly counts per owner do not hold the customer's columns.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from django.db.models import Count, Model, QuerySet, Sum

from salesflow.analytics.models import (
    CohortByCustomer,
    CohortMonthly,
    DealFact,
    EntriesByCustomer,
    OutcomeMonthly,
    OutcomesByCustomer,
    StageDaily,
    StageMonthly,
    StageStay,
    StayMonthly,
    StaysByCustomer,
    WorkspaceStayDaily,
    WorkspaceStayMonthly,
)
from salesflow.core.models import Membership
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.pipeline.models import Pipeline, Stage, StageKind

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Cut:
    """Which deals a figure counts: a pipeline, a period and the optional cuts."""

    pipeline_id: int
    first_day: datetime.date
    last_day: datetime.date
    owner_id: int | None = None
    team_path: str | None = None
    source_channel: str | None = None
    industry: str | None = None
    region: str | None = None

    def customer_cuts(self) -> dict[str, str]:
        values = {"source_channel": self.source_channel, "industry": self.industry,
                  "region": self.region}  # fmt: skip
        return {name: value for name, value in values.items() if value is not None}


def _scoped(model: type[M], actor: Actor, cut: Cut) -> QuerySet[M]:
    rows = visible(model, actor).filter(pipeline_id=cut.pipeline_id)
    if cut.owner_id is not None:
        rows = rows.filter(owner_id=cut.owner_id)
    if cut.team_path is not None:
        members = Membership.objects.filter(
            workspace_id=actor.workspace_id, team__path__startswith=cut.team_path
        )
        rows = rows.filter(owner_id__in=members.values("user_id"))
    return rows


def _every_owner(actor: Actor, cut: Cut) -> bool:
    return actor.is_admin and cut.owner_id is None and cut.team_path is None


def monthly_source(
    actor: Actor, cut: Cut, per_owner: type[M], by_customer: type[Model], *, by_owner: bool = False
) -> QuerySet[Any] | None:
    """The monthly counts the whole months of the cut's period read: `per_owner` without a
    customer cut; with one, `by_customer` for that column when the reader sees every owner and
    no figure per owner is asked for; else none, and the daily counts answer."""
    customer = cut.customer_cuts()
    if not customer:
        return _scoped(per_owner, actor, cut)
    if len(customer) > 1 or by_owner or not _every_owner(actor, cut):
        return None
    ((dimension, value),) = customer.items()
    return visible(by_customer, actor).filter(
        pipeline_id=cut.pipeline_id, dimension=dimension, value=value
    )


def stay_sources(actor: Actor, cut: Cut) -> tuple[QuerySet[Any], QuerySet[Any] | None]:
    """The daily and monthly stays a period of the cut reads: the workspace's, added up over
    owners, for a reader who sees every owner and cuts by none (far fewer rows); else the
    stays per owner, which also hold the daily customer columns, with the monthly source."""
    if _every_owner(actor, cut) and not cut.customer_cuts():
        return (
            visible(WorkspaceStayDaily, actor).filter(pipeline_id=cut.pipeline_id),
            visible(WorkspaceStayMonthly, actor).filter(pipeline_id=cut.pipeline_id),
        )
    return _scoped(StageStay, actor, cut), monthly_source(actor, cut, StayMonthly,
                                                          StaysByCustomer)  # fmt: skip


def whole_months(
    first_day: datetime.date, last_day: datetime.date
) -> tuple[tuple[datetime.date, datetime.date] | None, list[tuple[datetime.date, datetime.date]]]:
    """The first days of the first and last calendar months wholly inside the period (None when
    there is none), and the ranges of the period's days outside them."""
    start = first_day if first_day.day == 1 else _next_month(first_day)
    end = _next_month(last_day) - datetime.timedelta(days=1)
    if end != last_day:
        end = last_day.replace(day=1) - datetime.timedelta(days=1)
    if start > end:
        return None, [(first_day, last_day)]
    edges = [(first_day, start - datetime.timedelta(days=1))] if first_day < start else []
    if end < last_day:
        edges.append((end + datetime.timedelta(days=1), last_day))
    return (start, end.replace(day=1)), edges


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def in_period(
    cut: Cut, daily: QuerySet[Any], day: str, monthly: QuerySet[Any] | None = None
) -> list[QuerySet[Any]]:
    """The row sets that together count the period once: the whole months from `monthly` and
    the other days from `daily` (whose date column is `day`, cut by the customer columns asked
    for); only `daily` when there is no monthly source."""
    daily = daily.filter(**cut.customer_cuts())
    if monthly is None:
        return [daily.filter(**{f"{day}__range": (cut.first_day, cut.last_day)})]
    months, edges = whole_months(cut.first_day, cut.last_day)
    # One row set per range of days: each reads its index from the range's start, where one
    # statement over both (an OR) would read every row of the pipeline on SQLite.
    parts = [daily.filter(**{f"{day}__range": edge}) for edge in edges]
    if months and getattr(monthly.model, "grouped_across_months", False):
        parts.append(monthly.filter(month__range=months))
    elif months:
        # One row set per month: each reads its index in key order and groups without a sort,
        # which on SQLite is several times faster than grouping the months together.
        month, last = months
        while month <= last:
            parts.append(monthly.filter(month=month))
            month = _next_month(month)
    return parts


def _facts(actor: Actor, cut: Cut) -> QuerySet[DealFact]:
    return _scoped(DealFact, actor, cut).filter(**cut.customer_cuts())


def pipeline_stages(actor: Actor, pipeline_id: int) -> list[Stage]:
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    return list(pipeline.stages.order_by("position", "id"))


def ratio(part: int | Decimal, whole: int | Decimal) -> Fraction | None:
    """An exact share, or None when there is nothing to divide by."""
    return Fraction(part) / Fraction(whole) if whole else None


@dataclass
class StageCount:
    stage_id: int
    name: str
    kind: str
    count: int = 0
    amount: Decimal = Decimal(0)
    conversion_to_next: Fraction | None = None
    drop_off: int = 0


@dataclass
class Funnel:
    stages: list[StageCount]
    deals: int
    won: int
    overall_conversion: Fraction | None


def _funnel_rows(stages: list[Stage], counted: Mapping[int, tuple[int, Decimal]]) -> Funnel:
    """Stages in order with their counts; conversion and drop-off to the next one."""
    rows = [
        StageCount(s.pk, s.name, s.kind, *counted.get(s.pk, (0, Decimal(0))))
        for s in stages
        if s.kind != StageKind.LOST
    ]
    for current, following in itertools.pairwise(rows):
        current.conversion_to_next = ratio(following.count, current.count)
        current.drop_off = current.count - following.count
    won = next((r.count for r in rows if r.kind == StageKind.WON), 0)
    first = rows[0].count if rows else 0
    return Funnel(rows, first, won, ratio(won, first))


def cohort_funnel(actor: Actor, cut: Cut, *, by_owner: bool = False) -> dict[int | None, Funnel]:
    """Deals created in the period, by the furthest stage they reached (per owner if asked)."""
    stages = pipeline_stages(actor, cut.pipeline_id)
    counted_stages = [s for s in stages if s.kind != StageKind.LOST]
    position = {s.pk: s.position for s in stages}
    keys = ["furthest_stage_id", "outcome", *(["owner_id"] if by_owner else [])]
    grouped = [
        row
        for part in in_period(
            cut, _scoped(DealFact, actor, cut), "created_on",
            monthly_source(actor, cut, CohortMonthly, CohortByCustomer, by_owner=by_owner),
        )
        for row in part.values(*keys)
        .annotate(n=Count("*") if part.model is DealFact else Sum("deals"),
                  amount=Sum("amount"))
        .order_by()
    ]  # fmt: skip
    counted: dict[int | None, dict[int, list[Any]]] = defaultdict(
        lambda: defaultdict(lambda: [0, Decimal(0)])
    )
    for row in grouped:
        cell = counted[row["owner_id"] if by_owner else None]
        amount = row["amount"] or Decimal(0)
        won = row["outcome"] == StageKind.WON
        furthest = position.get(row["furthest_stage_id"], -1)
        for stage in counted_stages:
            # a won deal has passed every open stage; a won stage counts the deals won now
            passed = stage.position <= furthest
            if (won or passed) if stage.kind == StageKind.OPEN else (won and passed):
                cell[stage.pk][0] += row["n"]
                cell[stage.pk][1] += amount
    if not by_owner:
        counted.setdefault(None, defaultdict(lambda: [0, Decimal(0)]))
    return {
        owner: _funnel_rows(stages, {k: (v[0], v[1]) for k, v in cells.items()})
        for owner, cells in counted.items()
    }


def flow_funnel(actor: Actor, cut: Cut) -> Funnel:
    """Stage entries that happened in the period, per stage."""
    stages = pipeline_stages(actor, cut.pipeline_id)
    counted: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for part in in_period(
        cut, _scoped(StageDaily, actor, cut), "day",
        monthly_source(actor, cut, StageMonthly, EntriesByCustomer),
    ):  # fmt: skip
        grouped = part.values("stage_id").annotate(n=Sum("entered"), amount=Sum("entered_amount"))
        for row in grouped.order_by():
            count, amount = counted[row["stage_id"]]
            counted[row["stage_id"]] = (count + row["n"], amount + (row["amount"] or 0))
    return _funnel_rows(stages, counted)


@dataclass(frozen=True)
class Spread:
    """Median and mean of whole-day lengths, and how many there were."""

    count: int
    median: Fraction | None
    mean: Fraction | None


def spread(histogram: Iterable[tuple[int, int]]) -> Spread:
    """Exact median and mean of a (value, how many) histogram."""
    cells = sorted((value, count) for value, count in histogram if count)
    total = sum(count for _value, count in cells)
    if not total:
        return Spread(0, None, None)
    mean = Fraction(sum(value * count for value, count in cells), total)

    def nth(index: int) -> int:
        seen = 0
        for value, count in cells:
            seen += count
            if index < seen:
                return value
        raise IndexError(index)

    middle = total // 2
    median = Fraction(nth(middle)) if total % 2 else Fraction(nth(middle - 1) + nth(middle), 2)
    return Spread(total, median, mean)


@dataclass
class StageTime:
    stage_id: int
    name: str
    days: Spread


def time_in_stage(actor: Actor, cut: Cut) -> list[StageTime]:
    """Per stage, the length of the stays that ended in the period."""
    stages = pipeline_stages(actor, cut.pipeline_id)
    histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    daily, monthly = stay_sources(actor, cut)
    for part in in_period(cut, daily, "day", monthly):
        for row in part.values("stage_id", "days").annotate(n=Sum("stays")).order_by():
            histograms[row["stage_id"]].append((row["days"], row["n"]))
    return [StageTime(s.pk, s.name, spread(histograms.get(s.pk, []))) for s in stages]


@dataclass
class Outcomes:
    """The deals closed in the period."""

    won: int
    lost: int
    won_amount: Decimal
    win_rate: Fraction | None
    average_won_amount: Decimal | None
    sales_cycle: Spread
    open_deals: int = 0
    velocity_per_day: Decimal | None = None
    by_owner: dict[int, Outcomes] = field(default_factory=dict)


def _outcomes(rows: list[dict[str, Any]]) -> Outcomes:
    won = sum(r["n"] for r in rows if r["outcome"] == StageKind.WON)
    lost = sum(r["n"] for r in rows if r["outcome"] == StageKind.LOST)
    won_amount = sum((r["amount"] or Decimal(0) for r in rows if r["outcome"] == StageKind.WON),
                     Decimal(0))  # fmt: skip
    cycle = spread((r["cycle_days"], r["n"]) for r in rows if r["outcome"] == StageKind.WON)
    return Outcomes(
        won=won,
        lost=lost,
        won_amount=won_amount,
        win_rate=ratio(won, won + lost),
        average_won_amount=(won_amount / won) if won else None,
        sales_cycle=cycle,
    )


def outcomes(actor: Actor, cut: Cut, *, by_owner: bool = False) -> Outcomes:
    """Win rate, won amount and sales cycle of the deals closed in the period; and velocity."""
    facts = _facts(actor, cut)
    keys = ["outcome", "cycle_days", *(["owner_id"] if by_owner else [])]
    rows: list[dict[str, Any]] = []
    for part in in_period(
        cut,
        _scoped(DealFact, actor, cut).filter(outcome__in=[StageKind.WON, StageKind.LOST]),
        "closed_on",
        monthly_source(actor, cut, OutcomeMonthly, OutcomesByCustomer, by_owner=by_owner),
    ):
        count = Count("*") if part.model is DealFact else Sum("deals")
        rows += part.values(*keys).annotate(n=count, amount=Sum("amount")).order_by()
    still_open = facts.filter(outcome=StageKind.OPEN)
    if by_owner:
        open_by_owner = dict(
            still_open.values("owner_id").annotate(n=Count("*")).order_by().values_list(
                "owner_id", "n"
            )
        )  # fmt: skip
    result = _outcomes(rows)
    result.open_deals = sum(open_by_owner.values()) if by_owner else still_open.count()
    result.velocity_per_day = velocity(result)
    if by_owner:
        owners: dict[int, list[dict[str, Any]]] = {owner: [] for owner in open_by_owner}
        for row in rows:
            owners.setdefault(row["owner_id"], []).append(row)
        for owner, owner_rows in owners.items():
            figures = _outcomes(owner_rows)
            figures.open_deals = open_by_owner.get(owner, 0)
            figures.velocity_per_day = velocity(figures)
            result.by_owner[owner] = figures
    return result


def velocity(figures: Outcomes) -> Decimal | None:
    """Open deals × average won deal size × win rate ÷ average sales cycle in days."""
    mean_cycle = figures.sales_cycle.mean
    if figures.average_won_amount is None or figures.win_rate is None or not mean_cycle:
        return None
    value = (
        Fraction(figures.open_deals)
        * Fraction(figures.average_won_amount)
        * figures.win_rate
        / mean_cycle
    )
    return Decimal(value.numerator) / Decimal(value.denominator)
