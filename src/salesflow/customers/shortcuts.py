"""Each user's shortcuts to customers: the ones they pinned, viewed lately and use most.

One `CustomerUsage` row per user and customer holds all three. Opening a customer's page
counts a view; pinning is the user's choice. These are the user's own working habits, not
business records, so they are written without a version or an audit entry. Reads go through
`visible()`: a customer the user may no longer see (reassigned, or the user moved team)
leaves their menu, and comes back if they may see it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers.models import Customer, CustomerUsage

MENU_SIZE = 10
MAX_PINNED = 20


def _usage(actor: Actor, customer: Customer) -> QuerySet[CustomerUsage]:
    return CustomerUsage.objects.filter(user_id=actor.user_id, customer=customer)


def _upsert(actor: Actor, customer: Customer, **values: object) -> None:
    """Update the user's row for the customer, or create it: a unique key settles a race."""
    if _usage(actor, customer).update(**values):
        return
    created = {k: v for k, v in values.items() if not isinstance(v, F)}
    if "view_count" in values:
        created["view_count"] = 1
    try:
        with transaction.atomic():
            CustomerUsage.objects.create(
                workspace_id=customer.workspace_id,
                user_id=actor.user_id,
                customer=customer,
                **created,
            )
    except IntegrityError:  # the same user opened it in another tab at the same moment
        _usage(actor, customer).update(**values)


@transaction.atomic
def record_view(actor: Actor, customer: Customer) -> CustomerUsage:
    """Count that the user opened the customer's page (the customer is one they see)."""
    _upsert(actor, customer, last_viewed_at=timezone.now(), view_count=F("view_count") + 1)
    return _usage(actor, customer).get()


@transaction.atomic
def pin(actor: Actor, customer_id: int) -> None:
    customer = get_visible(Customer, actor, customer_id)
    if _usage(actor, customer).filter(pinned_at__isnull=False).exists():
        return
    if pinned(actor).count() >= MAX_PINNED:
        raise ValidationFailed.one(
            "customer_id",
            _("You can pin at most %(count)d customers. Unpin one first.") % {"count": MAX_PINNED},
        )
    _upsert(actor, customer, pinned_at=timezone.now())


@transaction.atomic
def unpin(actor: Actor, customer_id: int) -> None:
    customer = get_visible(Customer, actor, customer_id)
    _usage(actor, customer).update(pinned_at=None)


def _mine(actor: Actor) -> QuerySet[CustomerUsage]:
    return visible(CustomerUsage, actor).filter(user_id=actor.user_id)


def _customers(usages: QuerySet[CustomerUsage]) -> list[Customer]:
    return [usage.customer for usage in usages.select_related("customer")]


def pinned(actor: Actor) -> QuerySet[CustomerUsage]:
    return _mine(actor).filter(pinned_at__isnull=False)


def pinned_ids(actor: Actor, customer_ids: Iterable[int]) -> set[int]:
    """Which of these customers the user pinned (for the pin buttons of a list)."""
    rows = pinned(actor).filter(customer_id__in=list(customer_ids))
    return set(rows.values_list("customer_id", flat=True))


def is_pinned(actor: Actor, customer: Customer) -> bool:
    return _usage(actor, customer).filter(pinned_at__isnull=False).exists()


@dataclass(frozen=True)
class Shortcuts:
    pinned: list[Customer]
    recent: list[Customer]
    most_used: list[Customer]


def shortcuts(actor: Actor) -> Shortcuts:
    """Pinned customers (latest pinned first), the last ten viewed, and the ten most viewed."""
    return Shortcuts(
        pinned=_customers(pinned(actor).order_by("-pinned_at", "-id")),
        recent=_customers(
            _mine(actor)
            .filter(last_viewed_at__isnull=False)
            .order_by("-last_viewed_at", "-id")[:MENU_SIZE]
        ),
        most_used=_customers(
            _mine(actor)
            .filter(view_count__gt=0)
            .order_by("-view_count", "-last_viewed_at", "-id")[:MENU_SIZE]
        ),
    )
