"""REST endpoints for locks, revealing protected fields, and the trash."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salesflow.core.api import WRITE_ERRORS, ApiRequest, ErrorOut, InputSchema, UtcDatetime
from salesflow.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from salesflow.customers import locks, protected, trash
from salesflow.customers.api import CustomerOut
from salesflow.customers.models import Customer
from salesflow.customers.trash import TrashItem, TrashKind

customer_locks = Router(tags=["customers"])
contact_reveals = Router(tags=["contacts"])
trash_router = Router(tags=["trash"])


class LockInput(InputSchema):
    version: int | None = Field(None, description="The version you read; 409 if it changed.")


@customer_locks.post("/{customer_id}/lock", response={200: CustomerOut, **WRITE_ERRORS})
def lock_customer(request: ApiRequest, customer_id: int, payload: LockInput) -> Customer:
    """Lock the customer against deletion; who and when are recorded."""
    return locks.lock_customer(request.auth, customer_id, payload.version)


@customer_locks.post("/{customer_id}/unlock", response={200: CustomerOut, **WRITE_ERRORS})
def unlock_customer(request: ApiRequest, customer_id: int, payload: LockInput) -> Customer:
    return locks.unlock_customer(request.auth, customer_id, payload.version)


class RevealInput(InputSchema):
    field: str = Field(description="The protected field: id_number, bank_account, private_notes.")
    password: str = Field("", max_length=4096, description="Your own password, typed again.")


class RevealOut(Schema):
    field: str
    value: str


@customer_locks.post("/{customer_id}/reveal", response={200: RevealOut, **WRITE_ERRORS})
def reveal_customer_field(request: ApiRequest, customer_id: int, payload: RevealInput) -> RevealOut:
    """The clear value of one protected field; every attempt is recorded in the audit trail."""
    value = protected.reveal(request.auth, "customer", customer_id, payload.field, payload.password)
    return RevealOut(field=payload.field, value=value)


@contact_reveals.post("/{contact_id}/reveal", response={200: RevealOut, **WRITE_ERRORS})
def reveal_contact_field(request: ApiRequest, contact_id: int, payload: RevealInput) -> RevealOut:
    """The clear value of the contact's ID number; every attempt is recorded."""
    value = protected.reveal(request.auth, "contact", contact_id, payload.field, payload.password)
    return RevealOut(field=payload.field, value=value)


class TrashItemOut(Schema):
    kind: TrashKind
    id: int
    name: str
    customer_id: int | None
    trashed_at: UtcDatetime
    trashed_by_id: int | None
    purge_at: UtcDatetime
    days_left: int

    @staticmethod
    def from_item(item: TrashItem) -> TrashItemOut:
        row = item.row
        assert row.trashed_at is not None
        return TrashItemOut(
            kind=TrashKind(item.kind),
            id=row.pk,
            name=item.name,
            customer_id=item.customer.pk if item.customer else None,
            trashed_at=row.trashed_at,
            trashed_by_id=row.trashed_by_id,
            purge_at=item.purge_at,
            days_left=item.days_left,
        )


class TrashPageOut(Schema):
    items: list[TrashItemOut]
    next_cursor: str | None


class TrashFilter(Schema):
    kind: TrashKind = TrashKind.CUSTOMER
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, description="next_cursor of the last page.")


@trash_router.get("", response={200: TrashPageOut, frozenset({401, 403, 422}): ErrorOut})
def list_trash(request: ApiRequest, filters: Query[TrashFilter]) -> TrashPageOut:
    """What was deleted, newest first, one kind at a time (admins only)."""
    items, next_cursor = trash.trash_page(request.auth, filters.kind, filters.cursor, filters.limit)
    return TrashPageOut(items=[TrashItemOut.from_item(i) for i in items], next_cursor=next_cursor)


TrashKindPath = Literal["customer", "contact", "deal", "activity"]


@trash_router.post("/{kind}/{item_id}/restore", response={204: None, **WRITE_ERRORS})
def restore_item(request: ApiRequest, kind: TrashKindPath, item_id: int) -> Status[None]:
    """Bring it back (a customer with its contacts, deals and activities)."""
    trash.restore(request.auth, kind, item_id)
    return Status(204, None)


@trash_router.delete("/{kind}/{item_id}", response={204: None, **WRITE_ERRORS})
def purge_item(request: ApiRequest, kind: TrashKindPath, item_id: int) -> Status[None]:
    """Delete it for good, now (a customer with everything that went with it)."""
    trash.purge(request.auth, kind, item_id)
    return Status(204, None)
