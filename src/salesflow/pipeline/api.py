"""REST endpoints for pipelines and their stages, lost reasons, and deals with their moves."""

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    InputSchema,
    Money,
    RecordOut,
    UtcDatetime,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination
from salesflow.customers import customfields
from salesflow.pipeline import queries
from salesflow.pipeline.models import (
    Deal,
    ForecastCategory,
    LostReason,
    Pipeline,
    Stage,
    StageKind,
)
from salesflow.pipeline.services import deals as deal_services
from salesflow.pipeline.services import pipelines as pipeline_services

pipelines = Router(tags=["pipelines"])
lost_reasons = Router(tags=["lost reasons"])
deals = Router(tags=["deals"])


class StageOut(RecordOut):
    pipeline_id: int
    name: str
    position: int
    kind: StageKind
    goal: str
    probability: int
    expected_days: int
    exit_fields: list[str]
    exit_checklist: list[str]
    playbook_role: str
    playbook_activities: str
    playbook_materials: str
    playbook_output: str


class PipelineOut(RecordOut):
    name: str
    is_default: bool
    position: int
    stages: list[StageOut]


class PipelineFields(InputSchema):
    """Every field a client may set; only the fields it sent reach the service."""

    name: str = column(Pipeline, "name")
    is_default: bool = column(Pipeline, "is_default")
    position: int = column(Pipeline, "position")


class PipelineCreate(PipelineFields):
    name: str = column(Pipeline, "name", required=True)


class PipelineUpdate(PipelineFields, VersionedInput):
    pass


ChecklistItem = Annotated[str, Field(max_length=200)]


class StageFields(InputSchema):
    """Every field a client may set; only the fields it sent reach the service."""

    name: str = column(Stage, "name")
    position: int | None = Field(None, description="Defaults to after the last stage.")
    kind: StageKind = column(Stage, "kind")
    goal: str = column(Stage, "goal")
    probability: int = column(Stage, "probability")
    expected_days: int = column(Stage, "expected_days")
    exit_fields: list[str] = Field(
        default_factory=list,
        description="Deal fields that must be filled to leave: amount, expected_close_date, "
        "contact, next_step.",
    )
    exit_checklist: list[ChecklistItem] = Field(
        default_factory=list, description="Items that must be ticked on a deal to leave."
    )
    playbook_role: str = column(Stage, "playbook_role")
    playbook_activities: str = column(Stage, "playbook_activities")
    playbook_materials: str = column(Stage, "playbook_materials")
    playbook_output: str = column(Stage, "playbook_output")


class StageCreate(StageFields):
    name: str = column(Stage, "name", required=True)


class StageUpdate(StageFields, VersionedInput):
    pass


