"""REST endpoints of the public pool: its customers, claim, assign, release, history, rules."""

from typing import Annotated

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    InputSchema,
    UtcDatetime,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination
from salesflow.customers import pool, pool_queries
from salesflow.customers.api import CustomerOut
from salesflow.customers.models import Customer, CustomerRules, PoolEvent, PoolEventKind

router = Router(tags=["pool"])

Reason = Annotated[str, Field(max_length=pool.REASON_LENGTH)]


class ClaimsOut(Schema):
    made: int = Field(description="Customers the caller claimed today (workspace time zone).")
    limit: int
    left: int


class ReleaseIn(InputSchema):
    reason: Reason
    version: int | None = Field(None, description="The customer's version; stale is a 409.")


class AssignIn(InputSchema):
    owner_id: int
    reason: Reason = ""


class PoolEventOut(Schema):
    id: int
    customer_id: int
    kind: PoolEventKind
    at: UtcDatetime
    user_id: int | None = Field(description="Who did it; null for the automatic return.")
    owner_id: int | None
    previous_owner_id: int | None
    reason: str


class RulesOut(Schema):
    version: int
    return_after_days: int
    warn_days_before: int
    claim_limit: int
    exempt_open_deals: bool
    remind_days_before: int


class RulesUpdate(VersionedInput):
    return_after_days: int = column(CustomerRules, "return_after_days", ge=0)
    warn_days_before: int = column(CustomerRules, "warn_days_before", ge=0)
    claim_limit: int = column(CustomerRules, "claim_limit", ge=0)
    exempt_open_deals: bool = column(CustomerRules, "exempt_open_deals")
    remind_days_before: int = column(CustomerRules, "remind_days_before", ge=0)


@router.get("", response={200: list[CustomerOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=pool_queries.POOL_ORDERINGS, default="-owner_since")
def list_pool(
    request: ApiRequest, filters: Query[pool_queries.PoolFilter]
) -> QuerySet[Customer] | pool_queries.PoolSearch:
    return pool_queries.customers(request.auth, filters.q)


@router.get("/claims", response={200: ClaimsOut, **READ_ERRORS})
def read_claims(request: ApiRequest) -> pool_queries.Claims:
    return pool_queries.claims(request.auth)


@router.get("/events", response={200: list[PoolEventOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=pool_queries.EVENT_ORDERINGS, default="-id")
def list_events(
    request: ApiRequest, filters: Query[pool_queries.PoolEventFilter]
) -> QuerySet[PoolEvent]:
    return pool_queries.events(request.auth, filters)


@router.get("/rules", response={200: RulesOut, **READ_ERRORS})
def read_rules(request: ApiRequest) -> CustomerRules:
    return pool.rules_of(request.auth.workspace_id)


@router.patch("/rules", response={200: RulesOut, **WRITE_ERRORS})
def update_rules(request: ApiRequest, payload: RulesUpdate) -> CustomerRules:
    return pool.update_rules(request.auth, payload.version, changes(payload))


@router.post("/{customer_id}/claim", response={200: CustomerOut, **WRITE_ERRORS})
def claim(request: ApiRequest, customer_id: int) -> Customer:
    return pool.claim_customer(request.auth, customer_id)


@router.post("/{customer_id}/assign", response={200: CustomerOut, **WRITE_ERRORS})
def assign(request: ApiRequest, customer_id: int, payload: AssignIn) -> Customer:
    return pool.assign_customer(request.auth, customer_id, payload.owner_id, payload.reason)


@router.post("/{customer_id}/release", response={200: CustomerOut, **WRITE_ERRORS})
def release(request: ApiRequest, customer_id: int, payload: ReleaseIn) -> Customer:
    return pool.release_customer(request.auth, customer_id, payload.version, payload.reason)
