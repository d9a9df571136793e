"""REST endpoints of each user's customer shortcuts: pinned, recently viewed, most used."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Router, Schema
from ninja.responses import Status

from salesflow.core.api import READ_ERRORS, WRITE_ERRORS, ApiRequest
from salesflow.customers import shortcuts
from salesflow.customers.models import Lifecycle, Tier

customer_shortcuts = Router(tags=["customers"])


class ShortcutCustomerOut(Schema):
    id: int
    name: str
    tier: Tier | Literal[""]
    lifecycle: Lifecycle


class ShortcutsOut(Schema):
    pinned: list[ShortcutCustomerOut] = Field(description="Latest pinned first.")
    recent: list[ShortcutCustomerOut] = Field(
        description="The last 10 customers whose page the caller opened, latest first."
    )
    most_used: list[ShortcutCustomerOut] = Field(
        description="The 10 customers whose page the caller opened most often."
    )


@customer_shortcuts.get("/shortcuts", response={200: ShortcutsOut, **READ_ERRORS})
def read_shortcuts(request: ApiRequest) -> shortcuts.Shortcuts:
    """The caller's own shortcuts, among the customers they may see now."""
    return shortcuts.shortcuts(request.auth)


@customer_shortcuts.post("/{customer_id}/pin", response={204: None, **WRITE_ERRORS})
def pin_customer(request: ApiRequest, customer_id: int) -> Status[None]:
    shortcuts.pin(request.auth, customer_id)
    return Status(204, None)


@customer_shortcuts.delete("/{customer_id}/pin", response={204: None, **WRITE_ERRORS})
def unpin_customer(request: ApiRequest, customer_id: int) -> Status[None]:
    shortcuts.unpin(request.auth, customer_id)
    return Status(204, None)
