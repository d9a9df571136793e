"""The public pool (公海): customers nobody owns, released by their owner or a manager,
returned by the sweep when nobody follows them up, and claimed by reps up to a daily limit.

Every entry and exit is a PoolEvent, written in the transaction that changes the owner.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from salesflow.core import notifications, writes
from salesflow.core.errors import Conflict, NotFound, ValidationFailed
from salesflow.core.models import Membership
from salesflow.core.scoping import (
    Actor,
    in_workspace,
    require_admin,
    require_can_own,
    require_manager,
)
from salesflow.customers import search
from salesflow.customers.models import Customer, CustomerRules, PoolEvent, PoolEventKind

THROUGH_POOL = _(
    "A customer enters and leaves the public pool by being released, claimed or assigned."
)
IN_POOL = _("This customer is in the public pool: claim it or have it assigned first.")
RULE_FIELDS = frozenset(
    {
        "return_after_days",
        "warn_days_before",
        "claim_limit",
        "exempt_open_deals",
        "remind_days_before",
    }
)
REASON_LENGTH = PoolEvent._meta.get_field("reason").max_length or 500


def rules_of(workspace_id: int) -> CustomerRules:
    """The workspace's rules; the defaults until an admin first saves them."""
    found = CustomerRules.objects.filter(workspace_id=workspace_id).first()
    return found or CustomerRules(workspace_id=workspace_id)


def pool_customers(actor: Actor) -> QuerySet[Customer]:
    """The customers in the actor's workspace that nobody owns: every member may read them."""
    return in_workspace(Customer, actor).filter(owner__isnull=True)


def day_start(workspace_zone: str, at: datetime.datetime) -> datetime.datetime:
    """Midnight of `at`'s calendar day in the workspace's time zone."""
    zone = ZoneInfo(workspace_zone)
    return datetime.datetime.combine(at.astimezone(zone).date(), datetime.time(0), tzinfo=zone)


def claims_today(actor: Actor) -> int:
    """How many customers the actor claimed since midnight in the workspace's time zone."""
    since = day_start(actor.workspace.timezone, timezone.now())
    return PoolEvent.objects.filter(
        workspace_id=actor.workspace_id,
        user_id=actor.user_id,
        kind=PoolEventKind.CLAIM,
        at__gte=since,
    ).count()


def _record(
    actor: Actor | None,
    customer: Customer,
    kind: PoolEventKind,
    previous_owner_id: int | None,
    reason: str = "",
) -> PoolEvent:
    return PoolEvent.objects.create(
        workspace_id=customer.workspace_id,
        customer=customer,
        kind=kind,
        at=customer.owner_since,
        user_id=actor.user_id if actor else None,
        owner_id=customer.owner_id,
        previous_owner_id=previous_owner_id,
        reason=reason,
    )


def _change_owner(
    actor: Actor, customer: Customer, owner_id: int | None, action: str
) -> tuple[Customer, int | None]:
    previous = customer.owner_id
    changes = writes.apply(customer, {"owner_id": owner_id, "owner_since": timezone.now()})
    writes.update(actor, customer, changes, action=action)
    search.reindex([customer.pk])
    return customer, previous


def _clean_reason(reason: object, *, required: bool) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if required and not text:
        raise ValidationFailed.one("reason", _("Say why the customer goes to the public pool."))
    if len(text) > REASON_LENGTH:
        raise ValidationFailed.one(
            "reason",
            _("Ensure this value has at most %(limit)s characters.") % {"limit": REASON_LENGTH},
        )
    return text


@transaction.atomic
def release_customer(actor: Actor, customer_id: int, version: int | None, reason: str) -> Customer:
    """The owner (or a manager of the owner, or an admin) puts the customer into the pool.

    The customer's deals keep their owners.
    """
    text = _clean_reason(reason, required=True)
    customer = writes.lock(actor, Customer, customer_id, version)
    if customer.owner_id is None:
        raise Conflict(customer.version, _("This customer is already in the public pool."))
    customer, previous = _change_owner(actor, customer, None, "release")
    _record(actor, customer, PoolEventKind.RELEASE, previous, text)
    return customer


