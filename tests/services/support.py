"""Helpers shared by the service tests: stage lookup, exit criteria, and counting writes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Model

from salesflow.activities.models import Activity
from salesflow.core.errors import ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline.models import Deal, Stage, StageChange
from salesflow.pipeline.services.deals import update_deal
from tests.conftest import World, make_contact

# The English names of the b2b7 template's stages, as the shared `world` installs them.
PROSPECTING = "Prospecting"
INITIAL_CONTACT = "Initial contact"
NEEDS_ANALYSIS = "Needs analysis"
PROPOSAL = "Proposal / quote"
NEGOTIATION = "Negotiation"
SIGNED = "Signed"
AFTER_SALES = "After-sales service"
LOST = "Lost"

COUNTED: tuple[type[Model], ...] = (
    Customer,
    Contact,
    Deal,
    StageChange,
    Activity,
    AuditRecord,
)


def stage(world: World, name: str) -> Stage:
    return world.pipeline.stages.get(name=name)


def row_counts() -> dict[str, int]:
    """How many rows each business table holds, to prove a refused write left no trace."""
    return {model.__name__: model._default_manager.count() for model in COUNTED}


def error_fields(error: ValidationFailed) -> list[str]:
    return [e.field for e in error.errors]


def error_pairs(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(e.field, str(e.message)) for e in error.errors]


def ticked(stages: Iterable[Stage]) -> dict[str, list[str]]:
    """A checklist with every item of these stages ticked."""
    return {str(s.pk): list(s.exit_checklist) for s in stages}


def satisfy(actor: Actor, deal: Deal, stages: Iterable[Stage]) -> Deal:
    """Fill every exit field the template uses and tick every item of `stages`."""
    contact = deal.customer.contacts.first() or make_contact(actor, deal.customer)
    return update_deal(
        actor,
        deal.pk,
        deal.version,
        {
            "contact_id": contact.pk,
            "next_step": "Send the proposal",
            "amount": Decimal("120000.00"),
            "expected_close_date": datetime.date(2030, 6, 30),
            "checklist": ticked(stages),
        },
    )


def history(deal: Deal) -> list[tuple[str | None, str]]:
    """The deal's moves as (from, to) stage names, oldest first."""
    return [
        (change.from_stage.name if change.from_stage else None, change.to_stage.name)
        for change in StageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage")
        .order_by("at", "id")
    ]


def audits(obj: Model) -> list[AuditRecord]:
    return list(
        AuditRecord.objects.filter(entity=obj._meta.label_lower, entity_id=obj.pk).order_by(
            "at", "id"
        )
    )
