"""REST endpoints of the caller's own notifications."""

import datetime

from django.db.models import QuerySet
from ninja import Router, Schema
from ninja.pagination import paginate

from salesflow.core import notifications
from salesflow.core.api import READ_ERRORS, WRITE_ERRORS, ApiRequest, UtcDatetime
from salesflow.core.models import Notification
from salesflow.core.pagination import KeysetPagination

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    text: str
    on: datetime.date | None
    link: str
    created_at: UtcDatetime
    read_at: UtcDatetime | None

    @staticmethod
    def resolve_title(obj: Notification) -> str:
        return notifications.render(obj)[0]

    @staticmethod
    def resolve_text(obj: Notification) -> str:
        return notifications.render(obj)[1]


class MarkedOut(Schema):
    marked: int


@router.get("", response={200: list[NotificationOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=("id",), default="-id")
def list_notifications(request: ApiRequest, unread: bool | None = None) -> QuerySet[Notification]:
    return notifications.mine(request.auth, unread=unread)


@router.post("/read-all", response={200: MarkedOut, **WRITE_ERRORS})
def read_all(request: ApiRequest) -> MarkedOut:
    return MarkedOut(marked=notifications.mark_all_read(request.auth))


@router.post("/{notification_id}/read", response={200: NotificationOut, **WRITE_ERRORS})
def read(request: ApiRequest, notification_id: int) -> Notification:
    return notifications.mark_read(request.auth, notification_id)
