"""Keeping the analytics aggregates in step with the deals, and recomputing them from history.

The deal services call `record_move`, `deal_changed` and `forget_deal` inside their own
transaction; `rebuild` recomputes everything from StageChange in set-based SQL. `_Days.day` and
`_stay_days_sql` are the SQL forms of `_day` and `_stay_days`; a property test proves that the
counts kept move by move equal the rebuilt ones.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.db.models import Max, Min, OuterRef, Subquery

from salesflow.analytics.models import (
    DEAL_FACT_CUTS,
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
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Deal, Pipeline, Stage, StageChange, StageKind


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _day(at: datetime.datetime, zone: ZoneInfo) -> datetime.date:
    """The calendar day of a moment in the workspace's time zone: reports count by it."""
    return at.astimezone(zone).date()


def _stay_days(entered: datetime.datetime, left: datetime.datetime) -> int:
    """Whole days between entering and leaving, as the board counts days in stage."""
    return max((left - entered).days, 0)


def _workspace_zone(workspace_id: int) -> ZoneInfo:
    return _zone(Workspace.objects.values_list("timezone", flat=True).get(pk=workspace_id))


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(key: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(c) for c in key)


def _upsert(model: type[models.Model], key: Iterable[str], add: Iterable[str]) -> str:
    """ON CONFLICT clause that adds to a counter row already there instead of failing."""
    name = connection.ops.quote_name
    table = _table(model)
    return f"ON CONFLICT ({', '.join(name(c) for c in key)}) DO UPDATE SET " + ", ".join(
        f"{name(c)} = {table}.{name(c)} + excluded.{name(c)}" for c in add
    )


