"""The trash: deleting a customer, contact, deal or activity moves it here for 30 days.

A trashed row keeps its data and gets `trashed_at`; `visible()` leaves it out of every list,
search, report, board and count. A trashed customer takes its contacts, deals and activities
with it (`trashed_with_customer`) and brings them back when restored. Deals leave the analytics
aggregates when trashed and are counted again when restored, so the aggregates always equal a
rebuild. Admins restore or purge; `salesflow purge_trash` purges what is older than 30 days.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.activities.models import Activity
from salesflow.analytics import aggregates
from salesflow.analytics.models import DealFact
from salesflow.core import writes
from salesflow.core.errors import NotFound, ValidationFailed
from salesflow.core.models import Workspace
from salesflow.core.pagination import keyset_page
from salesflow.core.scoping import Actor, in_trash
from salesflow.customers import duplicates, search
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline.models import Deal, StageChange

TRASH_DAYS = 30
TRASH_ORDERING = "-trashed_at"


class TrashKind(models.TextChoices):
    CUSTOMER = "customer", _("Customers")
    CONTACT = "contact", _("Contacts")
    DEAL = "deal", _("Deals")
    ACTIVITY = "activity", _("Activities")


Trashed = Customer | Contact | Deal | Activity
MODELS: dict[str, type[Trashed]] = {
    TrashKind.CUSTOMER: Customer,
    TrashKind.CONTACT: Contact,
    TrashKind.DEAL: Deal,
    TrashKind.ACTIVITY: Activity,
}
# What goes to the trash with a customer, and comes back with it.
PARTS: tuple[type[Contact] | type[Deal] | type[Activity], ...] = (Contact, Deal, Activity)


def _mark(actor: Actor, obj: Trashed, now: datetime.datetime | None) -> None:
    values = {"trashed_at": now, "trashed_by_id": actor.user_id if now else None}
    writes.update(actor, obj, writes.apply(obj, values), action="trash" if now else "restore")


def _forget(deal: Deal) -> None:
    """Take the deal out of the analytics, as a rebuild (which skips trashed deals) would."""
    aggregates.forget_deal(deal)
    DealFact.objects.filter(deal_id=deal.pk).delete()


def _remember(deal: Deal) -> None:
    """Count the deal's moves again, one by one, as when they were made."""
    entered_at = None
    changes = StageChange.objects.filter(deal_id=deal.pk).order_by("at", "id")
    for change in changes:
        move = aggregates.Move(
            deal.pk,
            change.pipeline_id,
            change.from_stage_id,
            change.to_stage_id,
            change.at,
            change.owner_id or 0,
            change.amount,
        )
        aggregates.record_move(deal, move, entered_at)
        entered_at = change.at


def _reindex(customer_ids: list[int]) -> None:
    """What customers are found and matched by follows them and their contacts into and out
    of the trash."""
    search.reindex(customer_ids)
    duplicates.reindex(customer_ids)


def trash_customer(actor: Actor, customer: Customer) -> None:
    """Called by `delete_customer` once it has checked the permission and the lock."""
    now = timezone.now()
    for deal in Deal.objects.filter(customer=customer, trashed_at__isnull=True):
        _forget(deal)
    for model in PARTS:
        model._default_manager.filter(customer=customer, trashed_at__isnull=True).update(
            trashed_at=now,
            trashed_by_id=actor.user_id,
            trashed_with_customer=True,
            version=F("version") + 1,
        )
    _mark(actor, customer, now)
    _reindex([customer.pk])


def trash_contact(actor: Actor, contact: Contact) -> None:
    _mark(actor, contact, timezone.now())
    _reindex([contact.customer_id])


def trash_deal(actor: Actor, deal: Deal) -> None:
    _forget(deal)
    _mark(actor, deal, timezone.now())


def trash_activity(actor: Actor, activity: Activity) -> None:
    _mark(actor, activity, timezone.now())


def _trashed(actor: Actor, kind: str, pk: object) -> Trashed:
    """One row of the trash the admin may restore or purge, locked for this transaction."""
    model = MODELS.get(kind)
    if model is None:
        raise ValidationFailed.one(
            "kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(MODELS)}
        )
    try:
        obj = in_trash(model, actor).select_for_update().get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as missing:
        raise NotFound() from missing
    if getattr(obj, "trashed_with_customer", False):
        raise ValidationFailed.one(
            "id",
            _("This went to the trash with its customer “%(customer)s”: restore or purge that.")
            % {"customer": Customer.objects.get(pk=obj.customer_id).name},  # type: ignore[union-attr]
        )
    return obj


