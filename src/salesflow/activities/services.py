"""Logging activities and scheduling tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from salesflow.activities.models import Activity
from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_can_own
from salesflow.customers import trash
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline.models import Deal

ACTIVITY_FIELDS = frozenset(
    {
        "kind",
        "subject",
        "body",
        "due_at",
        "done_at",
        "outcome",
        "customer_id",
        "contact_id",
        "deal_id",
        "owner_id",
    }
)


def _clean(actor: Actor, activity: Activity, data: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve links to visible rows; contact and deal must belong to the activity's customer."""
    values = dict(data)
    if "customer_id" in values:
        if values["customer_id"] is None:
            raise ValidationFailed.one("customer_id", _("This field is required."))
        values["customer"] = writes.reference(
            actor, Customer, values.pop("customer_id"), "customer_id"
        )
    for model, name in ((Contact, "contact"), (Deal, "deal")):
        if f"{name}_id" in values:
            pk = values.pop(f"{name}_id")
            values[name] = None if pk is None else writes.reference(actor, model, pk, f"{name}_id")
    customer_id = values["customer"].pk if "customer" in values else activity.customer_id
    errors = []
    # A link cleared in this write must not be checked against the new customer.
    contact = values.get("contact", activity.contact)
    if contact is not None and contact.customer_id != customer_id:
        errors.append(FieldError("contact_id", _("This contact works for another customer.")))
    deal = values.get("deal", activity.deal)
    if deal is not None and deal.customer_id != customer_id:
        errors.append(FieldError("deal_id", _("This deal belongs to another customer.")))
    if errors:
        raise ValidationFailed(errors)
    if "owner_id" in values and values["owner_id"] != activity.owner_id:
        require_can_own(actor, values["owner_id"])
    return values


@transaction.atomic
def create_activity(actor: Actor, data: Mapping[str, Any]) -> Activity:
    writes.only(data, ACTIVITY_FIELDS)
    if data.get("customer_id") is None:
        raise ValidationFailed.one("customer_id", _("This field is required."))
    activity = Activity(owner_id=data.get("owner_id", actor.user_id))
    require_can_own(actor, activity.owner_id)
    values = _clean(actor, activity, {k: v for k, v in data.items() if k != "owner_id"})
    writes.apply(activity, values)
    return writes.create(actor, activity)


@transaction.atomic
def update_activity(
    actor: Actor, activity_id: int, version: int | None, data: Mapping[str, Any]
) -> Activity:
    writes.only(data, ACTIVITY_FIELDS)
    activity = writes.lock(actor, Activity, activity_id, version)
    return writes.update(actor, activity, writes.apply(activity, _clean(actor, activity, data)))


@transaction.atomic
def delete_activity(actor: Actor, activity_id: int, version: int | None = None) -> None:
    """Moves the activity to the trash."""
    activity = writes.lock(actor, Activity, activity_id, version)
    trash.trash_activity(actor, activity)