def _bump(model: type[models.Model], key: Mapping[str, Any], add: Mapping[str, Any]) -> None:
    """Add to a counter row, creating it when missing: one statement, safe under concurrency.

    The first column of `add` is the row's count: a count taken back to zero leaves no row, as
    a rebuild would not write one.
    """
    columns = [*key, *add]
    sql = (
        f"INSERT INTO {_table(model)} ({_columns(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) {_upsert(model, key, add)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key.values(), *add.values()])
    count = next(iter(add))
    if add[count] < 0:
        model._default_manager.filter(**key, **{count: 0}).delete()


@dataclass(frozen=True)
class Move:
    """One StageChange as the aggregates see it."""

    deal_id: int
    pipeline_id: int
    from_stage_id: int | None
    to_stage_id: int
    at: datetime.datetime
    owner_id: int
    amount: Decimal | None


# The customer's columns every daily count is kept by, so customer cuts read aggregates too.
DIMENSIONS = DEAL_FACT_CUTS
ENTRY_KEY = ("workspace_id", "pipeline_id", "day", "stage_id", "owner_id", *DIMENSIONS)
STAY_KEY = (*ENTRY_KEY, "days")
Dimensions = tuple[str, str, str]
# The monthly roll-ups: the same counts per month, without the customer columns.
MONTHLY_ENTRY_KEY = ("workspace_id", "pipeline_id", "month", "stage_id", "owner_id")
MONTHLY_STAY_KEY = ("workspace_id", "pipeline_id", "month", "stage_id", "days", "owner_id")
OUTCOME_KEY = ("workspace_id", "pipeline_id", "month", "outcome", "cycle_days", "owner_id")
COHORT_KEY = ("workspace_id", "pipeline_id", "month", "furthest_stage_id", "outcome", "owner_id")
# The stays added up over owners and customer columns, for the readers who see every owner.
WORKSPACE_STAY_KEY = ("workspace_id", "pipeline_id", "day", "stage_id", "days")
WORKSPACE_MONTHLY_STAY_KEY = ("workspace_id", "pipeline_id", "month", "stage_id", "days")
# The monthly counts over owners by one customer column (its name and value), blank values left
# out: what a figure cut by that column reads.
BY_CUSTOMER = ("workspace_id", "pipeline_id", "dimension", "value", "month")
CUSTOMER_ENTRY_KEY = (*BY_CUSTOMER, "stage_id")
CUSTOMER_STAY_KEY = (*BY_CUSTOMER, "stage_id", "days")
CUSTOMER_COHORT_KEY = (*BY_CUSTOMER, "furthest_stage_id", "outcome")
CUSTOMER_OUTCOME_KEY = (*BY_CUSTOMER, "outcome", "cycle_days")


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _dimensions(row: Mapping[str, Any], prefix: str = "customer__") -> Dimensions:
    return (row[f"{prefix}source_channel"], row[f"{prefix}industry"], row[f"{prefix}region"])


def _by_customer(
    workspace_id: int, pipeline_id: int, day: datetime.date, dimensions: Iterable[str]
) -> Iterator[tuple[Any, ...]]:
    """The leading key of each count by customer column that a row of these columns adds to."""
    for dimension, value in zip(DIMENSIONS, dimensions, strict=True):
        if value:
            yield (workspace_id, pipeline_id, dimension, value, _month(day))


def _flows(
    moves: Iterable[Move], workspace_id: int, zone: ZoneInfo, sign: int, dimensions: Dimensions
) -> tuple[dict[tuple[Any, ...], list[Any]], dict[tuple[Any, ...], int]]:
    """A deal's entries per ENTRY_KEY and its ended stays per STAY_KEY."""
    entries: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    stays: dict[tuple[Any, ...], int] = defaultdict(int)
    previous: Move | None = None
    for move in moves:
        day = _day(move.at, zone)
        key = (workspace_id, move.pipeline_id, day, move.to_stage_id, move.owner_id, *dimensions)
        entry = entries[key]
        entry[0] += sign
        entry[1] += sign * (move.amount or 0)
        if previous is not None and move.from_stage_id is not None:
            days = _stay_days(previous.at, move.at)
            left = (workspace_id, move.pipeline_id, day, move.from_stage_id, move.owner_id,
                    *dimensions, days)  # fmt: skip
            stays[left] += sign
        previous = move
    return entries, stays


def _apply_flows(
    entries: Mapping[tuple[Any, ...], list[Any]],
    stays: Mapping[tuple[Any, ...], int],
    *,
    monthly: bool = True,
) -> None:
    """Add a deal's entries and stays to the daily counts, to the counts by customer column and
    (unless only the customer columns of the key changed, which neither the monthly counts nor
    the workspace's stays hold) to the monthly ones and the workspace's."""
    monthly_entries: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    monthly_stays: dict[tuple[Any, ...], int] = defaultdict(int)
    workspace_stays: dict[tuple[Any, ...], int] = defaultdict(int)
    customer_entries: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    customer_stays: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, (count, amount) in entries.items():
        _bump(StageDaily, dict(zip(ENTRY_KEY, key, strict=True)), {"entered": count,
              "entered_amount": amount})  # fmt: skip
        workspace_id, pipeline_id, day, stage_id, owner_id, *dimensions = key
        cell = monthly_entries[(workspace_id, pipeline_id, _month(day), stage_id, owner_id)]
        cell[0] += count
        cell[1] += amount
        for leading in _by_customer(workspace_id, pipeline_id, day, dimensions):
            cell = customer_entries[(*leading, stage_id)]
            cell[0] += count
            cell[1] += amount
    for key, count in stays.items():
        _bump(StageStay, dict(zip(STAY_KEY, key, strict=True)), {"stays": count})
        workspace_id, pipeline_id, day, stage_id, owner_id, *dimensions, days = key
        monthly_stays[(workspace_id, pipeline_id, _month(day), stage_id, days, owner_id)] += count
        workspace_stays[(workspace_id, pipeline_id, day, stage_id, days)] += count
        for leading in _by_customer(workspace_id, pipeline_id, day, dimensions):
            customer_stays[(*leading, stage_id, days)] += count
    for key, (count, amount) in customer_entries.items():
        _bump(EntriesByCustomer, dict(zip(CUSTOMER_ENTRY_KEY, key, strict=True)),
              {"entered": count, "entered_amount": amount})  # fmt: skip
    for key, count in customer_stays.items():
        _bump(StaysByCustomer, dict(zip(CUSTOMER_STAY_KEY, key, strict=True)), {"stays": count})
    if not monthly:
        return
    for key, (count, amount) in monthly_entries.items():
        _bump(StageMonthly, dict(zip(MONTHLY_ENTRY_KEY, key, strict=True)),
              {"entered": count, "entered_amount": amount})  # fmt: skip
    for key, count in monthly_stays.items():
        _bump(StayMonthly, dict(zip(MONTHLY_STAY_KEY, key, strict=True)), {"stays": count})
    workspace_monthly: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, count in workspace_stays.items():
        _bump(WorkspaceStayDaily, dict(zip(WORKSPACE_STAY_KEY, key, strict=True)), {"stays": count})
        workspace_id, pipeline_id, day, stage_id, days = key
        workspace_monthly[(workspace_id, pipeline_id, _month(day), stage_id, days)] += count
    for key, count in workspace_monthly.items():
        _bump(WorkspaceStayMonthly, dict(zip(WORKSPACE_MONTHLY_STAY_KEY, key, strict=True)),
              {"stays": count})  # fmt: skip


def _regroup(workspace_id: int, deal_id: int, old: Dimensions, new: Dimensions) -> None:
    """The deal's customer columns changed: move its counts from the old key to the new one."""
    if old == new:
        return
    zone = _workspace_zone(workspace_id)
    moves = _deal_moves(deal_id)
    _apply_flows(*_flows(moves, workspace_id, zone, -1, old), monthly=False)
    _apply_flows(*_flows(moves, workspace_id, zone, 1, new), monthly=False)


def _fact_values(
    deal: Mapping[str, Any], moves: list[Move], stages: Mapping[int, Stage], zone: ZoneInfo
) -> dict[str, Any]:
    """A deal's DealFact columns from the deal and its moves in order."""
    reached = [stages[m.to_stage_id] for m in moves if stages[m.to_stage_id].kind != "lost"]
    furthest = max(reached, key=lambda s: (s.position, s.pk)) if reached else None
    last = moves[-1]
    outcome = stages[last.to_stage_id].kind
    closed = outcome != StageKind.OPEN
    return {
        "workspace_id": deal["workspace_id"],
        "pipeline_id": deal["pipeline_id"],
        "owner_id": deal["owner_id"],
        "customer_id": deal["customer_id"],
        "created_on": _day(deal["created_at"], zone),
        "furthest_stage_id": (furthest or stages[last.to_stage_id]).pk,
        "outcome": outcome,
        "closed_on": _day(last.at, zone) if closed else None,
        "cycle_days": _stay_days(deal["created_at"], last.at) if closed else None,
        "amount": deal["amount"],
        **dict(zip(DIMENSIONS, _dimensions(deal), strict=True)),
    }


DEAL_COLUMNS = (
    "id",
    "workspace_id",
    "pipeline_id",
    "owner_id",
    "customer_id",
    "created_at",
    "amount",
    "customer__source_channel",
    "customer__industry",
    "customer__region",
)
MOVE_COLUMNS = ("deal_id", "pipeline_id", "from_stage_id", "to_stage_id", "at", "owner_id",
                "amount")  # fmt: skip


def _moves(changes: Iterable[tuple[Any, ...]]) -> Iterator[Move]:
    for deal_id, pipeline_id, from_id, to_id, at, owner_id, amount in changes:
        # A change whose owner was deleted counts for nobody; Deal.owner is protected, so rare.
        yield Move(deal_id, pipeline_id, from_id, to_id, at, owner_id or 0, amount)


def _deal_moves(deal_id: int) -> list[Move]:
    changes = StageChange.objects.filter(deal_id=deal_id).order_by("at", "id")
    return list(_moves(changes.values_list(*MOVE_COLUMNS)))


def _pipeline_stages(pipeline_id: int) -> dict[int, Stage]:
    return {s.pk: s for s in Stage.objects.filter(pipeline_id=pipeline_id)}


def record_move(deal: Deal, move: Move, entered_at: datetime.datetime | None) -> None:
    """Count one StageChange just written (entered_at: when the deal entered the stage left)."""
    zone = _workspace_zone(deal.workspace_id)
    row = _deal_row(deal)
    day = _day(move.at, zone)
    dimensions = _dimensions(row)
    entry = (deal.workspace_id, move.pipeline_id, day, move.to_stage_id, move.owner_id,
             *dimensions)  # fmt: skip
    stays = {}
    if move.from_stage_id is not None and entered_at is not None:
        left = (deal.workspace_id, move.pipeline_id, day, move.from_stage_id, move.owner_id,
                *dimensions, _stay_days(entered_at, move.at))  # fmt: skip
        stays[left] = 1
    _apply_flows({entry: [1, move.amount or Decimal(0)]}, stays)
    _save_fact(row, zone)


def deal_changed(deal: Deal) -> None:
    """The deal's amount, owner or customer changed: its DealFact (and its counts' key) follow."""
    row = _deal_row(deal)
    old = DealFact.objects.filter(deal_id=deal.pk).values(*DIMENSIONS).first()
    if old is not None:
        _regroup(deal.workspace_id, deal.pk, _dimensions(old, ""), _dimensions(row))
    _save_fact(row, _workspace_zone(deal.workspace_id))


def customer_changed(customer_id: int, values: Mapping[str, str]) -> None:
    """The customer's source channel, industry or region changed: every deal of it follows."""
    columns = {k: v for k, v in values.items() if k in DIMENSIONS}
    if not columns:
        return
    for fact in DealFact.objects.filter(customer_id=customer_id).values(
        "deal_id", *COUNTED_COLUMNS
    ):
        changed = {**fact, **columns}
        _regroup(fact["workspace_id"], fact["deal_id"], _dimensions(fact, ""),
                 _dimensions(changed, ""))  # fmt: skip
        _count_fact(fact, -1, by_owner=False)
        _count_fact(changed, 1, by_owner=False)
    DealFact.objects.filter(customer_id=customer_id).update(**columns)


def _deal_row(deal: Deal) -> dict[str, Any]:
    return Deal.objects.filter(pk=deal.pk).values(*DEAL_COLUMNS).get()


COUNTED_COLUMNS = ("workspace_id", "pipeline_id", "owner_id", "created_on", "furthest_stage_id",
                   "outcome", "closed_on", "cycle_days", "amount", *DIMENSIONS)  # fmt: skip


def _count_fact(fact: Mapping[str, Any] | None, sign: int, *, by_owner: bool = True) -> None:
    """Add a DealFact to the monthly cohorts and, once closed, outcomes, per owner (unless
    `by_owner` is false) and by customer column; or take it back."""
    if fact is None:
        return
    counts = {"deals": sign, "amount": sign * (fact["amount"] or 0)}
    workspace_id, pipeline_id = fact["workspace_id"], fact["pipeline_id"]
    dimensions = _dimensions(fact, "")
    # (per owner, by customer column, the day that names the month, the rest of the key)
    counted: list[tuple[type[models.Model], type[models.Model], datetime.date, dict[str, Any]]]
    counted = [
        (
            CohortMonthly,
            CohortByCustomer,
            fact["created_on"],
            {"furthest_stage_id": fact["furthest_stage_id"], "outcome": fact["outcome"]},
        )
    ]
    if fact["outcome"] != StageKind.OPEN:
        cycle_days = fact["cycle_days"] if fact["outcome"] == StageKind.WON else 0
        counted.append(
            (
                OutcomeMonthly,
                OutcomesByCustomer,
                fact["closed_on"],
                {"outcome": fact["outcome"], "cycle_days": cycle_days},
            )
        )
    for per_owner, by_customer, day, key in counted:
        if by_owner:
            _bump(
                per_owner,
                {
                    "workspace_id": workspace_id,
                    "pipeline_id": pipeline_id,
                    "month": _month(day),
                    **key,
                    "owner_id": fact["owner_id"],
                },
                counts,
            )
        for leading in _by_customer(workspace_id, pipeline_id, day, dimensions):
            _bump(by_customer, {**dict(zip(BY_CUSTOMER, leading, strict=True)), **key}, counts)


def _save_fact(row: Mapping[str, Any], zone: ZoneInfo) -> None:
    moves = _deal_moves(row["id"])
    values = _fact_values(row, moves, _pipeline_stages(row["pipeline_id"]), zone)
    old = DealFact.objects.filter(deal_id=row["id"]).values(*COUNTED_COLUMNS).first()
    if old != {column: values[column] for column in COUNTED_COLUMNS}:
        _count_fact(old, -1)
        _count_fact(values, 1)
    DealFact.objects.update_or_create(deal_id=row["id"], defaults=values)


def refresh_furthest_stages(pipeline_id: int) -> None:
    """Stages were reordered: which stage is furthest follows the new order, for every deal."""
    furthest = (
        StageChange.objects.filter(deal_id=OuterRef("deal_id"))
        .exclude(to_stage__kind=StageKind.LOST)
        .order_by("-to_stage__position", "-to_stage_id")
        .values("to_stage_id")[:1]
    )
    DealFact.objects.filter(pipeline_id=pipeline_id).update(furthest_stage_id=Subquery(furthest))
    CohortMonthly.objects.filter(pipeline_id=pipeline_id).delete()
    CohortByCustomer.objects.filter(pipeline_id=pipeline_id).delete()
    workspace_id = Pipeline.objects.values_list("workspace_id", flat=True).get(pk=pipeline_id)
    _roll_up_cohorts(workspace_id, pipeline_id)


def forget_deal(deal: Deal) -> None:
    """Before a deal and its history are deleted, take its moves out of the counts."""
    zone = _workspace_zone(deal.workspace_id)
    dimensions = _dimensions(_deal_row(deal))
    _apply_flows(*_flows(_deal_moves(deal.pk), deal.workspace_id, zone, -1, dimensions))
    _count_fact(DealFact.objects.filter(deal_id=deal.pk).values(*COUNTED_COLUMNS).first(), -1)


REBUILD_DEALS_PER_BATCH = 50_000


@dataclass(frozen=True)
class _Days:
    """How SQL reads a stored timestamp as a day in the workspace's time zone.

    PostgreSQL converts with AT TIME ZONE. SQLite stores UTC text and would need a Python
    function per row; instead `shifts` lists the zone's offsets over the span of the data, as
    (stored text from which the offset applies, seconds), which SQLite's date() applies.
    """

    zone: ZoneInfo
    shifts: tuple[tuple[str, int], ...] = ()

    def day(self, column: str) -> tuple[str, list[Any]]:
        """SQL for `_day` of a timestamp column."""
        if not self.shifts:
            sql, cast = connection.ops.datetime_cast_date_sql(column, (), self.zone.key)
            return sql, list(cast)
        (_, first), *later = self.shifts
        if not later:
            return f"DATE({column}, %s)", [f"{first:+d} seconds"]
        cases = " ".join(f"WHEN {column} < %s THEN %s" for _ in later)
        params: list[Any] = []
        offset = first
        for since, next_offset in later:
            params += [since, f"{offset:+d} seconds"]
            offset = next_offset
        return f"DATE({column}, CASE {cases} ELSE %s END)", [*params, f"{offset:+d} seconds"]


SHIFT_SCAN_STEP = datetime.timedelta(hours=6)


def _days(workspace_id: int, zone: ZoneInfo) -> _Days:
    """The day reader for the workspace's data (on SQLite, its zone's offsets over the data)."""
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return _Days(zone)
    span = [
        StageChange.objects.filter(workspace_id=workspace_id).aggregate(a=Min("at"), b=Max("at")),
        Deal.objects.filter(workspace_id=workspace_id).aggregate(
            a=Min("created_at"), b=Max("created_at")
        ),
    ]
    moments = [m for row in span for m in row.values() if m is not None]
    if not moments:
        return _Days(zone)
    return _Days(zone, _offsets(zone, min(moments), max(moments)))


def _offsets(
    zone: ZoneInfo, first: datetime.datetime, last: datetime.datetime
) -> tuple[tuple[str, int], ...]:
    """The zone's UTC offsets from `first` to `last`, each with the UTC text it starts at.

    Offsets change at most a few times a year, so stepping six hours at a time finds every
    change, and halving the step finds its exact second.
    """

    def offset(epoch: int) -> int:
        moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC).astimezone(zone)
        return int(moment.utcoffset().total_seconds())  # type: ignore[union-attr]

    step = int(SHIFT_SCAN_STEP.total_seconds())
    at, end = int(first.timestamp()), int(last.timestamp()) + 1
    shifts = [("", offset(at))]
    while at < end:
        ahead = min(at + step, end)
        if offset(ahead) != shifts[-1][1]:
            low, high = at, ahead  # the change happens after `low`, by `high`
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == shifts[-1][1]:
                    low = middle
                else:
                    high = middle
            since = datetime.datetime.fromtimestamp(high, datetime.UTC).replace(tzinfo=None)
            shifts.append((str(since), offset(high)))
        at = ahead
    return tuple(shifts)


