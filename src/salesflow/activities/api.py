"""REST endpoints for activities and tasks."""

from django.db.models import QuerySet
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AwareDatetime

from salesflow.activities import queries, services
from salesflow.activities.models import Activity, ActivityKind
from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    InputSchema,
    RecordOut,
    UtcDatetime,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination

activities = Router(tags=["activities"])


class ActivityOut(RecordOut):
    kind: ActivityKind
    subject: str
    body: str
    due_at: UtcDatetime | None
    done_at: UtcDatetime | None
    outcome: str
    customer_id: int
    contact_id: int | None
    deal_id: int | None
    owner_id: int


class ActivityFields(InputSchema):
    """Every field a client may set; only the fields it sent reach the service."""

    kind: ActivityKind = column(Activity, "kind")
    subject: str = column(Activity, "subject")
    body: str = column(Activity, "body")
    due_at: AwareDatetime | None = column(Activity, "due_at")
    done_at: AwareDatetime | None = column(Activity, "done_at")
    outcome: str = column(Activity, "outcome")
    customer_id: int = column(Activity, "customer_id")
    contact_id: int | None = column(Activity, "contact_id")
    deal_id: int | None = column(Activity, "deal_id")
    owner_id: int = column(Activity, "owner_id", description="Defaults to the caller.")


class ActivityCreate(ActivityFields):
    kind: ActivityKind = column(Activity, "kind", required=True)
    subject: str = column(Activity, "subject", required=True)
    customer_id: int = column(Activity, "customer_id", required=True)


class ActivityUpdate(ActivityFields, VersionedInput):
    pass


@activities.get("", response={200: list[ActivityOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=queries.ACTIVITY_ORDERINGS, default="due_at")
def list_activities(
    request: ApiRequest, filters: Query[queries.ActivityFilter]
) -> QuerySet[Activity]:
    return queries.activities(request.auth, filters)


@activities.post("", response={201: ActivityOut, **WRITE_ERRORS})
def create_activity(request: ApiRequest, payload: ActivityCreate) -> Status[Activity]:
    activity = services.create_activity(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, activity)


@activities.get("/{activity_id}", response={200: ActivityOut, **READ_ERRORS})
def read_activity(request: ApiRequest, activity_id: int) -> Activity:
    return queries.activity(request.auth, activity_id)


@activities.patch("/{activity_id}", response={200: ActivityOut, **WRITE_ERRORS})
def update_activity(request: ApiRequest, activity_id: int, payload: ActivityUpdate) -> Activity:
    return services.update_activity(request.auth, activity_id, payload.version, changes(payload))


@activities.delete("/{activity_id}", response={204: None, **WRITE_ERRORS})
def delete_activity(
    request: ApiRequest, activity_id: int, version: int | None = None
) -> Status[None]:
    services.delete_activity(request.auth, activity_id, version)
    return Status(204, None)