@pipelines.get("", response={200: list[PipelineOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=queries.PIPELINE_ORDERINGS, default="position")
def list_pipelines(request: ApiRequest) -> QuerySet[Pipeline]:
    return queries.pipelines(request.auth)


@pipelines.post("", response={201: PipelineOut, **WRITE_ERRORS})
def create_pipeline(request: ApiRequest, payload: PipelineCreate) -> Status[Pipeline]:
    pipeline = pipeline_services.create_pipeline(
        request.auth, payload.model_dump(exclude_unset=True)
    )
    return Status(201, pipeline)


@pipelines.get("/{pipeline_id}", response={200: PipelineOut, **READ_ERRORS})
def read_pipeline(request: ApiRequest, pipeline_id: int) -> Pipeline:
    return queries.pipeline(request.auth, pipeline_id)


@pipelines.patch("/{pipeline_id}", response={200: PipelineOut, **WRITE_ERRORS})
def update_pipeline(request: ApiRequest, pipeline_id: int, payload: PipelineUpdate) -> Pipeline:
    return pipeline_services.update_pipeline(
        request.auth, pipeline_id, payload.version, changes(payload)
    )


@pipelines.delete("/{pipeline_id}", response={204: None, **WRITE_ERRORS})
def delete_pipeline(
    request: ApiRequest, pipeline_id: int, version: int | None = None
) -> Status[None]:
    pipeline_services.delete_pipeline(request.auth, pipeline_id, version)
    return Status(204, None)


@pipelines.post("/{pipeline_id}/stages", response={201: StageOut, **WRITE_ERRORS})
def create_stage(request: ApiRequest, pipeline_id: int, payload: StageCreate) -> Status[Stage]:
    stage = pipeline_services.create_stage(
        request.auth, pipeline_id, payload.model_dump(exclude_unset=True)
    )
    return Status(201, stage)


@pipelines.patch("/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **WRITE_ERRORS})
def update_stage(
    request: ApiRequest, pipeline_id: int, stage_id: int, payload: StageUpdate
) -> Stage:
    stage = queries.stage(request.auth, pipeline_id, stage_id)
    return pipeline_services.update_stage(request.auth, stage.pk, payload.version, changes(payload))


@pipelines.delete("/{pipeline_id}/stages/{stage_id}", response={204: None, **WRITE_ERRORS})
def delete_stage(
    request: ApiRequest, pipeline_id: int, stage_id: int, version: int | None = None
) -> Status[None]:
    stage = queries.stage(request.auth, pipeline_id, stage_id)
    pipeline_services.delete_stage(request.auth, stage.pk, version)
    return Status(204, None)


class LostReasonOut(RecordOut):
    name: str
    position: int
    is_active: bool


@lost_reasons.get("", response={200: list[LostReasonOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=queries.LOST_REASON_ORDERINGS, default="position")
def list_lost_reasons(
    request: ApiRequest, filters: Query[queries.LostReasonFilter]
) -> QuerySet[LostReason]:
    return queries.lost_reasons(request.auth, filters)


class DealOut(RecordOut):
    name: str
    customer_id: int
    contact_id: int | None
    pipeline_id: int
    stage_id: int
    status: StageKind = Field(description="The kind of the deal's stage: open, won or lost.")
    owner_id: int
    amount: Money | None
    currency: str
    expected_close_date: datetime.date | None
    probability: int
    probability_overridden: bool
    next_step: str
    forecast_category: ForecastCategory = Field(
        description="commit, best_case, pipeline or omitted: the owner's choice, else from the "
        "win probability (70 % and up commit, 40 % best case, 1 % pipeline, 0 omitted)."
    )
    forecast_category_chosen: bool = Field(description="Whether the owner chose the category.")
    lost_reason: str | None = Field(description="The lost reason's name.")
    lost_note: str
    checklist: dict[str, list[str]]
    stage_entered_at: UtcDatetime
    closed_at: UtcDatetime | None
    custom: dict[str, Any] = Field(description=customfields.describe_types())

    @staticmethod
    def resolve_status(deal: Deal) -> str:
        return deal.stage.kind

    @staticmethod
    def resolve_forecast_category(deal: Deal) -> str:
        return deal.effective_forecast_category

    @staticmethod
    def resolve_forecast_category_chosen(deal: Deal) -> bool:
        return bool(deal.forecast_category)

    @staticmethod
    def resolve_lost_reason(deal: Deal) -> str | None:
        return deal.lost_reason.name if deal.lost_reason else None


class DealFields(InputSchema):
    """Every field a client may set; only the fields it sent reach the service."""

    name: str = column(Deal, "name")
    customer_id: int = column(Deal, "customer_id")
    contact_id: int | None = column(Deal, "contact_id")
    owner_id: int = column(Deal, "owner_id", description="Defaults to the caller.")
    amount: Decimal | None = column(Deal, "amount")
    currency: str = column(
        Deal, "currency", description="ISO 4217; defaults to the workspace's base currency."
    )
    expected_close_date: datetime.date | None = column(Deal, "expected_close_date")
    probability: int | None = Field(
        None, description="Win probability in %; null goes back to the stage's default."
    )
    next_step: str = column(Deal, "next_step")
    forecast_category: ForecastCategory | Literal[""] = Field(
        "", description="commit, best_case, pipeline or omitted; empty follows the probability."
    )
    checklist: dict[str, list[ChecklistItem]] = Field(
        default_factory=dict, description="Ticked exit checklist items, by stage id."
    )
    custom: dict[str, Any] = Field(default_factory=dict, description=customfields.describe_types())


class DealCreate(DealFields):
    name: str = column(Deal, "name", required=True)
    customer_id: int = column(Deal, "customer_id", required=True)
    pipeline_id: int | None = Field(None, description="Defaults to the default pipeline.")
    stage_id: int | None = Field(None, description="Defaults to the pipeline's first open stage.")


class DealUpdate(DealFields, VersionedInput):
    pass


class MoveIn(VersionedInput):
    stage_id: int


class CloseIn(VersionedInput):
    outcome: Literal["won", "lost"]
    reason: str | None = column(
        LostReason, "name", description="Required when lost: a name from /lost-reasons."
    )
    note: str = column(Deal, "lost_note")


class ReopenIn(VersionedInput):
    stage_id: int | None = Field(
        None, description="Defaults to the stage the deal was closed from."
    )


@deals.get(
    "", response={200: list[DealOut], **READ_ERRORS}, description=customfields.describe_filters()
)
@paginate(KeysetPagination, orderings=queries.DEAL_ORDERINGS, default="-created_at")
def list_deals(request: ApiRequest, filters: Query[queries.DealFilter]) -> QuerySet[Deal]:
    return queries.deals(request.auth, filters, request.GET)


@deals.post("", response={201: DealOut, **WRITE_ERRORS})
def create_deal(request: ApiRequest, payload: DealCreate) -> Status[Deal]:
    deal = deal_services.create_deal(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, deal)


@deals.get("/{deal_id}", response={200: DealOut, **READ_ERRORS})
def read_deal(request: ApiRequest, deal_id: int) -> Deal:
    return queries.deal(request.auth, deal_id)


@deals.patch("/{deal_id}", response={200: DealOut, **WRITE_ERRORS})
def update_deal(request: ApiRequest, deal_id: int, payload: DealUpdate) -> Deal:
    return deal_services.update_deal(request.auth, deal_id, payload.version, changes(payload))


@deals.delete("/{deal_id}", response={204: None, **WRITE_ERRORS})
def delete_deal(request: ApiRequest, deal_id: int, version: int | None = None) -> Status[None]:
    deal_services.delete_deal(request.auth, deal_id, version)
    return Status(204, None)


@deals.post("/{deal_id}/move", response={200: DealOut, **WRITE_ERRORS})
def move_deal(request: ApiRequest, deal_id: int, payload: MoveIn) -> Deal:
    """Forward moves need the exit criteria of every stage left; backward moves are free."""
    return deal_services.move_deal(request.auth, deal_id, payload.stage_id, payload.version)


@deals.post("/{deal_id}/close", response={200: DealOut, **WRITE_ERRORS})
def close_deal(request: ApiRequest, deal_id: int, payload: CloseIn) -> Deal:
    return deal_services.close_deal(
        request.auth,
        deal_id,
        outcome=payload.outcome,
        reason=payload.reason,
        note=payload.note,
        version=payload.version,
    )


@deals.post("/{deal_id}/reopen", response={200: DealOut, **WRITE_ERRORS})
def reopen_deal(request: ApiRequest, deal_id: int, payload: ReopenIn) -> Deal:
    return deal_services.reopen_deal(
        request.auth, deal_id, version=payload.version, stage_id=payload.stage_id
    )
