"""Creating, editing and deleting customers and contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_can_own, require_manager
from salesflow.customers import search, tiers
from salesflow.customers.models import Contact, Customer

CUSTOMER_FIELDS = frozenset(
    {
        "kind",
        "name",
        "industry",
        "size",
        "region",
        "source_channel",
        "owner_id",
        "lifecycle",
        "phone",
        "email",
        "website",
        "address",
        "notes",
    }
)
# What the search terms of a customer are made of (its contacts' names, phones and emails too).
SEARCHED_FIELDS = frozenset({"kind", "name", "owner_id", "phone", "email"})
CONTACT_FIELDS = frozenset(
    {"customer_id", "name", "title", "phones", "emails", "birthday", "decision_role", "notes"}
)


@transaction.atomic
def create_customer(actor: Actor, data: Mapping[str, Any]) -> Customer:
    writes.only(data, CUSTOMER_FIELDS)
    values = {"owner_id": actor.user_id, **data}
    require_can_own(actor, values["owner_id"])
    customer = Customer(**values)
    customer.initial = search.initial(customer)
    writes.create(actor, customer)
    search.reindex([customer.pk])
    tiers.customer_changed(actor, customer)
    return customer


@transaction.atomic
def update_customer(
    actor: Actor, customer_id: int, version: int | None, data: Mapping[str, Any]
) -> Customer:
    writes.only(data, CUSTOMER_FIELDS)
    customer = writes.lock(actor, Customer, customer_id, version)
    if "owner_id" in data and data["owner_id"] != customer.owner_id:
        require_can_own(actor, data["owner_id"])
    changes = writes.apply(customer, data)
    writes.update(actor, customer, changes)
    aggregates.customer_changed(customer.pk, {k: getattr(customer, k) for k in changes})
    if changes.keys() & SEARCHED_FIELDS:
        search.customer_changed(customer)
    if changes.keys() & tiers.CUSTOMER_INPUTS:
        tiers.customer_changed(actor, customer)
    return customer


@transaction.atomic
def delete_customer(actor: Actor, customer_id: int, version: int | None = None) -> None:
    customer = writes.lock(actor, Customer, customer_id, version)
    require_manager(actor)
    writes.delete(actor, customer)


def _clean_contact_lists(data: dict[str, Any]) -> None:
    errors = []
    for key in ("phones", "emails"):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            errors.append(FieldError(key, _("Must be a list of strings.")))
            continue
        data[key] = [i.strip() for i in items if i.strip()]
        if any(len(i) > 254 for i in data[key]):
            errors.append(FieldError(key, _("Each entry must be at most 254 characters.")))
    for index, email in enumerate(data.get("emails") or []):
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.append(FieldError(f"emails.{index}", _("Enter a valid email address.")))
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def create_contact(actor: Actor, data: Mapping[str, Any]) -> Contact:
    writes.only(data, CONTACT_FIELDS)
    values = dict(data)
    if values.get("customer_id") is None:
        raise ValidationFailed.one("customer_id", _("This field is required."))
    customer = _visible_customer(actor, values.pop("customer_id"))
    _clean_contact_lists(values)
    contact = writes.create(actor, Contact(customer=customer, **values))
    search.reindex([customer.pk])
    return contact


@transaction.atomic
def update_contact(
    actor: Actor, contact_id: int, version: int | None, data: Mapping[str, Any]
) -> Contact:
    writes.only(data, CONTACT_FIELDS)
    contact = writes.lock(actor, Contact, contact_id, version)
    values = dict(data)
    if "customer_id" in values:
        values["customer"] = _visible_customer(actor, values.pop("customer_id"))
    _clean_contact_lists(values)
    before = contact.customer_id
    changes = writes.apply(contact, values)
    writes.update(actor, contact, changes)
    if changes.keys() & {"customer_id", "name", "phones", "emails"}:
        search.reindex({before, contact.customer_id})
    return contact


@transaction.atomic
def delete_contact(actor: Actor, contact_id: int, version: int | None = None) -> None:
    contact = writes.lock(actor, Contact, contact_id, version)
    writes.delete(actor, contact)
    search.reindex([contact.customer_id])


def _visible_customer(actor: Actor, customer_id: object) -> Customer:
    return writes.reference(actor, Customer, customer_id, "customer_id")
