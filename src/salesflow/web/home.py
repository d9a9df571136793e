"""The home page's figures: my open deals by stage, my agenda, neglected deals, won so far."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesflow.activities.models import Activity
from salesflow.core.scoping import Actor, visible
from salesflow.pipeline.models import Deal, StageKind

# An open deal with no activity logged or done for this many days needs attention.
QUIET_DAYS = 14
AGENDA_LIMIT = 20


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=timezone.get_current_timezone())


def overview(actor: Actor) -> dict[str, Any]:
    today = timezone.localdate()
    tomorrow = _day_start(today + datetime.timedelta(days=1))
    mine = visible(Deal, actor).filter(owner_id=actor.user_id)
    open_deals = mine.filter(stage__kind=StageKind.OPEN)

    by_stage = (
        open_deals.values("pipeline__name", "stage_id", "stage__name", "stage__position")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("pipeline__name", "stage__position")
    )

    agenda = (
        visible(Activity, actor)
        .filter(owner_id=actor.user_id, done_at__isnull=True, due_at__lt=tomorrow)
        .select_related("customer", "deal")
        .order_by("due_at", "id")
    )
    last_touch = (
        Activity.objects.filter(deal_id=OuterRef("pk"), trashed_at__isnull=True)
        .annotate(touched=Coalesce("done_at", "created_at"))
        .order_by()
        .values("deal_id")
        .annotate(latest=Max("touched"))
        .values("latest")
    )
    quiet_since = timezone.now() - datetime.timedelta(days=QUIET_DAYS)
    quiet = (
        open_deals.annotate(last_activity=Subquery(last_touch))
        .filter(Q(last_activity__lt=quiet_since) | Q(last_activity__isnull=True))
        .filter(created_at__lt=quiet_since)
        .select_related("customer", "stage")
        .order_by("last_activity", "id")
    )
    month_start = _day_start(today.replace(day=1))
    won = (
        mine.filter(stage__kind=StageKind.WON, closed_at__gte=month_start)
        .values("currency")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by("currency")
    )
    return {
        "by_stage": list(by_stage),
        "agenda": list(agenda[:AGENDA_LIMIT]),
        "agenda_more": max(0, agenda.count() - AGENDA_LIMIT),
        "today_start": _day_start(today),
        "quiet": list(quiet[:AGENDA_LIMIT]),
        "quiet_days": QUIET_DAYS,
        "won": list(won),
        "month_start": month_start,
        "base_currency": actor.workspace.base_currency,
    }
