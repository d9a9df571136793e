"""Reading activities and tasks: always through the actor's scope."""

from __future__ import annotations

from typing import Annotated

from django.db.models import Q, QuerySet
from ninja import FilterLookup, FilterSchema
from pydantic import AwareDatetime

from salesflow.activities.models import Activity, ActivityKind
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
