"""Reading pipelines, stages, lost reasons and deals: always through the actor's scope."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import QuerySet
from ninja import FilterLookup, FilterSchema

from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageKind

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


def deals(actor: Actor, filters: DealFilter) -> QuerySet[Deal]:
    return filters.filter(visible(Deal, actor)).select_related("stage", "lost_reason")


def deal(actor: Actor, deal_id: int) -> Deal:
    return get_visible(Deal.objects.select_related("stage", "lost_reason"), actor, deal_id)
