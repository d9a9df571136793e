"""Creating, editing and deleting customers and contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_can_own, require_manager
from salesflow.customers import (
    categories,
    customfields,
    duplicates,
    pool,
    protected,
    search,
    tags,
    tiers,
    trash,
)
from salesflow.customers.locks import refuse_if_locked
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
        *protected.CUSTOMER_PROTECTED,
        "custom",
        "next_service_on",
        "category_id",
        "tag_ids",
    }
)
# What the search terms of a customer are made of (its contacts' names, phones and emails too).
SEARCHED_FIELDS = frozenset({"kind", "name", "owner_id", "phone", "email"})
CONTACT_FIELDS = frozenset(
    {
        "customer_id",
        "name",
        "title",
        "phones",
        "emails",
        "birthday",
        "decision_role",
        "notes",
        "custom",
    }
    | set(protected.CONTACT_PROTECTED)
)


@transaction.atomic
def create_customer(
    actor: Actor, data: Mapping[str, Any], *, allow_duplicate: bool = False
) -> Customer:
    """A new customer; refused (`DuplicateFound`) when another one has its phone, e-mail or
    name, unless `allow_duplicate`."""
    writes.only(data, CUSTOMER_FIELDS)
    data, clear = protected.split(Customer, data)
    values = {"owner_id": actor.user_id, **data}
    values["custom"] = customfields.values_for(actor, "customer", data.get("custom"), None)
    tag_ids = values.pop("tag_ids", None)
    require_can_own(actor, values["owner_id"])
    categories.check_reference(actor, values.get("category_id"))
    customer = Customer(**values)
    protected.seal(customer, clear)
    customer.initial = search.initial(customer)
    writes.create(actor, customer)
    if tag_ids is not None:
        tags.set_customer_tags(actor, customer, tag_ids, versioned=True)
    search.reindex([customer.pk])
    duplicates.customer_saved(actor, customer, set(), allow_duplicate)
    tiers.customer_changed(actor, customer)
    return customer


@transaction.atomic
def update_customer(
    actor: Actor,
    customer_id: int,
    version: int | None,
    data: Mapping[str, Any],
    *,
    allow_duplicate: bool = False,
) -> Customer:
    writes.only(data, CUSTOMER_FIELDS)
    data, clear = protected.split(Customer, data)
    customer = writes.lock(actor, Customer, customer_id, version)
    keys_before = duplicates.own_keys(customer)
    if "owner_id" in data and data["owner_id"] != customer.owner_id:
        if customer.owner_id is None or data["owner_id"] is None:
            raise ValidationFailed.one("owner_id", pool.THROUGH_POOL)
        require_can_own(actor, data["owner_id"])
        data = {**data, "owner_since": timezone.now()}
    values = dict(data)
    tag_ids = values.pop("tag_ids", None)
    categories.check_reference(actor, values.get("category_id"))
    if "custom" in values:
        values["custom"] = customfields.values_for(
            actor, "customer", values["custom"], customer.custom
        )
    changes = writes.apply(customer, values) | protected.seal(customer, clear)
    writes.update(actor, customer, changes)
    if tag_ids is not None:
        tags.set_customer_tags(actor, customer, tag_ids, versioned=bool(changes))
    aggregates.customer_changed(customer.pk, {k: getattr(customer, k) for k in changes})
    if changes.keys() & SEARCHED_FIELDS:
        search.customer_changed(customer)
    duplicates.customer_saved(actor, customer, keys_before, allow_duplicate)
    if changes.keys() & tiers.CUSTOMER_INPUTS:
        tiers.customer_changed(actor, customer)
    return customer


@transaction.atomic
def delete_customer(actor: Actor, customer_id: int, version: int | None = None) -> None:
    """Moves the customer, with its contacts, deals and activities, to the trash."""
    customer = writes.lock(actor, Customer, customer_id, version)
    require_manager(actor)
    refuse_if_locked(actor, customer)
    trash.trash_customer(actor, customer)


def clean_contact_lists(data: dict[str, Any]) -> None:
    """Phones and e-mails as lists of trimmed strings, e-mails valid: the contact services'
    rule, which imports apply to their rows too."""
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
def create_contact(
    actor: Actor, data: Mapping[str, Any], *, allow_duplicate: bool = False
) -> Contact:
    writes.only(data, CONTACT_FIELDS)
    values, clear = protected.split(Contact, data)
    if values.get("customer_id") is None:
        raise ValidationFailed.one("customer_id", _("This field is required."))
    customer = _visible_customer(actor, values.pop("customer_id"))
    clean_contact_lists(values)
    values["custom"] = customfields.values_for(actor, "contact", values.get("custom"), None)
    contact = Contact(customer=customer, **values)
    protected.seal(contact, clear)
    writes.create(actor, contact)
    search.reindex([customer.pk])
    duplicates.contact_saved(actor, contact, set(), allow_duplicate, [customer.pk])
    return contact


@transaction.atomic
def update_contact(
    actor: Actor,
    contact_id: int,
    version: int | None,
    data: Mapping[str, Any],
    *,
    allow_duplicate: bool = False,
) -> Contact:
    writes.only(data, CONTACT_FIELDS)
    contact = writes.lock(actor, Contact, contact_id, version)
    keys_before = duplicates.keys_of_contact(contact)
    values, clear = protected.split(Contact, data)
    if "customer_id" in values:
        values["customer"] = _visible_customer(actor, values.pop("customer_id"))
    clean_contact_lists(values)
    if "custom" in values:
        values["custom"] = customfields.values_for(
            actor, "contact", values["custom"], contact.custom
        )
    before = contact.customer_id
    changes = writes.apply(contact, values) | protected.seal(contact, clear)
    writes.update(actor, contact, changes)
    if changes.keys() & {"customer_id", "name", "phones", "emails"}:
        search.reindex({before, contact.customer_id})
        if before != contact.customer_id:
            keys_before = set()
        customers = {before, contact.customer_id}
        duplicates.contact_saved(actor, contact, keys_before, allow_duplicate, customers)
    return contact


@transaction.atomic
def delete_contact(actor: Actor, contact_id: int, version: int | None = None) -> None:
    """Moves the contact to the trash."""
    contact = writes.lock(actor, Contact, contact_id, version)
    trash.trash_contact(actor, contact)


def _visible_customer(actor: Actor, customer_id: object) -> Customer:
    return writes.reference(actor, Customer, customer_id, "customer_id")
