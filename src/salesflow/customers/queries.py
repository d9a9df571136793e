"""Reading customers and contacts: always through the actor's scope."""

from __future__ import annotations

from typing import Annotated

from django.db.models import QuerySet
from ninja import FilterLookup, FilterSchema

from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers.models import Contact, Customer, CustomerKind, Lifecycle, Tier

CUSTOMER_ORDERINGS = ("name", "created_at", "updated_at", "id")
CONTACT_ORDERINGS = ("name", "created_at", "updated_at", "id")


class CustomerFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = None
    owner_id: int | None = None
    lifecycle: Lifecycle | None = None
    tier: Tier | None = None
    industry: str | None = None
    region: str | None = None
    source_channel: str | None = None
    kind: CustomerKind | None = None


class ContactFilter(FilterSchema):
    customer_id: int | None = None
    q: Annotated[str | None, FilterLookup("name__icontains")] = None


def customers(actor: Actor, filters: CustomerFilter) -> QuerySet[Customer]:
    return filters.filter(visible(Customer, actor))


def customer(actor: Actor, customer_id: int) -> Customer:
    return get_visible(Customer, actor, customer_id)


def contacts(actor: Actor, filters: ContactFilter) -> QuerySet[Contact]:
    return filters.filter(visible(Contact, actor))


def contact(actor: Actor, contact_id: int) -> Contact:
    return get_visible(Contact, actor, contact_id)
