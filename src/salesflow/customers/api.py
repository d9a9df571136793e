"""REST endpoints for customers and contacts."""

import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    Money,
    RecordOut,
    UtcDatetime,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination
from salesflow.customers import customfields, queries, services
from salesflow.customers.duplicate_schemas import AllowDuplicate, DuplicatesOut
from salesflow.customers.models import (
    CompanySize,
    Contact,
    Customer,
    CustomerKind,
    DecisionRole,
    Lifecycle,
    Tier,
)
from salesflow.customers.organise_api import TagRef
from salesflow.customers.protected_schemas import (
    ContactProtectedIn,
    ContactProtectionOut,
    CustomerProtectedIn,
    CustomerProtectionOut,
)
from salesflow.customers.search import CustomerSearch
from salesflow.customers.tags import MAX_TAGS_PER_CUSTOMER

customers = Router(tags=["customers"])
contacts = Router(tags=["contacts"])


class CustomerOut(RecordOut, CustomerProtectionOut):
    kind: CustomerKind
    name: str
    industry: str
    size: CompanySize | Literal[""]
    region: str
    source_channel: str
    owner_id: int | None = Field(description="Null: the customer is in the public pool.")
    owner_since: UtcDatetime
    next_service_on: datetime.date | None
    tier: Tier | Literal[""] = Field(description="Set by the tier rules; empty: no tier.")
    revenue: Money = Field(description="Won deal amounts of the last 12 months.")
    potential: Money = Field(description="Σ amount × win probability of the open deals.")
    fit: int = Field(description="Ideal-customer points, 0–3.")
    lifecycle: Lifecycle
    phone: str
    email: str
    website: str
    address: str
    notes: str
    custom: dict[str, Any] = Field(description=customfields.describe_types())
    category_id: int | None
    tags: list[TagRef]


class CustomerFields(CustomerProtectedIn):
    """Every field a client may set; only the fields it sent reach the service."""

    kind: CustomerKind = column(Customer, "kind")
    name: str = column(Customer, "name")
    industry: str = column(Customer, "industry")
    size: CompanySize | Literal[""] = column(Customer, "size")
    region: str = column(Customer, "region")
    source_channel: str = column(Customer, "source_channel")
    owner_id: int = column(Customer, "owner_id", description="Defaults to the caller.")
    lifecycle: Lifecycle = column(Customer, "lifecycle")
    phone: str = column(Customer, "phone")
    email: str = column(Customer, "email")
    website: str = column(Customer, "website")
    address: str = column(Customer, "address")
    notes: str = column(Customer, "notes")
    custom: dict[str, Any] = Field(default_factory=dict, description=customfields.describe_types())
    next_service_on: datetime.date | None = column(Customer, "next_service_on")
    category_id: int | None = column(Customer, "category_id")
    tag_ids: list[int] = Field(
        [], max_length=MAX_TAGS_PER_CUSTOMER, description="Every tag the customer carries."
    )


class CustomerCreate(CustomerFields, AllowDuplicate):
    name: str = column(Customer, "name", required=True)


class CustomerUpdate(CustomerFields, VersionedInput, AllowDuplicate):
    pass


# A write matching another customer answers 409 with `duplicates` (or, for an update of a
# stale version, `current_version`).
DUPLICATE_WRITE_ERRORS = {**WRITE_ERRORS, 409: DuplicatesOut}


@customers.get(
    "",
    response={200: list[CustomerOut], **READ_ERRORS},
    description=customfields.describe_filters(),
)
@paginate(KeysetPagination, orderings=queries.CUSTOMER_ORDERINGS, default="name")
def list_customers(
    request: ApiRequest, filters: Query[queries.CustomerFilter]
) -> QuerySet[Customer] | CustomerSearch:
    return queries.customers(request.auth, filters, request.GET)


@customers.post("", response={201: CustomerOut, **DUPLICATE_WRITE_ERRORS})
def create_customer(request: ApiRequest, payload: CustomerCreate) -> Status[Customer]:
    data = payload.model_dump(exclude_unset=True, exclude={"allow_duplicate"})
    allow = payload.allow_duplicate
    customer = services.create_customer(request.auth, data, allow_duplicate=allow)
    return Status(201, customer)


