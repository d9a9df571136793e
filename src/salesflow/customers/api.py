"""REST endpoints for customers and contacts."""

import datetime
from typing import Annotated, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from salesflow.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRequest,
    InputSchema,
    Money,
    RecordOut,
    VersionedInput,
    changes,
    column,
)
from salesflow.core.pagination import KeysetPagination
from salesflow.customers import queries, services
from salesflow.customers.models import (
    CompanySize,
    Contact,
    Customer,
    CustomerKind,
    DecisionRole,
    Lifecycle,
    Tier,
)
from salesflow.customers.search import CustomerSearch

customers = Router(tags=["customers"])
contacts = Router(tags=["contacts"])


class CustomerOut(RecordOut):
    kind: CustomerKind
    name: str
    industry: str
    size: CompanySize | Literal[""]
    region: str
    source_channel: str
    owner_id: int
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


class CustomerFields(InputSchema):
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


class CustomerCreate(CustomerFields):
    name: str = column(Customer, "name", required=True)


class CustomerUpdate(CustomerFields, VersionedInput):
    pass


@customers.get("", response={200: list[CustomerOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=queries.CUSTOMER_ORDERINGS, default="name")
def list_customers(
    request: ApiRequest, filters: Query[queries.CustomerFilter]
) -> QuerySet[Customer] | CustomerSearch:
    return queries.customers(request.auth, filters)


@customers.post("", response={201: CustomerOut, **WRITE_ERRORS})
def create_customer(request: ApiRequest, payload: CustomerCreate) -> Status[Customer]:
    customer = services.create_customer(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, customer)


@customers.get("/{customer_id}", response={200: CustomerOut, **READ_ERRORS})
def read_customer(request: ApiRequest, customer_id: int) -> Customer:
    return queries.customer(request.auth, customer_id)


@customers.patch("/{customer_id}", response={200: CustomerOut, **WRITE_ERRORS})
def update_customer(request: ApiRequest, customer_id: int, payload: CustomerUpdate) -> Customer:
    return services.update_customer(request.auth, customer_id, payload.version, changes(payload))


@customers.delete("/{customer_id}", response={204: None, **WRITE_ERRORS})
def delete_customer(
    request: ApiRequest, customer_id: int, version: int | None = None
) -> Status[None]:
    services.delete_customer(request.auth, customer_id, version)
    return Status(204, None)


# The service caps each phone number and email address at 254 characters.
ListEntry = Annotated[str, Field(max_length=254)]


class ContactOut(RecordOut):
    customer_id: int
    name: str
    title: str
    phones: list[str]
    emails: list[str]
    birthday: datetime.date | None
    decision_role: DecisionRole | Literal[""]
    notes: str


class ContactFields(InputSchema):
    """Every field a client may set; only the fields it sent reach the service."""

    customer_id: int = column(Contact, "customer_id")
    name: str = column(Contact, "name")
    title: str = column(Contact, "title")
    phones: list[ListEntry] = column(Contact, "phones")
    emails: list[ListEntry] = column(Contact, "emails")
    birthday: datetime.date | None = column(Contact, "birthday")
    decision_role: DecisionRole | Literal[""] = column(Contact, "decision_role")
    notes: str = column(Contact, "notes")


class ContactCreate(ContactFields):
    customer_id: int = column(Contact, "customer_id", required=True)
    name: str = column(Contact, "name", required=True)


class ContactUpdate(ContactFields, VersionedInput):
    pass


@contacts.get("", response={200: list[ContactOut], **READ_ERRORS})
@paginate(KeysetPagination, orderings=queries.CONTACT_ORDERINGS, default="name")
def list_contacts(request: ApiRequest, filters: Query[queries.ContactFilter]) -> QuerySet[Contact]:
    return queries.contacts(request.auth, filters)


@contacts.post("", response={201: ContactOut, **WRITE_ERRORS})
def create_contact(request: ApiRequest, payload: ContactCreate) -> Status[Contact]:
    contact = services.create_contact(request.auth, payload.model_dump(exclude_unset=True))
    return Status(201, contact)


@contacts.get("/{contact_id}", response={200: ContactOut, **READ_ERRORS})
def read_contact(request: ApiRequest, contact_id: int) -> Contact:
    return queries.contact(request.auth, contact_id)


@contacts.patch("/{contact_id}", response={200: ContactOut, **WRITE_ERRORS})
def update_contact(request: ApiRequest, contact_id: int, payload: ContactUpdate) -> Contact:
    return services.update_contact(request.auth, contact_id, payload.version, changes(payload))


@contacts.delete("/{contact_id}", response={204: None, **WRITE_ERRORS})
def delete_contact(
    request: ApiRequest, contact_id: int, version: int | None = None
) -> Status[None]:
    services.delete_contact(request.auth, contact_id, version)
    return Status(204, None)
