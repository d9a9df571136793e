"""Reading pipelines, stages, lost reasons and deals: always through the actor's scope."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from ninja import FilterLookup, FilterSchema

from salesflow.activities.models import Activity
from salesflow.core.errors import NotFound
from salesflow.core.models import Membership, Team
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers import customfields
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange, StageKind

PIPELINE_ORDERINGS = ("position", "name", "created_at", "id")
LOST_REASON_ORDERINGS = ("position", "name", "id")
DEAL_ORDERINGS = ("name", "created_at", "updated_at", "id", "amount", "expected_close_date")


class LostReasonFilter(FilterSchema):
    is_active: bool | None = None


class DealFilter(FilterSchema):
    pipeline_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    status: Annotated[StageKind | None, FilterLookup("stage__kind")] = None
    amount_min: Annotated[Decimal | None, FilterLookup("amount__gte")] = None
    amount_max: Annotated[Decimal | None, FilterLookup("amount__lte")] = None
    expected_close_from: Annotated[
        datetime.date | None, FilterLookup("expected_close_date__gte")
    ] = None
    expected_close_to: Annotated[datetime.date | None, FilterLookup("expected_close_date__lte")] = (
        None
    )


def pipelines(actor: Actor) -> QuerySet[Pipeline]:
    return visible(Pipeline, actor).prefetch_related("stages")


def pipeline(actor: Actor, pipeline_id: int) -> Pipeline:
    return get_visible(Pipeline.objects.prefetch_related("stages"), actor, pipeline_id)


def stage(actor: Actor, pipeline_id: int, stage_id: int) -> Stage:
    """A stage of this pipeline: a stage id of another pipeline is simply not found here."""
    return get_visible(Stage.objects.filter(pipeline_id=pipeline_id), actor, stage_id)


def lost_reasons(actor: Actor, filters: LostReasonFilter) -> QuerySet[LostReason]:
    return filters.filter(visible(LostReason, actor))


def deals(
    actor: Actor, filters: DealFilter, custom: Mapping[str, str] | None = None
) -> QuerySet[Deal]:
    rows = customfields.filtered(actor, "deal", filters.filter(visible(Deal, actor)), custom or {})
    return rows.select_related("stage", "lost_reason")


def deal(actor: Actor, deal_id: int) -> Deal:
    return get_visible(Deal.objects.select_related("stage", "lost_reason"), actor, deal_id)


# The board and the deal page.

BOARD_PAGE = 30


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows: one pipeline's open deals, narrowed by the filter form."""

    pipeline_id: int
    owner_id: int | None = None
    team_path: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None


@dataclass(frozen=True)
class ColumnTotal:
    count: int
    amounts: list[tuple[str, Decimal]]


def board_pipeline(actor: Actor, pipeline_id: int | None) -> Pipeline:
    """The pipeline asked for, else the workspace's default, else its first."""
    if pipeline_id is not None:
        return pipeline(actor, pipeline_id)
    rows = visible(Pipeline, actor).prefetch_related("stages").order_by("-is_default", "position")
    found = rows.first()
    if found is None:
        raise NotFound()
    return found


def board_teams(actor: Actor) -> QuerySet[Team]:
    """Teams whose deals the actor may filter by: all for an admin, the managed sub-trees else."""
    teams = Team.objects.filter(workspace_id=actor.workspace_id).order_by("path")
    if actor.is_admin:
        return teams
    in_scope = Q(pk__in=[])
    for path in actor.managed_paths:
        in_scope |= Q(path__startswith=path)
    return teams.filter(in_scope)