@customers.get("/{customer_id}", response={200: CustomerOut, **READ_ERRORS})
def read_customer(request: ApiRequest, customer_id: int) -> Customer:
    return queries.customer(request.auth, customer_id)


@customers.patch("/{customer_id}", response={200: CustomerOut, **DUPLICATE_WRITE_ERRORS})
def update_customer(request: ApiRequest, customer_id: int, payload: CustomerUpdate) -> Customer:
    data = changes(payload)
    allow = data.pop("allow_duplicate", False)
    return services.update_customer(
        request.auth, customer_id, payload.version, data, allow_duplicate=allow
    )


@customers.delete("/{customer_id}", response={204: None, **WRITE_ERRORS})
def delete_customer(
    request: ApiRequest, customer_id: int, version: int | None = None
) -> Status[None]:
    services.delete_customer(request.auth, customer_id, version)
    return Status(204, None)


# The service caps each phone number and email address at 254 characters.
ListEntry = Annotated[str, Field(max_length=254)]


class ContactOut(RecordOut, ContactProtectionOut):
    customer_id: int
    name: str
    title: str
    phones: list[str]
    emails: list[str]
    birthday: datetime.date | None
    decision_role: DecisionRole | Literal[""]
    notes: str
    custom: dict[str, Any] = Field(description=customfields.describe_types())


class ContactFields(ContactProtectedIn):
    """Every field a client may set; only the fields it sent reach the service."""

    customer_id: int = column(Contact, "customer_id")
    name: str = column(Contact, "name")
    title: str = column(Contact, "title")
    phones: list[ListEntry] = column(Contact, "phones")
    emails: list[ListEntry] = column(Contact, "emails")
    birthday: datetime.date | None = column(Contact, "birthday")
    decision_role: DecisionRole | Literal[""] = column(Contact, "decision_role")
    notes: str = column(Contact, "notes")
    custom: dict[str, Any] = Field(default_factory=dict, description=customfields.describe_types())


class ContactCreate(ContactFields, AllowDuplicate):
    customer_id: int = column(Contact, "customer_id", required=True)
    name: str = column(Contact, "name", required=True)


class ContactUpdate(ContactFields, VersionedInput, AllowDuplicate):
    pass


@contacts.get(
    "",
    response={200: list[ContactOut], **READ_ERRORS},
    description=customfields.describe_filters(),
)
@paginate(KeysetPagination, orderings=queries.CONTACT_ORDERINGS, default="name")
def list_contacts(request: ApiRequest, filters: Query[queries.ContactFilter]) -> QuerySet[Contact]:
    return queries.contacts(request.auth, filters, request.GET)


@contacts.post("", response={201: ContactOut, **DUPLICATE_WRITE_ERRORS})
def create_contact(request: ApiRequest, payload: ContactCreate) -> Status[Contact]:
    data = payload.model_dump(exclude_unset=True, exclude={"allow_duplicate"})
    allow = payload.allow_duplicate
    contact = services.create_contact(request.auth, data, allow_duplicate=allow)
    return Status(201, contact)


@contacts.get("/{contact_id}", response={200: ContactOut, **READ_ERRORS})
def read_contact(request: ApiRequest, contact_id: int) -> Contact:
    return queries.contact(request.auth, contact_id)


@contacts.patch("/{contact_id}", response={200: ContactOut, **DUPLICATE_WRITE_ERRORS})
def update_contact(request: ApiRequest, contact_id: int, payload: ContactUpdate) -> Contact:
    data = changes(payload)
    allow = data.pop("allow_duplicate", False)
    return services.update_contact(
        request.auth, contact_id, payload.version, data, allow_duplicate=allow
    )


@contacts.delete("/{contact_id}", response={204: None, **WRITE_ERRORS})
def delete_contact(
    request: ApiRequest, contact_id: int, version: int | None = None
) -> Status[None]:
    services.delete_contact(request.auth, contact_id, version)
    return Status(204, None)