def _stay_days_sql(entered: str, left: str) -> str:
    """SQL for `_stay_days`: whole days between two timestamp columns, never below zero."""
    if connection.vendor == "postgresql":
        return f"GREATEST(FLOOR(EXTRACT(EPOCH FROM ({left} - {entered})) / 86400), 0)::integer"
    # Exact microseconds from SQLite's text: whole seconds, plus the six digits after the dot
    # that Django writes when there is a fraction.
    micro = (
        f"((STRFTIME('%%s', {left}) - STRFTIME('%%s', {entered})) * 1000000"
        f" + CAST(SUBSTR({left}, 21) AS INTEGER) - CAST(SUBSTR({entered}, 21) AS INTEGER))"
    )
    return f"MAX({micro} / 86400000000, 0)"


def _rebuild_batch(workspace_id: int, days: _Days, first: int, last: int) -> None:
    """Recompute the aggregates of the deals with ids first..last, one statement per table.

    Each statement reads the batch's StageChange rows in order per deal (a window over the
    (deal, at) index) and writes its grouped counts; counts of a key that an earlier batch
    wrote are added to, so the batches sum to the whole.
    """
    changes, deals, customers, stages = (
        _table(StageChange), _table(Deal), _table(Customer), _table(Stage)
    )  # fmt: skip
    scope = [workspace_id, first, last]
    moves = f"""
        SELECT sc.deal_id, sc.pipeline_id, sc.from_stage_id, sc.to_stage_id, sc.at, sc.owner_id,
               sc.amount, c.source_channel, c.industry, c.region,
               LAG(sc.at) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS entered_at
        FROM {changes} sc
        JOIN {deals} d ON d.id = sc.deal_id
        JOIN {customers} c ON c.id = d.customer_id
        WHERE sc.workspace_id = %s AND sc.deal_id BETWEEN %s AND %s AND d.trashed_at IS NULL
    """
    dims = ", ".join(DIMENSIONS)
    day, day_params = days.day("m.at")
    entry_columns, stay_columns = _columns(ENTRY_KEY), _columns(STAY_KEY)
    stay_days = _stay_days_sql("m.entered_at", "m.at")
    created_on, created_params = days.day("d.created_at")
    closed_on, closed_params = days.day("l.at")
    cycle_days = _stay_days_sql("d.created_at", "l.at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(StageDaily)} ({entry_columns}, entered, entered_amount)
            SELECT %s, m.pipeline_id, {day}, m.to_stage_id, m.owner_id, {dims},
                   COUNT(*), SUM(COALESCE(m.amount, 0))
            FROM ({moves}) m
            WHERE TRUE
            GROUP BY 2, 3, 4, 5, 6, 7, 8
            {_upsert(StageDaily, ENTRY_KEY, ("entered", "entered_amount"))}
            """,
            [workspace_id, *day_params, *scope],
        )
        cursor.execute(
            f"""
            INSERT INTO {_table(StageStay)} ({stay_columns}, stays)
            SELECT %s, m.pipeline_id, {day}, m.from_stage_id, m.owner_id, {dims},
                   {stay_days}, COUNT(*)
            FROM ({moves}) m
            WHERE m.entered_at IS NOT NULL AND m.from_stage_id IS NOT NULL
            GROUP BY 2, 3, 4, 5, 6, 7, 8, 9
            {_upsert(StageStay, STAY_KEY, ("stays",))}
            """,
            [workspace_id, *day_params, *scope],
        )
        cursor.execute(
            f"""
            INSERT INTO {_table(DealFact)} (deal_id, workspace_id, pipeline_id, owner_id,
                customer_id, created_on, furthest_stage_id, outcome, closed_on, cycle_days,
                amount, {dims})
            SELECT d.id, d.workspace_id, d.pipeline_id, d.owner_id, d.customer_id,
                   {created_on}, COALESCE(l.furthest, l.to_stage_id), ls.kind,
                   CASE WHEN ls.kind <> %s THEN {closed_on} END,
                   CASE WHEN ls.kind <> %s THEN {cycle_days} END,
                   d.amount, c.source_channel, c.industry, c.region
            FROM (
                SELECT sc.deal_id, sc.to_stage_id, sc.at,
                       ROW_NUMBER() OVER (
                           PARTITION BY sc.deal_id ORDER BY sc.at DESC, sc.id DESC) AS n,
                       FIRST_VALUE(CASE WHEN s.kind <> %s THEN s.id END) OVER (
                           PARTITION BY sc.deal_id
                           ORDER BY s.kind = %s, s.position DESC, s.id DESC) AS furthest
                FROM {changes} sc
                JOIN {stages} s ON s.id = sc.to_stage_id
                WHERE sc.workspace_id = %s AND sc.deal_id BETWEEN %s AND %s
            ) l
            JOIN {deals} d ON d.id = l.deal_id
            JOIN {customers} c ON c.id = d.customer_id
            JOIN {stages} ls ON ls.id = l.to_stage_id
            WHERE l.n = 1 AND d.trashed_at IS NULL
            """,
            [*created_params, StageKind.OPEN.value, *closed_params, StageKind.OPEN.value,
             StageKind.LOST.value, StageKind.LOST.value, *scope],
        )  # fmt: skip


@transaction.atomic
def rebuild(workspace_id: int, progress: Progress | None = None) -> None:
    """Recompute every aggregate of the workspace from its deals and StageChange rows.

    The work runs in the database, a batch of deals at a time, so that the progress can be
    reported and no batch needs more than a bounded amount of sorting.
    """
    days = _days(workspace_id, _workspace_zone(workspace_id))
    for model in (DealFact, StageDaily, StageStay, *MONTHLY):
        model.objects.filter(workspace_id=workspace_id).delete()
    deals = (
        Deal.objects.filter(workspace_id=workspace_id).order_by("id").values_list("id", flat=True)
    )
    total = deals.count()
    done = 0
    first = 0
    while done < total:
        size = min(REBUILD_DEALS_PER_BATCH, total - done)
        last = deals.filter(id__gte=first)[size - 1]
        _rebuild_batch(workspace_id, days, first, last)
        done += size
        first = last + 1
        if progress:
            progress(done, total)
    roll_up(workspace_id)


def _month_sql(column: str) -> str:
    """SQL for `_month` of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS date)"
    return f"DATE({column}, 'start of month')"


