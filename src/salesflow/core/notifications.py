"""In-app notifications: any feature tells a member something; the member reads and dismisses it.

A notice is written with English templates marked by `gettext_noop` and the values to fill
them with, and rendered when read, in the reader's language. Notifications are a member's
own inbox, not business records: only their addressee sees them (whatever their role), and
reading them is not audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext

from salesflow.core.errors import NotFound
from salesflow.core.models import Notification
from salesflow.core.scoping import Actor, visible

MENU_SIZE = 8


@dataclass(frozen=True)
class Notice:
    """What to tell whom. `title` and `text` are msgids with `%(name)s` placeholders filled from
    `params` (and `%(on)s`, the day `on`, in the reader's date format)."""

    workspace_id: int
    user_id: int
    kind: str
    title: str
    text: str = ""
    params: Mapping[str, str | int] = field(default_factory=dict)
    on: datetime.date | None = None
    link: str = ""
    dedupe_key: str = ""


def notify(notices: Iterable[Notice]) -> int:
    """Write the notices a member was not given before (same key); return how many are new."""
    rows = [
        Notification(
            workspace_id=n.workspace_id,
            user_id=n.user_id,
            kind=n.kind,
            title=n.title,
            text=n.text,
            params=dict(n.params),
            on=n.on,
            link=n.link,
            dedupe_key=n.dedupe_key,
        )
        for n in notices
    ]
    keyed = [row for row in rows if row.dedupe_key]
    sent: set[tuple[int, int, str]] = set()
    if keyed:
        earlier = Notification.objects.filter(
            user_id__in={row.user_id for row in keyed},
            dedupe_key__in={row.dedupe_key for row in keyed},
        ).values_list("workspace_id", "user_id", "dedupe_key")
        sent = set(earlier)
    fresh: list[Notification] = []
    for row in rows:
        key = (row.workspace_id, row.user_id, row.dedupe_key)
        if row.dedupe_key and key in sent:
            continue
        sent.add(key)
        fresh.append(row)
    # A notice sent by a concurrent run between the read above and this write is skipped too.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def render(notification: Notification) -> tuple[str, str]:
    """Title and text in the active language."""
    values: dict[str, Any] = dict(notification.params)
    if notification.on is not None:
        values["on"] = formats.date_format(notification.on, "SHORT_DATE_FORMAT")
    title = gettext(notification.title) % values
    text = gettext(notification.text) % values if notification.text else ""
    return title, text


def mine(actor: Actor, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The actor's own notifications (a manager's team's are not theirs to read)."""
    rows = visible(Notification, actor).filter(user_id=actor.user_id)
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return rows


def unread_count(actor: Actor) -> int:
    return mine(actor, unread=True).count()


def latest(actor: Actor) -> list[Notification]:
    return list(mine(actor).order_by("-id")[:MENU_SIZE])


def one(actor: Actor, notification_id: int) -> Notification:
    try:
        return mine(actor).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError) as missing:
        raise NotFound() from missing


@transaction.atomic
def mark_read(actor: Actor, notification_id: int) -> Notification:
    notification = one(actor, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        mine(actor).filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def mark_all_read(actor: Actor) -> int:
    return mine(actor, unread=True).update(read_at=timezone.now())