def _lock_pool_customer(actor: Actor, customer_id: int) -> Customer:
    """The pool customer, locked; a customer someone took a moment ago is a 409, not a 404."""
    try:
        customer = pool_customers(actor).select_for_update().filter(pk=customer_id).first()
    except (ValueError, TypeError) as bad:
        raise NotFound() from bad
    if customer is None:
        taken = in_workspace(Customer, actor).filter(pk=customer_id)
        version = taken.values_list("version", flat=True).first()
        if version is None:
            raise NotFound()
        raise Conflict(
            version,
            _("This customer is no longer in the public pool: someone else took it first."),
        )
    return customer


@transaction.atomic
def claim_customer(actor: Actor, customer_id: int) -> Customer:
    """The actor takes a pool customer, within the workspace's daily claim limit.

    Two members claiming one customer at once: the row lock lets one in, and the other finds
    it owned (409). One member claiming twice at once: their membership row is locked first,
    so the second claim counts the first.
    """
    Membership.objects.select_for_update().filter(pk=actor.membership.pk).first()
    limit = rules_of(actor.workspace_id).claim_limit
    if claims_today(actor) >= limit:
        message = ngettext(
            "You may claim %(limit)d customer from the public pool a day and have reached "
            "that limit; claim again tomorrow.",
            "You may claim %(limit)d customers from the public pool a day and have reached "
            "that limit; claim again tomorrow.",
            limit,
        ) % {"limit": limit}
        raise ValidationFailed.one("customer_id", message)
    customer = _lock_pool_customer(actor, customer_id)
    customer, previous = _change_owner(actor, customer, actor.user_id, "claim")
    _record(actor, customer, PoolEventKind.CLAIM, previous)
    return customer


@transaction.atomic
def assign_customer(actor: Actor, customer_id: int, owner_id: int, reason: str = "") -> Customer:
    """A manager or an admin gives a pool customer to a member they may assign work to."""
    require_manager(actor)
    text = _clean_reason(reason, required=False)
    require_can_own(actor, owner_id)
    customer = _lock_pool_customer(actor, customer_id)
    customer, previous = _change_owner(actor, customer, owner_id, "assign")
    _record(actor, customer, PoolEventKind.ASSIGN, previous, text)
    if owner_id != actor.user_id:
        notifications.notify(
            [
                notifications.Notice(
                    workspace_id=customer.workspace_id,
                    user_id=owner_id,
                    kind="pool.assigned",
                    title=gettext_noop("%(customer)s was assigned to you from the public pool"),
                    text=gettext_noop("Assigned by %(by)s."),
                    params={
                        "customer": customer.name,
                        "by": actor.user.get_full_name() or actor.user.username,
                    },
                    link=reverse("customers:detail", args=[customer.pk]),
                )
            ]
        )
    return customer


@transaction.atomic
def update_rules(actor: Actor, version: int | None, data: Mapping[str, Any]) -> CustomerRules:
    """An admin sets the workspace's pool and reminder rules."""
    require_admin(actor)
    writes.only(data, RULE_FIELDS)
    rules = CustomerRules.objects.select_for_update().filter(workspace_id=actor.workspace_id)
    current = rules.first()
    if current is None:
        current = writes.create(actor, CustomerRules())
    if version is not None and current.version != version:
        raise Conflict(current.version)
    changes = writes.apply(current, data)
    returning = current.return_after_days
    if returning and current.warn_days_before >= returning:
        raise ValidationFailed.one(
            "warn_days_before",
            _("Warn fewer days ahead than the %(days)s days after which customers return.")
            % {"days": returning},
        )
    return writes.update(actor, current, changes)
