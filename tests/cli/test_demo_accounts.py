"""The demo workspace as a well-run team keeps it: tiers computed by the workspace's rules,
lifecycles that follow the deals, a few customers in the public pool, locks, service dates,
and daily jobs that run on it as on any workspace."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F, Max, Min

from salesflow.core.encryption import decrypt
from salesflow.core.models import Membership, Workspace
from salesflow.core.scoping import Actor
from salesflow.customers.models import (
    Customer,
    CustomerRules,
    PoolEvent,
    SearchTerm,
    TierSettings,
)
from salesflow.customers.pool import update_rules
from salesflow.customers.tiers import save_tier_settings
from salesflow.demo.accounts import SERVICE_CYCLE_DAYS
from salesflow.pipeline.models import Deal, StageChange, StageKind
from tests.cli.conftest import ANCHOR, make_workspace, run

pytestmark = pytest.mark.django_db

DERIVED = ("pk", "revenue", "potential", "fit", "tier")
# Eventful histories reopen won deals, which must not make a customer a prospect again.
LARGE = ("--scale", "large", "--seed", "5")
ANCHOR_DAY = datetime.date.fromisoformat(ANCHOR)


def demo() -> Workspace:
    """The demo workspace, seeded up to today (what the daily jobs read)."""
    run("demo")
    return Workspace.objects.get(name="演示公司")


def seeded() -> Workspace:
    """A workspace seeded as the demo is, up to a fixed day, so its rows are always the same."""
    workspace = make_workspace("Acme")
    run("seed", "--workspace", "Acme", "--deals", "1000", "--seed", "42", "--anchor", ANCHOR)
    return workspace


def test_the_demo_tiers_are_what_the_daily_recompute_computes() -> None:
    # given the demo workspace, seeded up to today
    workspace = demo()
    customers = Customer.objects.filter(workspace=workspace)
    before = sorted(customers.values_list(*DERIVED))

    # when the daily recompute runs on it
    output = run("recompute_tiers", "--workspace", "演示公司").stdout

    # then no customer's revenue, potential, fit or tier changes
    assert ": 0 changed." in output
    assert sorted(customers.values_list(*DERIVED)) == before


def test_the_demo_shows_every_tier_and_every_input() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    customers = Customer.objects.filter(workspace=workspace)

    # then it has customers in every tier, with revenue, with potential, and fits from 0 to 3
    assert set(customers.values_list("tier", flat=True)) == {"A", "B", "C"}
    assert customers.filter(revenue__gt=0).exists()
    assert customers.filter(potential__gt=0).exists()
    assert set(customers.values_list("fit", flat=True)) == {0, 1, 2, 3}


def test_the_demo_rules_name_what_the_demo_customers_hold() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    customers = Customer.objects.filter(workspace=workspace)
    settings = TierSettings.objects.get(workspace=workspace)

    # then its ideal industries and regions are spelt as its customers spell them
    assert settings.ideal_industries == ["信息技术", "制造业", "能源", "汽车"]
    for industry in settings.ideal_industries:
        assert customers.filter(industry=industry).exists(), industry
    assert "上海市" in settings.ideal_regions
    assert customers.filter(region__in=settings.ideal_regions).exists()
    assert settings.ideal_sizes == ["100-499", "500-999", "1000+"]
    # and the rules end with a catch-all, so every customer has a tier
    assert settings.rules[-1] == {
        "tier": "C",
        "min_revenue": None,
        "min_potential": None,
        "min_fit": None,
    }
    assert not customers.filter(tier="").exists()
    # and the pool and reminder rules are saved: claims limited, reminders a week ahead
    rules = CustomerRules.objects.get(workspace=workspace)
    assert (rules.return_after_days, rules.claim_limit, rules.remind_days_before) == (0, 20, 7)


def test_rules_an_admin_saved_before_the_seeding_are_kept() -> None:
    # given a workspace whose admin made every customer tier B and allowed 5 claims a day
    workspace = make_workspace("Acme")
    admin = Actor(Membership.objects.get(workspace=workspace, role="admin"))
    save_tier_settings(admin, None, {"rules": [{"tier": "B"}]})
    update_rules(admin, None, {"claim_limit": 5})

    # when it is seeded
    run("seed", "--workspace", "Acme", "--deals", "100", "--anchor", ANCHOR)

    # then the admin's rules still hold, and decided the tiers
    settings = TierSettings.objects.get(workspace=workspace)
    assert (settings.rules, settings.ideal_industries) == (
        [{"tier": "B", "min_revenue": None, "min_potential": None, "min_fit": None}],
        [],
    )
    assert CustomerRules.objects.get(workspace=workspace).claim_limit == 5
    customers = Customer.objects.filter(workspace=workspace)
    assert customers.exists()
    assert set(customers.values_list("tier", flat=True)) == {"B"}


@pytest.mark.parametrize("scale", [(), LARGE], ids=["small", "large"])
def test_a_customer_is_a_customer_once_one_of_its_deals_was_won(scale: tuple[str, ...]) -> None:
    # given a seeded workspace
    workspace = make_workspace("Acme")
    run("seed", "--workspace", "Acme", "--deals", "300", "--anchor", ANCHOR, *scale)

    # then the customers are exactly those with a deal that ever entered a won stage, even
    # when the deal was reopened since; the others are prospects
    won_once = set(
        StageChange.objects.filter(workspace=workspace, to_stage__kind=StageKind.WON).values_list(
            "deal__customer_id", flat=True
        )
    )
    customers = Customer.objects.filter(workspace=workspace)
    assert won_once
    assert set(customers.filter(lifecycle="customer").values_list("pk", flat=True)) == won_once
    assert set(customers.exclude(pk__in=won_once).values_list("lifecycle", flat=True)) == {
        "prospect"
    }
    if scale:
        # (the large history does reopen won deals)
        reopened = StageChange.objects.filter(
            workspace=workspace, from_stage__kind=StageKind.WON, to_stage__kind=StageKind.OPEN
        )
        assert reopened.exists()


def test_the_pool_customers_were_released_by_their_owner() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    customers = Customer.objects.filter(workspace=workspace)
    pool = customers.filter(owner__isnull=True)

    # then a few customers are in the public pool
    assert 0 < pool.count() < customers.count() / 10
    # and each entered it once, released by the rep who created it, with a reason, when its
    # pool clock started
    events = PoolEvent.objects.filter(workspace=workspace)
    assert sorted(events.values_list("customer_id", flat=True)) == sorted(
        pool.values_list("pk", flat=True)
    )
    for customer in pool:
        event = events.get(customer=customer)
        assert event.kind == "release"
        assert event.user_id == event.previous_owner_id == customer.created_by_id
        assert event.owner_id is None
        assert event.reason
        assert event.at == customer.owner_since
        # after everything that happened to it, and before the day seeded up to
        last_deal = Deal.objects.filter(customer=customer).aggregate(at=Max("stage_entered_at"))
        assert last_deal["at"] is None or last_deal["at"] < event.at
        assert event.at.date() < ANCHOR_DAY
        # and it was a prospect whose deals all closed
        assert customer.lifecycle == "prospect"
        assert not Deal.objects.filter(customer=customer, stage__kind=StageKind.OPEN).exists()
    # and the search finds them as nobody's
    assert not SearchTerm.objects.filter(customer__in=pool, owner__isnull=False).exists()
    # and an owned customer's pool clock started when it was created
    owned = customers.filter(owner__isnull=False)
    assert owned.exists()
    assert not owned.exclude(owner_since=F("created_at")).exists()


def test_locked_customers_were_locked_by_their_owner_after_a_signature() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    locked = Customer.objects.filter(workspace=workspace, locked_at__isnull=False)

    # then a few customers are locked, each by its owner, after its first won deal
    assert locked.exists()
    for customer in locked:
        assert customer.locked_by_id == customer.owner_id
        first_win = StageChange.objects.filter(
            deal__customer=customer, to_stage__kind=StageKind.WON
        ).aggregate(at=Min("at"))["at"]
        assert first_win is not None
        assert first_win < customer.locked_at
        assert customer.lifecycle == "customer"
        assert customer.locked_at.date() < ANCHOR_DAY


def test_customers_under_contract_have_their_next_quarterly_service_planned() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    zone = ZoneInfo(workspace.timezone)
    customers = Customer.objects.filter(workspace=workspace)
    planned = customers.filter(next_service_on__isnull=False)

    # then exactly the customers with a deal standing won have a service date
    standing_won = set(
        Deal.objects.filter(workspace=workspace, stage__kind=StageKind.WON).values_list(
            "customer_id", flat=True
        )
    )
    assert set(planned.values_list("pk", flat=True)) == standing_won
    # and it is the first day from the anchor day on that lies a whole number of 90-day cycles
    # after the last deal won (won on 1 March, seeded up to 15 July: the visits fall on 30 May
    # and on 28 August, which is the one planned)
    next_cycle = datetime.timedelta(days=SERVICE_CYCLE_DAYS)
    for customer in planned:
        last_won = Deal.objects.filter(customer=customer, stage__kind=StageKind.WON).aggregate(
            at=Max("closed_at")
        )["at"]
        days = (customer.next_service_on - last_won.astimezone(zone).date()).days
        assert days > 0
        assert days % SERVICE_CYCLE_DAYS == 0
        assert ANCHOR_DAY <= customer.next_service_on < ANCHOR_DAY + next_cycle


def test_companies_under_contract_have_their_bank_account_on_file_encrypted() -> None:
    # given a workspace seeded as the demo is
    workspace = seeded()
    customers = Customer.objects.filter(workspace=workspace)
    companies = customers.filter(lifecycle="customer", kind="company")

    # then each company that is a customer has a bank account, stored encrypted: nineteen
    # digits in groups of four (4 + 4 + 4 + 4 + 3)
    assert companies.exists()
    for token in companies.values_list("bank_account", flat=True):
        clear = decrypt(token)
        assert token != clear
        assert [len(group) for group in clear.split(" ")] == [4, 4, 4, 4, 3]
        assert clear.replace(" ", "").isdigit()
    # and no other customer has one
    assert set(customers.exclude(pk__in=companies).values_list("bank_account", flat=True)) == {""}


def test_the_daily_jobs_run_on_the_demo() -> None:
    # given the demo workspace
    demo()

    # when the reminders are sent twice and the pool is swept
    first = run("send_reminders").stdout
    again = run("send_reminders").stdout
    swept = run("pool_sweep").stdout

    # then owners are reminded of birthdays and service dates once, and the sweep, whose
    # automatic return the demo leaves off, returns nobody
    assert first != "Sent 0 reminders.\n"
    assert again == "Sent 0 reminders.\n"
    assert swept == "Returned 0 customers to the public pool; warned 0 owners.\n"