def board_deals(actor: Actor, filters: BoardFilters) -> QuerySet[Deal]:
    """The open deals the board shows, before they are split into columns."""
    rows = visible(Deal, actor).filter(pipeline_id=filters.pipeline_id, stage__kind=StageKind.OPEN)
    if filters.owner_id is not None:
        rows = rows.filter(owner_id=filters.owner_id)
    if filters.team_path is not None:
        members = Membership.objects.filter(
            workspace_id=actor.workspace_id, team__path__startswith=filters.team_path
        )
        rows = rows.filter(owner_id__in=members.values("user_id"))
    if filters.amount_min is not None:
        rows = rows.filter(amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        rows = rows.filter(amount__lte=filters.amount_max)
    if filters.close_from is not None:
        rows = rows.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to is not None:
        rows = rows.filter(expected_close_date__lte=filters.close_to)
    return rows


def column_totals(actor: Actor, filters: BoardFilters) -> dict[int, ColumnTotal]:
    """Count and amount of every column, per currency, summed by the database."""
    rows = (
        board_deals(actor, filters)
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("id"), amount=Sum("amount"))
    )
    totals: dict[int, ColumnTotal] = {}
    for row in rows:
        total = totals.setdefault(row["stage_id"], ColumnTotal(0, []))
        totals[row["stage_id"]] = ColumnTotal(
            total.count + row["count"],
            [*total.amounts, (row["currency"], row["amount"] or Decimal(0))],
        )
    return totals


def encode_cursor(deal: Deal) -> str:
    return f"{deal.stage_entered_at.isoformat()}_{deal.pk}"


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    at, _sep, pk = cursor.rpartition("_")
    try:
        return datetime.datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None


def column_cards(
    actor: Actor, filters: BoardFilters, stage_id: int, cursor: str | None = None
) -> tuple[list[Deal], str | None]:
    """One page of a column, newest in the stage first, and the next page's cursor.

    Keyset pagination on (stage_entered_at, id): a page costs the same however deep it is.
    """
    rows = board_deals(actor, filters).filter(stage_id=stage_id)
    after = decode_cursor(cursor) if cursor else None
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(stage_entered_at__lt=at) | Q(stage_entered_at=at, pk__lt=pk))
    next_activity = (
        visible(Activity, actor)
        .filter(deal_id=OuterRef("pk"), done_at__isnull=True, due_at__isnull=False)
        .order_by("due_at", "id")
        .values("id")[:1]
    )
    cards: list[Deal] = list(
        rows.select_related("customer", "owner")
        .annotate(next_activity_id=Subquery(next_activity))
        .order_by("-stage_entered_at", "-id")[: BOARD_PAGE + 1]
    )
    # The ids come from the scoped subquery above, so fetching them by id stays in scope.
    ids = [c.next_activity_id for c in cards if c.next_activity_id]  # type: ignore[attr-defined]
    activities = Activity.objects.in_bulk(ids)
    now = timezone.now()
    for card in cards:
        card.next_activity = activities.get(card.next_activity_id)  # type: ignore[attr-defined]
        card.days_in_stage = (now - card.stage_entered_at).days  # type: ignore[attr-defined]
    more = len(cards) > BOARD_PAGE
    cards = cards[:BOARD_PAGE]
    return cards, encode_cursor(cards[-1]) if more else None


def deal_page(actor: Actor, deal_id: int) -> Deal:
    """One visible deal with everything its page header shows."""
    return get_visible(
        Deal.objects.select_related(
            "stage", "pipeline", "customer", "contact", "owner", "lost_reason"
        ),
        actor,
        deal_id,
    )


@dataclass(frozen=True)
class StageStay:
    change: StageChange
    left_at: datetime.datetime | None
    duration: datetime.timedelta

    @property
    def hours(self) -> int:
        """Hours beyond the whole days of the stay."""
        return self.duration.seconds // 3600


def stage_history(actor: Actor, deal: Deal) -> list[StageStay]:
    """Every stage the deal entered, newest first, with how long it stayed there."""
    changes = list(
        visible(StageChange, actor)
        .filter(deal_id=deal.pk)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("at", "id")
    )
    now = timezone.now()
    stays = []
    for index, change in enumerate(changes):
        left_at = changes[index + 1].at if index + 1 < len(changes) else None
        stays.append(StageStay(change, left_at, (left_at or now) - change.at))
    return stays[::-1]


DEAL_TIMELINE = 50


def deal_activities(actor: Actor, deal: Deal) -> list[Activity]:
    """The deal's activities, newest first."""
    rows = (
        visible(Activity, actor)
        .filter(deal_id=deal.pk)
        .select_related("owner", "contact")
        .order_by("-created_at", "-id")
    )
    return list(rows[:DEAL_TIMELINE])


def active_lost_reasons(actor: Actor) -> QuerySet[LostReason]:
    return visible(LostReason, actor).filter(is_active=True).order_by("position", "id")
