"""Reading the public pool: its customers (every member may), its history, and what the
customer page shows of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from django.db.models import QuerySet
from ninja import FilterSchema
from pydantic import Field

from salesflow.core.models import Role
from salesflow.core.scoping import Actor, in_workspace, visible
from salesflow.customers.models import Customer, PoolEvent, PoolEventKind, SearchTerm
from salesflow.customers.pool import claims_today, pool_customers, rules_of
from salesflow.customers.search import CustomerSearch

POOL_ORDERINGS = ("owner_since", "name", "id")
EVENT_ORDERINGS = ("id",)
CUSTOMER_EVENTS = 20


class PoolSearch(CustomerSearch):
    """The customer search over the pool's terms, which every member may read."""

    def terms(self) -> QuerySet[SearchTerm]:
        return in_workspace(SearchTerm, self.actor).filter(owner__isnull=True)


class PoolFilter(FilterSchema):
    q: Annotated[
        str | None,
        Field(max_length=100, description="As the customer search; best match first."),
    ] = None


class PoolEventFilter(FilterSchema):
    customer_id: int | None = None
    kind: PoolEventKind | None = None


def customers(actor: Actor, q: str | None = None) -> QuerySet[Customer] | PoolSearch:
    """The pool's customers; with a search text, its best matches first."""
    rows = pool_customers(actor)
    if q and q.strip():
        return PoolSearch(actor, q, rows)
    return rows


def entries(customer_ids: list[int]) -> dict[int, PoolEvent]:
    """How each of these customers last entered the pool (release or automatic return)."""
    latest: dict[int, PoolEvent] = {}
    events = (
        PoolEvent.objects.filter(
            customer_id__in=customer_ids, kind__in=(PoolEventKind.RELEASE, PoolEventKind.RETURN)
        )
        .select_related("previous_owner")
        .order_by("customer_id", "-id")
    )
    for event in events:
        latest.setdefault(event.customer_id, event)
    return latest


def events(actor: Actor, filters: PoolEventFilter | None = None) -> QuerySet[PoolEvent]:
    rows = visible(PoolEvent, actor).select_related("customer", "user", "owner", "previous_owner")
    return filters.filter(rows) if filters else rows


@dataclass(frozen=True)
class Claims:
    made: int
    limit: int

    @property
    def left(self) -> int:
        return max(self.limit - self.made, 0)


def claims(actor: Actor) -> Claims:
    return Claims(claims_today(actor), rules_of(actor.workspace_id).claim_limit)


@dataclass(frozen=True)
class Panel:
    """The pool's part of the customer page: what the actor may do and what happened."""

    events: list[PoolEvent]
    may_release: bool
    may_assign: bool


def panel(actor: Actor, customer: Customer) -> Panel:
    """`customer` was read through `visible()`: a manager or admin, or its owner."""
    recent = events(actor).filter(customer=customer).order_by("-id")[:CUSTOMER_EVENTS]
    in_pool = customer.owner_id is None
    return Panel(
        events=list(recent),
        may_release=not in_pool,
        may_assign=in_pool and actor.role in (Role.ADMIN, Role.MANAGER),
    )
