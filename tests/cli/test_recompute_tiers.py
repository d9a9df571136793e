"""`salesflow recompute_tiers`: the daily pass that moves the revenue window on."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.core.models import AuditRecord
from salesflow.customers import tiers
from salesflow.customers.models import Customer
from salesflow.pipeline.models import Deal
from salesflow.pipeline.services.deals import close_deal
from tests.cli.conftest import run
from tests.conftest import World, make_customer, make_deal
from tests.services.support import satisfy

pytestmark = pytest.mark.django_db


def test_the_daily_run_moves_the_revenue_window_and_a_rerun_changes_nothing(
    world: World, other_world: World
) -> None:
    # given the rule A: revenue ≥ 100,000, and a customer who won 120,000 just now (tier A)
    rep = world.rep_east
    tiers.save_tier_settings(world.admin, None, {"rules": [{"tier": "A", "min_revenue": 100000}]})
    customer = make_customer(rep, name="Huaxin Steel")
    deal = satisfy(rep, make_deal(rep, customer), world.open_stages())
    close_deal(rep, deal.pk, outcome="won", version=deal.version)
    assert Customer.objects.get(pk=customer.pk).tier == "A"

    # when a year and a day pass (the deal now closed 366 days ago) and the command runs
    closed = timezone.now() - datetime.timedelta(days=366)
    Deal.objects.filter(pk=deal.pk).update(closed_at=closed)
    first = run("recompute_tiers")

    # then the deal left the window: revenue 0, no tier, recorded as done by nobody
    found = Customer.objects.get(pk=customer.pk)
    assert (found.revenue, found.tier) == (Decimal(0), "")
    record = AuditRecord.objects.filter(entity_id=customer.pk, action="tier").latest("id")
    assert (record.changes, record.actor_id) == ({"tier": ["A", ""]}, None)
    name = world.admin.workspace.name
    assert f"Recomputed the tiers of “{name}”" in first.stdout
    assert ": 1 changed." in first.stdout
    assert f"{name} [####################] 1 / 1 customers" in first.stderr

    # and a second run, for this workspace alone, changes nothing
    audits = AuditRecord.objects.count()
    again = run("recompute_tiers", "--workspace", name)
    assert ": 0 changed." in again.stdout
    assert other_world.admin.workspace.name not in again.stdout
    assert AuditRecord.objects.count() == audits