# Everything `roll_up` writes from the daily counts and the deal facts.
MONTHLY = (
    CohortMonthly,
    StageMonthly,
    StayMonthly,
    OutcomeMonthly,
    WorkspaceStayDaily,
    WorkspaceStayMonthly,
    CohortByCustomer,
    EntriesByCustomer,
    StaysByCustomer,
    OutcomesByCustomer,
)


# The counts of each table by customer column.
COUNTS: dict[type[models.Model], tuple[str, ...]] = {
    CohortByCustomer: ("deals", "amount"),
    EntriesByCustomer: ("entered", "entered_amount"),
    StaysByCustomer: ("stays",),
    OutcomesByCustomer: ("deals", "amount"),
}


def _roll_up_by_customer(
    target: type[models.Model],
    key: tuple[str, ...],
    source: type[models.Model],
    select: str,
    *,
    where: str = "",
    params: Iterable[Any] = (),
) -> None:
    """Write `target`'s counts by each customer column from `source`: `select` gives the key
    columns from the month on, then the counts; grouped by the key (the dimension's name is
    the same in every row)."""
    with connection.cursor() as cursor:
        for dimension in DIMENSIONS:
            cursor.execute(
                f"""
                INSERT INTO {_table(target)} ({_columns(key)}, {_columns(COUNTS[target])})
                SELECT workspace_id, pipeline_id, %s, {dimension}, {select}
                FROM {_table(source)}
                WHERE workspace_id = %s AND {dimension} <> '' {where}
                GROUP BY 1, 2, {", ".join(str(n) for n in range(4, len(key) + 1))}
                """,
                [dimension, *params],
            )


