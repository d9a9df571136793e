"""A customer's history: its audit records and those of every customer merged into it."""

from __future__ import annotations

from django.db.models import QuerySet

from salesflow.core.models import AuditRecord
from salesflow.core.pagination import keyset_page
from salesflow.core.scoping import Actor
from salesflow.customers.models import Customer

ENTITY = Customer._meta.label_lower


def merged_into(customer: Customer) -> set[int]:
    """The ids of the customers merged into this one, and into those before, and so on."""
    found = {customer.pk}
    latest = {customer.pk}
    while latest:
        merges = _records(customer.workspace_id, latest).filter(action="merge")
        merged = {
            pk
            for changes in merges.values_list("changes", flat=True)
            for pk in changes.get("merged_ids", [])
        }
        latest = merged - found
        found |= latest
    return found - {customer.pk}


def customer_history(
    actor: Actor, customer: Customer, cursor: str | None, limit: int
) -> tuple[list[AuditRecord], str | None]:
    """One page of the audit records of a customer the actor sees (read with `queries.customer`)
    and of the customers merged into it, newest first."""
    ids = {customer.pk} | merged_into(customer)
    records = _records(actor.workspace_id, ids).select_related("actor")
    return keyset_page(records, "-at", cursor, limit)


def _records(workspace_id: int, ids: set[int]) -> QuerySet[AuditRecord]:
    return AuditRecord.objects.filter(workspace_id=workspace_id, entity=ENTITY, entity_id__in=ids)
