"""Locking a customer against deletion, and the refusal that names who locked it and when.

Whoever may see a customer may lock or unlock it: its owner, the managers of the owner's
teams, and admins (`visible()` lets in exactly these).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from salesflow.core import writes
from salesflow.core.errors import Forbidden
from salesflow.core.scoping import Actor
from salesflow.customers.models import Customer


@transaction.atomic
def lock_customer(actor: Actor, customer_id: int, version: int | None = None) -> Customer:
    customer = writes.lock(actor, Customer, customer_id, version)
    if customer.locked_at is not None:
        return customer
    now = timezone.now()
    changes = writes.apply(customer, {"locked_at": now, "locked_by_id": actor.user_id})
    customer.locked_by = actor.user
    return writes.update(actor, customer, changes, action="lock")


@transaction.atomic
def unlock_customer(actor: Actor, customer_id: int, version: int | None = None) -> Customer:
    customer = writes.lock(actor, Customer, customer_id, version)
    if customer.locked_at is None:
        return customer
    changes = writes.apply(customer, {"locked_at": None, "locked_by_id": None})
    return writes.update(actor, customer, changes, action="unlock")


def display_name(user: User | None) -> str:
    if user is None:
        return _("a former member")
    return user.get_full_name() or user.username


def lock_text(actor: Actor, customer: Customer) -> str:
    """ "Locked by 王芳 on 2026/11/20", the day in the actor's time zone and language."""
    assert customer.locked_at is not None
    zone = ZoneInfo(actor.membership.timezone or actor.workspace.timezone)
    day = timezone.localtime(customer.locked_at, zone).date()
    return _("Locked by %(name)s on %(day)s") % {
        "name": display_name(customer.locked_by),
        "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
    }


def refuse_if_locked(actor: Actor, customer: Customer) -> None:
    """A locked customer cannot be deleted: say who locked it, when, and what to do."""
    if customer.locked_at is not None:
        raise Forbidden(_("%(lock)s: unlock it first.") % {"lock": lock_text(actor, customer)})
