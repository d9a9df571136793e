"""REST endpoints for duplicates: of one customer, the groups of a workspace, and merging."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Query, Router, Schema

from salesflow.core.api import READ_ERRORS, WRITE_ERRORS, ApiRequest, ErrorOut, InputSchema
from salesflow.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from salesflow.customers import duplicates as found
from salesflow.customers import queries
from salesflow.customers.api import CustomerOut
from salesflow.customers.duplicate_schemas import DuplicateOut
from salesflow.customers.merging import merge_customers
from salesflow.customers.models import Customer

duplicates = Router(tags=["customers"])


class KeyOut(Schema):
    kind: str
    key: str


class GroupOut(Schema):
    keys: list[KeyOut]
    customers: list[CustomerOut]


class GroupsOut(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class GroupsPage(Schema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: str | None = None


class MergedIn(InputSchema):
    id: int
    version: int | None = Field(None, description="The version read; a changed one is 409.")


class MergeIn(InputSchema):
    survivor_id: int = Field(description="The customer that stays.")
    survivor_version: int | None = Field(None, description="The version read; 409 if changed.")
    merged: list[MergedIn] = Field(description="The customers merged into it, then deleted.")
    choices: dict[str, int] = Field(
        {},
        description=(
            "For a field (`industry`, `owner_id`, `custom.<key>`), the id of the customer whose "
            "value stays; by default the survivor's, or the first other non-empty one."
        ),
    )


@duplicates.get("/duplicate-groups", response={200: GroupsOut, **READ_ERRORS, 403: ErrorOut})
def duplicate_groups(request: ApiRequest, page: Query[GroupsPage]) -> dict[str, Any]:
    """Customers sharing a phone, an e-mail or a company name (managers and admins)."""
    groups, next_cursor = found.duplicate_groups(request.auth, page.cursor, page.limit)
    return {
        "items": [
            {"keys": [{"kind": k, "key": v} for k, v in g.keys], "customers": g.customers}
            for g in groups
        ],
        "next_cursor": next_cursor,
    }


@duplicates.get("/{customer_id}/duplicates", response={200: list[DuplicateOut], **READ_ERRORS})
def customer_duplicates(request: ApiRequest, customer_id: int) -> list[found.Duplicate]:
    """The other customers sharing a phone, e-mail or company name with this one or its
    contacts; one you may not see is told by its owner only."""
    return found.duplicates_of(request.auth, queries.customer(request.auth, customer_id))


@duplicates.post("/merge", response={200: CustomerOut, **WRITE_ERRORS})
def merge(request: ApiRequest, payload: MergeIn) -> Customer:
    """Merge customers into one, moving every contact, deal, activity and other row to it."""
    return merge_customers(
        request.auth,
        payload.survivor_id,
        payload.survivor_version,
        {m.id: m.version for m in payload.merged},
        payload.choices,
    )
