"""Reading activities and tasks: always through the actor's scope."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from ninja import FilterLookup, FilterSchema
from pydantic import AwareDatetime

from salesflow.activities.models import Activity, ActivityKind
from salesflow.core.pagination import keyset_page
from salesflow.core.scoping import Actor, get_visible, visible

ACTIVITY_ORDERINGS = ("due_at", "created_at", "updated_at", "id")


class ActivityFilter(FilterSchema):
    customer_id: int | None = None
    deal_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    kind: ActivityKind | None = None
    done: bool | None = None
    due_before: Annotated[AwareDatetime | None, FilterLookup("due_at__lt")] = None
    due_after: Annotated[AwareDatetime | None, FilterLookup("due_at__gte")] = None

    def filter_done(self, done: bool | None) -> Q:
        return Q() if done is None else Q(done_at__isnull=not done)


def activities(actor: Actor, filters: ActivityFilter) -> QuerySet[Activity]:
    return filters.filter(visible(Activity, actor))


def activity(actor: Actor, activity_id: int) -> Activity:
    return get_visible(Activity, actor, activity_id)


TIMELINE_PAGE = 20
TASK_GROUP_LIMIT = 100


def timeline(
    actor: Actor, customer_id: int, cursor: str | None = None
) -> tuple[list[Activity], str | None]:
    """A customer's activities across all its deals, newest first, and the older page's cursor."""
    rows = (
        visible(Activity, actor)
        .filter(customer_id=customer_id)
        .select_related("deal", "contact", "owner")
    )
    return keyset_page(rows, "-created_at", cursor, TIMELINE_PAGE)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=timezone.get_current_timezone())


def open_tasks(actor: Actor, owner_id: int) -> dict[str, Any]:
    """The owner's open activities, grouped by when they are due in the actor's time zone."""
    today = timezone.localdate()
    today_start = _day_start(today)
    tomorrow_start = _day_start(today + datetime.timedelta(days=1))
    rows = (
        visible(Activity, actor)
        .filter(owner_id=owner_id, done_at__isnull=True)
        .select_related("customer", "deal")
        .order_by("due_at", "id")
    )
    groups = {
        "today": rows.filter(due_at__gte=today_start, due_at__lt=tomorrow_start),
        "overdue": rows.filter(due_at__lt=today_start),
        "upcoming": rows.filter(due_at__gte=tomorrow_start),
        "undated": rows.filter(due_at__isnull=True).order_by("created_at", "id"),
    }
    return {name: _capped(group) for name, group in groups.items()}


def _capped(rows: QuerySet[Activity]) -> dict[str, Any]:
    items = list(rows[:TASK_GROUP_LIMIT])
    more = rows.count() - TASK_GROUP_LIMIT if len(items) == TASK_GROUP_LIMIT else 0
    return {"items": items, "more": more}
