"""Customers chosen together on the list (or named in one API call) and changed in one write.

Every id must name a customer the actor sees, or nothing is written. The rows are locked for
the transaction, so each one's version is bumped exactly once, as a single edit would, and
each change is audited on its customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salesflow.core.errors import ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor, visible
from salesflow.core.writes import jsonable
from salesflow.customers.models import Customer

MAX_SELECTED = 500
# How many unknown ids an error names before it stops listing them.
NAMED_IDS = 10


def selected_ids(customer_ids: object, field: str = "customer_ids") -> list[int]:
    """The distinct ids of a selection, refused when empty, too long or not ids at all."""
    if not isinstance(customer_ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in customer_ids
    ):
        raise ValidationFailed.one(field, _("Enter a list of customer ids."))
    ids = sorted(set(customer_ids))
    if not ids:
        raise ValidationFailed.one(field, _("Select at least one customer."))
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed.one(
            field,
            _("Select at most %(limit)s customers at a time; you selected %(count)s.")
            % {"limit": MAX_SELECTED, "count": len(ids)},
        )
    return ids


def lock(actor: Actor, customer_ids: object, field: str = "customer_ids") -> list[Customer]:
    """The selected customers, locked; every one must be visible to the actor."""
    ids = selected_ids(customer_ids, field)
    found = list(visible(Customer, actor).select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {customer.pk for customer in found})
    if missing:
        named = ", ".join(str(pk) for pk in missing[:NAMED_IDS])
        if len(missing) > NAMED_IDS:
            named += ", …"
        message = ngettext(
            "No customer visible to you has the id %(ids)s; nothing was changed.",
            "No customers visible to you have the ids %(ids)s; nothing was changed.",
            len(missing),
        ) % {"ids": named}
        raise ValidationFailed.one(field, message)
    return found


def write(
    actor: Actor,
    changes: Mapping[int, Mapping[str, Any]],
    *,
    action: str = "update",
    **values: Any,
) -> None:
    """Set `values` on the changed customers (locked by `lock`), bump their versions, audit."""
    if not changes:
        return
    now = timezone.now()
    Customer.objects.filter(pk__in=list(changes)).update(
        **values, version=F("version") + 1, updated_at=now, updated_by_id=actor.user_id
    )
    AuditRecord.objects.bulk_create(
        AuditRecord(
            workspace_id=actor.workspace_id,
            actor_id=actor.user_id,
            entity=Customer._meta.label_lower,
            entity_id=customer_id,
            action=action,
            at=now,
            changes={name: jsonable(value) for name, value in change.items()},
        )
        for customer_id, change in changes.items()
    )