@transaction.atomic
def restore(actor: Actor, kind: str, pk: object) -> Trashed:
    """Bring a row back from the trash (a customer with everything that went with it)."""
    obj = _trashed(actor, kind, pk)
    if isinstance(obj, Customer):
        _mark(actor, obj, None)
        for model in PARTS:
            model._default_manager.filter(customer=obj, trashed_with_customer=True).update(
                trashed_at=None,
                trashed_by_id=None,
                trashed_with_customer=False,
                version=F("version") + 1,
            )
        for deal in Deal.objects.filter(customer=obj, trashed_at__isnull=True):
            _remember(deal)
        _reindex([obj.pk])
        return obj
    customer = Customer.objects.get(pk=obj.customer_id)
    if customer.trashed_at is not None:
        raise ValidationFailed.one(
            "customer_id",
            _("Its customer “%(customer)s” is in the trash: restore the customer first.")
            % {"customer": customer.name},
        )
    _mark(actor, obj, None)
    if isinstance(obj, Deal):
        _remember(obj)
    elif isinstance(obj, Contact):
        _reindex([customer.pk])
    return obj


@transaction.atomic
def purge(actor: Actor, kind: str, pk: object) -> None:
    """Delete a row of the trash for good, now."""
    _purge(actor, _trashed(actor, kind, pk))


def _purge(actor: Actor | None, obj: Trashed) -> None:
    if isinstance(obj, Customer):
        # Deals protect their customer; its contacts and activities go with it by cascade.
        Deal.objects.filter(customer=obj).delete()
    writes.delete(actor, obj, action="purge")


def expired(now: datetime.datetime | None = None) -> datetime.datetime:
    """Rows trashed before this moment have stayed their 30 days."""
    return (now or timezone.now()) - datetime.timedelta(days=TRASH_DAYS)


def purge_expired(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Purge every row trashed more than 30 days ago, in every workspace.

    Rows that went with their customer go with it. Each row is purged in its own transaction,
    so a row that cannot be deleted (still used by other records) stays and the others go.
    Returns how many were purged and how many stayed.
    """
    cutoff = expired(now)
    purged = kept = 0
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        for model in (Activity, Contact, Deal, Customer):
            rows = model._default_manager.filter(workspace_id=workspace_id, trashed_at__lt=cutoff)
            if model is not Customer:
                rows = rows.filter(Q(trashed_with_customer=False))
            for obj in rows.order_by("trashed_at", "pk").iterator():
                try:
                    with transaction.atomic():
                        _purge(None, obj)
                except ValidationFailed:
                    kept += 1
                else:
                    purged += 1
    return purged, kept


def label(row: Trashed) -> str:
    """What a row is called in the trash: its name, or an activity's subject."""
    return row.subject if isinstance(row, Activity) else row.name


@dataclass(frozen=True)
class TrashItem:
    kind: str
    row: Trashed
    now: datetime.datetime

    @property
    def name(self) -> str:
        return label(self.row)

    @property
    def customer(self) -> Customer | None:
        return None if isinstance(self.row, Customer) else self.row.customer

    @property
    def purge_at(self) -> datetime.datetime:
        assert self.row.trashed_at is not None
        return self.row.trashed_at + datetime.timedelta(days=TRASH_DAYS)

    @property
    def days_left(self) -> int:
        return max(0, math.ceil((self.purge_at - self.now) / datetime.timedelta(days=1)))


def trash_rows(actor: Actor, kind: str) -> QuerySet[Trashed]:
    """What an admin sees of one kind in the trash: what was deleted on its own, newest first."""
    model = MODELS[kind]
    rows = in_trash(model, actor).select_related("trashed_by")
    if model is Customer:
        return rows
    return rows.filter(trashed_with_customer=False).select_related("customer")


def trash_page(
    actor: Actor, kind: str, cursor: str | None, limit: int
) -> tuple[list[TrashItem], str | None]:
    rows, next_cursor = keyset_page(trash_rows(actor, kind), TRASH_ORDERING, cursor, limit)
    now = timezone.now()
    return [TrashItem(kind, row, now) for row in rows], next_cursor
