"""Reading customers and contacts: always through the actor's scope."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from ninja import FilterLookup, FilterSchema
from pydantic import Field

from salesflow.core.models import Membership
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers import categories, customfields, tags
from salesflow.customers.models import Contact, Customer, CustomerKind, Lifecycle, Tier
from salesflow.customers.search import CustomerSearch

CUSTOMER_ORDERINGS = ("name", "created_at", "updated_at", "id")
CONTACT_ORDERINGS = ("name", "created_at", "updated_at", "id")


class CustomerFilter(FilterSchema):
    q: Annotated[
        str | None,
        Field(
            max_length=100,
            description=(
                "Name (or pinyin, full or initials), phone number in any format, email, or a "
                "contact's name; results come best match first and `ordering` is not used."
            ),
        ),
    ] = None
    initial: Annotated[
        str | None,
        Field(pattern="^[A-Z#]$", description="A–Z index letter of the name, '#' for others."),
    ] = None
    owner_id: int | None = None
    lifecycle: Lifecycle | None = None
    tier: Tier | None = None
    revenue_min: Annotated[Decimal | None, FilterLookup("revenue__gte")] = None
    potential_min: Annotated[Decimal | None, FilterLookup("potential__gte")] = None
    fit_min: Annotated[int | None, FilterLookup("fit__gte"), Field(ge=0, le=3)] = None
    industry: str | None = None
    region: str | None = None
    source_channel: str | None = None
    kind: CustomerKind | None = None
    category_id: Annotated[
        int | None,
        Field(description="A category: its customers and those of every category below it."),
    ] = None
    tag_id: Annotated[
        list[int] | None,
        Field(description="Customers carrying every one of these tags (repeat the parameter)."),
    ] = None

    def filter_q(self, value: str | None) -> Q:
        """The search is not a WHERE clause on customers: `customers()` runs it on the index."""
        return Q()

    def filter_category_id(self, value: int | None) -> Q:
        return categories.in_subtree(value)

    def filter_tag_id(self, value: list[int] | None) -> Q:
        return tags.carrying_all(value)


class ContactFilter(FilterSchema):
    customer_id: int | None = None
    q: Annotated[str | None, FilterLookup("name__icontains")] = None


def customers(
    actor: Actor, filters: CustomerFilter, custom: Mapping[str, str] | None = None
) -> QuerySet[Customer] | CustomerSearch:
    """The visible customers the filters (and `cf.` custom field filters) let in; with a
    search text, its best matches first."""
    rows = customfields.filtered(
        actor,
        "customer",
        filters.filter(visible(Customer, actor))
        .select_related("category")
        .prefetch_related(tags.prefetch()),
        custom or {},
    )
    if filters.q and filters.q.strip():
        return CustomerSearch(actor, filters.q, rows)
    return rows


def search(actor: Actor, text: str, limit: int) -> list[Customer]:
    """The first `limit` visible customers found by the text (what a rep types to pick one)."""
    return CustomerSearch(actor, text, visible(Customer, actor)).page(None, limit)[0]


def customer(actor: Actor, customer_id: int) -> Customer:
    return get_visible(Customer, actor, customer_id)


def contacts(
    actor: Actor, filters: ContactFilter, custom: Mapping[str, str] | None = None
) -> QuerySet[Contact]:
    return customfields.filtered(
        actor, "contact", filters.filter(visible(Contact, actor)), custom or {}
    )


def contact(actor: Actor, contact_id: int) -> Contact:
    return get_visible(Contact, actor, contact_id)


def facet_values(actor: Actor, field: str) -> list[str]:
    """The distinct non-empty values of a free-text field among the customers the actor sees."""
    values = visible(Customer, actor).exclude(**{field: ""}).values_list(field, flat=True)
    return list(values.order_by(field).distinct())


def assignable_owners(actor: Actor) -> QuerySet[User]:
    """Active members whose records the actor sees, and so may own what the actor creates."""
    members = Membership.objects.filter(workspace_id=actor.workspace_id, is_active=True)
    if not actor.is_admin:
        members = members.filter(user_id__in=actor.visible_owner_ids)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("username")


def customer_contacts(actor: Actor, customer: Customer) -> QuerySet[Contact]:
    return visible(Contact, actor).filter(customer=customer).order_by("name", "id")