def _roll_up_cohorts(workspace_id: int, pipeline_id: int | None = None) -> None:
    pipeline = "" if pipeline_id is None else "AND pipeline_id = %s"
    params = [workspace_id, *([] if pipeline_id is None else [pipeline_id])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(CohortMonthly)} ({_columns(COHORT_KEY)}, deals, amount)
            SELECT workspace_id, pipeline_id, {_month_sql("created_on")}, furthest_stage_id,
                   outcome, owner_id, COUNT(*), SUM(COALESCE(amount, 0))
            FROM {_table(DealFact)} WHERE workspace_id = %s {pipeline}
            GROUP BY 1, 2, 3, 4, 5, 6
            """,
            params,
        )
    _roll_up_by_customer(
        CohortByCustomer, CUSTOMER_COHORT_KEY, DealFact,
        f"{_month_sql('created_on')}, furthest_stage_id, outcome, COUNT(*),"
        " SUM(COALESCE(amount, 0))",
        where=pipeline, params=params,
    )  # fmt: skip


def roll_up(workspace_id: int) -> None:
    """Write the monthly counts of the workspace from its daily counts and deal facts (which
    must be complete, and the monthly ones empty): one grouped statement per table."""
    _roll_up_cohorts(workspace_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(StageMonthly)} ({_columns(MONTHLY_ENTRY_KEY)}, entered,
                entered_amount)
            SELECT workspace_id, pipeline_id, {_month_sql("day")}, stage_id, owner_id,
                   SUM(entered), SUM(entered_amount)
            FROM {_table(StageDaily)} WHERE workspace_id = %s
            GROUP BY 1, 2, 3, 4, 5
            """,
            [workspace_id],
        )
        # the key columns of each target, as the source's columns give them, in order
        stay_roll_ups = (
            (StayMonthly, MONTHLY_STAY_KEY, StageStay,
             f"workspace_id, pipeline_id, {_month_sql('day')}, stage_id, days, owner_id"),
            (WorkspaceStayDaily, WORKSPACE_STAY_KEY, StageStay,
             "workspace_id, pipeline_id, day, stage_id, days"),
            (WorkspaceStayMonthly, WORKSPACE_MONTHLY_STAY_KEY, StayMonthly,
             "workspace_id, pipeline_id, month, stage_id, days"),
        )  # fmt: skip
        for target, key, source, columns in stay_roll_ups:
            cursor.execute(
                f"""
                INSERT INTO {_table(target)} ({_columns(key)}, stays)
                SELECT {columns}, SUM(stays) FROM {_table(source)} WHERE workspace_id = %s
                GROUP BY {", ".join(str(n) for n in range(1, len(key) + 1))}
                """,
                [workspace_id],
            )
        cursor.execute(
            f"""
            INSERT INTO {_table(OutcomeMonthly)} ({_columns(OUTCOME_KEY)}, deals, amount)
            SELECT workspace_id, pipeline_id, {_month_sql("closed_on")}, outcome,
                   CASE WHEN outcome = %s THEN cycle_days ELSE 0 END, owner_id,
                   COUNT(*), SUM(COALESCE(amount, 0))
            FROM {_table(DealFact)} WHERE workspace_id = %s AND outcome <> %s
            GROUP BY 1, 2, 3, 4, 5, 6
            """,
            [StageKind.WON.value, workspace_id, StageKind.OPEN.value],
        )
    _roll_up_by_customer(
        EntriesByCustomer, CUSTOMER_ENTRY_KEY, StageDaily,
        f"{_month_sql('day')}, stage_id, SUM(entered), SUM(entered_amount)",
        params=[workspace_id],
    )  # fmt: skip
    _roll_up_by_customer(
        StaysByCustomer, CUSTOMER_STAY_KEY, StageStay,
        f"{_month_sql('day')}, stage_id, days, SUM(stays)", params=[workspace_id],
    )  # fmt: skip
    _roll_up_by_customer(
        OutcomesByCustomer, CUSTOMER_OUTCOME_KEY, DealFact,
        f"{_month_sql('closed_on')}, outcome, CASE WHEN outcome = %s THEN cycle_days ELSE 0 END,"
        " COUNT(*), SUM(COALESCE(amount, 0))",
        where="AND outcome <> %s",
        params=[StageKind.WON.value, workspace_id, StageKind.OPEN.value],
    )  # fmt: skip
