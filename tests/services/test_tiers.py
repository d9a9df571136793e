"""Customer tiers: the inputs (revenue, potential, fit), the rules, and recomputing them when an
input or a rule changes. Every expected figure is computed by hand in the comments."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core.errors import Conflict, Forbidden, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor
from salesflow.customers import imports, tiers
from salesflow.customers.models import Customer, ImportJob, Lifecycle, TierSettings
from salesflow.customers.services import update_customer
from salesflow.pipeline.models import Deal
from salesflow.pipeline.services.deals import (
    close_deal,
    delete_deal,
    move_deal,
    reopen_deal,
    update_deal,
)
from tests.conftest import World, make_customer, make_deal
from tests.services.support import INITIAL_CONTACT, NEEDS_ANALYSIS, error_fields, satisfy, stage

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Today" of the revenue window tests: 15 June 2025, 10:00 in the workspace's zone.
NOW = datetime.datetime(2025, 6, 15, 10, 0, tzinfo=SHANGHAI)


def rule(tier: str, **minimums: Any) -> dict[str, Any]:
    return {"tier": tier, **minimums}


def set_rules(world: World, rules: list[dict[str, Any]], **lists: list[str]) -> None:
    current = tiers.tier_settings(world.admin)
    tiers.save_tier_settings(world.admin, current.version, {"rules": rules, **lists}, now=NOW)


def fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def inputs(customer: Customer) -> tuple[Decimal, Decimal, int, str]:
    found = fresh(customer)
    return (found.revenue, found.potential, found.fit, found.tier)


def edit(actor: Actor, deal: Deal, **data: Any) -> Deal:
    return update_deal(actor, deal.pk, Deal.objects.get(pk=deal.pk).version, data)


def won(world: World, customer: Customer, amount: str, closed_at: datetime.datetime) -> Deal:
    """A deal of the customer won for `amount`, dated back to `closed_at`."""
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep, customer), world.open_stages())
    deal = edit(rep, deal, amount=Decimal(amount))
    close_deal(rep, deal.pk, outcome="won", version=deal.version)
    Deal.objects.filter(pk=deal.pk).update(closed_at=closed_at)
    return deal


def tier_audits(customer: Customer) -> list[list[str]]:
    records = AuditRecord.objects.filter(
        entity="customers.customer", entity_id=customer.pk, action="tier"
    ).order_by("at", "id")
    return [record.changes["tier"] for record in records]


@pytest.mark.parametrize(
    ("now", "since"),
    [
        # an ordinary day: midnight of the same date a year before, in the workspace's zone
        (NOW, datetime.datetime(2024, 6, 15, tzinfo=SHANGHAI)),
        # 17:00 UTC on 14 June is already 01:00 on 15 June in Shanghai
        (
            datetime.datetime(2025, 6, 14, 17, 0, tzinfo=datetime.UTC),
            datetime.datetime(2024, 6, 15, tzinfo=SHANGHAI),
        ),
        # 29 February: a year before has no such day, so the window opens on the 28th
        (
            datetime.datetime(2024, 2, 29, 12, 0, tzinfo=SHANGHAI),
            datetime.datetime(2023, 2, 28, tzinfo=SHANGHAI),
        ),
    ],
)
def test_the_revenue_window_opens_at_midnight_a_year_before_today(
    now: datetime.datetime, since: datetime.datetime
) -> None:
    assert tiers.revenue_since(now, SHANGHAI) == since


def test_revenue_counts_the_deals_won_within_the_window_to_the_second(world: World) -> None:
    # given a customer with four won deals and one lost, the window opening 2024-06-15 00:00
    customer = make_customer(world.rep_east)
    won(world, customer, "100000.00", datetime.datetime(2024, 6, 15, 0, 0, tzinfo=SHANGHAI))
    won(world, customer, "50000.00", datetime.datetime(2024, 6, 14, 23, 59, 59, tzinfo=SHANGHAI))
    won(world, customer, "20000.50", datetime.datetime(2025, 6, 15, 9, 0, tzinfo=SHANGHAI))
    lost = make_deal(world.rep_east, customer, amount=Decimal("70000"))
    close_deal(world.rep_east, lost.pk, outcome="lost", reason="No budget", version=lost.version)

    # when the customer is recomputed on 15 June 2025
    tiers.customers_changed(None, [customer.pk], now=NOW)

    # then revenue = 100,000.00 (at the opening second) + 20,000.50 = 120,000.50; the deal
    # won one second before the window and the lost deal do not count
    assert fresh(customer).revenue == Decimal("120000.50")


def test_potential_weighs_each_open_deal_by_its_own_or_its_stage_probability(
    world: World,
) -> None:
    # given open deals of one customer, and a lost one
    rep = world.rep_east
    customer = make_customer(rep)
    make_deal(rep, customer, amount=Decimal("100000.00"))  # Prospecting, stage default 5 %
    make_deal(rep, customer, amount=Decimal("80000.00"), probability=45)  # set by hand
    make_deal(
        rep,
        customer,
        amount=Decimal("12345.67"),
        stage_id=stage(world, NEEDS_ANALYSIS).pk,  # stage default 20 %
    )
    make_deal(rep, customer, probability=90)  # no amount: weighs nothing
    lost = make_deal(rep, customer, amount=Decimal("500000.00"))
    close_deal(rep, lost.pk, outcome="lost", reason="No budget", version=lost.version)

    # then potential = (100,000 × 5 + 80,000 × 45 + 12,345.67 × 20) / 100
    #                = (500,000 + 3,600,000 + 246,913.40) / 100 = 43,469.134 → 43,469.13
    assert fresh(customer).potential == Decimal("43469.13")


def test_fit_gives_a_point_for_each_ideal_industry_size_and_region(world: World) -> None:
    # given customers of several profiles
    rep = world.rep_east
    three = make_customer(rep, industry="Metals", size="500-999", region="Shanghai")
    two = make_customer(rep, industry="钢铁", size="100-499", region="Beijing")
    one = make_customer(rep, industry="Food", region="Shanghai")
    none = make_customer(rep, industry="metals", size="1000+")  # spelt otherwise: no point

    # when the admin names the ideal industries, sizes and regions
    set_rules(
        world,
        [rule("A", min_fit=3), rule("B", min_fit=2), rule("C", min_fit=1)],
        ideal_industries=["Metals", "钢铁"],
        ideal_sizes=["100-499", "500-999"],
        ideal_regions=["Shanghai"],
    )

    # then each customer has one point per ideal value it has, and the tier that gives
    assert [(fresh(c).fit, fresh(c).tier) for c in (three, two, one, none)] == [
        (3, "A"),
        (2, "B"),
        (1, "C"),
        (0, ""),
    ]


def test_the_first_rule_met_gives_the_tier(world: World) -> None:
    # given customers whose inputs were computed by hand above
    rep = world.rep_east
    big_fit = make_customer(rep, industry="Metals", region="Shanghai")  # fit 2
    big = make_customer(rep, industry="Metals")  # fit 1
    for customer in (big_fit, big):
        won(world, customer, "120000.50", datetime.datetime(2025, 1, 1, tzinfo=SHANGHAI))
    hopeful = make_customer(rep)
    make_deal(rep, hopeful, amount=Decimal("100000.00"), probability=40)  # potential 40,000
    quiet = make_customer(rep)
    rules = [
        rule("A", min_revenue="100000", min_fit=2),
        rule("B", min_potential="40000.00"),
        rule("C"),
    ]
    ideal = {"ideal_industries": ["Metals"], "ideal_regions": ["Shanghai"]}

    # when the rules are A (revenue ≥ 100,000 and fit ≥ 2), B (potential ≥ 40,000), C (anyone)
    set_rules(world, rules, **ideal)

    # then: big_fit meets A; big fails A's fit and B's potential, so C; hopeful meets B at
    # exactly its minimum; quiet only the catch-all C
    assert [fresh(c).tier for c in (big_fit, big, hopeful, quiet)] == ["A", "C", "B", "C"]

    # when the catch-all rule is removed and B asks one cent more
    set_rules(world, [rules[0], rule("B", min_potential="40000.01")], **ideal)

    # then only big_fit keeps a tier
    assert [fresh(c).tier for c in (big_fit, big, hopeful, quiet)] == ["A", "", "", ""]


def test_every_input_change_recomputes_the_tier_in_the_same_write(world: World) -> None:
    # given the rules A: potential ≥ 50,000; B: revenue ≥ 100,000; C: fit ≥ 1 (Metals)
    rep, manager = world.rep_east, world.east_manager
    set_rules(
        world,
        [
            rule("A", min_potential="50000"),
            rule("B", min_revenue="100000"),
            rule("C", min_fit=1),
        ],
        ideal_industries=["Metals"],
    )
    customer = make_customer(rep, industry="Food")
    assert inputs(customer) == (Decimal(0), Decimal(0), 0, "")

    # when a deal of 100,000 at 60 % is created: potential 60,000 → A
    deal = make_deal(rep, customer, amount=Decimal("100000"), probability=60)
    assert inputs(customer) == (Decimal(0), Decimal("60000.00"), 0, "A")
    # the tier is derived: the customer's version stays, so nobody's edit of it conflicts
    assert fresh(customer).version == 1

    # when its probability drops to 40 %: 40,000 → no rule met
    deal = edit(rep, deal, probability=40)
    assert inputs(customer) == (Decimal(0), Decimal("40000.00"), 0, "")

    # when its amount grows to 150,000: 150,000 × 40 % = 60,000 → A
    deal = edit(rep, deal, amount=Decimal("150000"))
    assert inputs(customer) == (Decimal(0), Decimal("60000.00"), 0, "A")

    # when a second deal is created (stage default 5 %), made ready (amount 120,000) and moved
    # on to Initial contact (10 %): 60,000 + 120,000 × 10 % = 72,000
    second = satisfy(rep, make_deal(rep, customer), world.open_stages())
    move_deal(rep, second.pk, stage(world, INITIAL_CONTACT).pk, second.version)
    assert inputs(customer) == (Decimal(0), Decimal("72000.00"), 0, "A")

    # when the first deal is won (made ready: 120,000): revenue 120,000, potential 12,000 → B,
    # and the prospect becomes a customer
    deal = satisfy(rep, deal, world.open_stages())
    close_deal(rep, deal.pk, outcome="won", version=deal.version)
    assert inputs(customer) == (Decimal("120000.00"), Decimal("12000.00"), 0, "B")
    assert fresh(customer).lifecycle == Lifecycle.CUSTOMER

    # when it is reopened (back to Prospecting, 5 %): revenue 0, potential
    # 12,000 + 120,000 × 5 % = 18,000 → no rule met; the customer stays a customer
    deal = reopen_deal(rep, deal.pk, version=Deal.objects.get(pk=deal.pk).version)
    assert inputs(customer) == (Decimal(0), Decimal("18000.00"), 0, "")
    assert fresh(customer).lifecycle == Lifecycle.CUSTOMER

    # when it is lost: potential 12,000
    close_deal(rep, deal.pk, outcome="lost", reason="No budget", version=deal.version)
    assert inputs(customer) == (Decimal(0), Decimal("12000.00"), 0, "")

    # when the customer's industry becomes Metals: fit 1 → C, and the instance says so
    updated = update_customer(rep, customer.pk, None, {"industry": "Metals"})
    assert (updated.fit, updated.tier) == (1, "C")
    assert inputs(customer) == (Decimal(0), Decimal("12000.00"), 1, "C")

    # when the manager deletes the second deal: potential 0
    delete_deal(manager, second.pk)
    assert inputs(customer) == (Decimal(0), Decimal(0), 1, "C")

    # when another customer's deal of 100,000 at 60 % moves over to this customer
    other = make_customer(rep)
    moved = make_deal(rep, other, amount=Decimal("100000"), probability=60)
    assert inputs(other) == (Decimal(0), Decimal("60000.00"), 0, "A")
    edit(rep, moved, customer_id=customer.pk)

    # then both are recomputed: the other loses its potential, this one gains it
    assert inputs(other) == (Decimal(0), Decimal(0), 0, "")
    assert inputs(customer) == (Decimal(0), Decimal("60000.00"), 1, "A")

    # and every change of tier is in the audit trail, old → new, by the acting user
    assert tier_audits(customer) == [
        ["", "A"],
        ["A", ""],
        ["", "A"],
        ["A", "B"],
        ["B", ""],
        ["", "C"],
        ["C", "A"],
    ]
    actors = AuditRecord.objects.filter(entity_id=customer.pk, action="tier")
    assert set(actors.values_list("actor_id", flat=True)) == {rep.user_id}


def test_a_rule_change_retiers_the_whole_workspace_in_set_based_batches(
    world: World, other_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five customers with fit 3, 2, 1, 0, 0 (ideal: Metals, 100–499, Shanghai), none
    # tiered yet, a customer of another workspace, and batches of two customers
    rep = world.rep_east
    profiles = [
        {"industry": "Metals", "size": "100-499", "region": "Shanghai"},
        {"industry": "Metals", "region": "Shanghai"},
        {"region": "Shanghai"},
        {},
        {"industry": "Food"},
    ]
    customers = [make_customer(rep, **profile) for profile in profiles]
    elsewhere = make_customer(other_world.rep_east, industry="Metals", region="Shanghai")
    monkeypatch.setattr(tiers, "BATCH", 2)
    ideal = {
        "ideal_industries": ["Metals"],
        "ideal_sizes": ["100-499"],
        "ideal_regions": ["Shanghai"],
    }

    # when the admin sets A: fit ≥ 2, B: fit ≥ 1
    set_rules(world, [rule("A", min_fit=2), rule("B", min_fit=1)], **ideal)

    # then every customer of the workspace has its fit and tier; the other workspace is untouched
    assert [(fresh(c).fit, fresh(c).tier) for c in customers] == [
        (3, "A"),
        (2, "A"),
        (1, "B"),
        (0, ""),
        (0, ""),
    ]
    assert (fresh(elsewhere).fit, fresh(elsewhere).tier) == (0, "")
    # three customers changed tier, each recorded once, by the admin
    changes = AuditRecord.objects.filter(action="tier", actor_id=world.admin.user_id)
    assert sorted(changes.values_list("entity_id", flat=True)) == [c.pk for c in customers[:3]]

    # when the same settings are saved again, then nothing is written
    before = (AuditRecord.objects.count(), tiers.tier_settings(world.admin).version)
    set_rules(world, [rule("A", min_fit=2), rule("B", min_fit=1)], **ideal)
    assert (AuditRecord.objects.count(), tiers.tier_settings(world.admin).version) == before

    # and a full recompute finds nothing to change
    assert tiers.recompute_workspace(world.admin.workspace_id, now=NOW) == 0


def test_a_workspace_pass_costs_the_same_queries_for_any_number_of_customers(
    world: World, other_world: World
) -> None:
    # given workspaces of 2 and 6 customers, all in one batch
    for index in range(2):
        make_customer(world.rep_east, region="Shanghai" if index % 2 else "")
    for index in range(6):
        make_customer(other_world.rep_east, region="Shanghai" if index % 2 else "")

    def queries(workspace_id: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            tiers.recompute_workspace(workspace_id, now=NOW)
        return len(captured)

    # then recomputing either takes as many statements: none is run per customer
    assert queries(world.admin.workspace_id) == queries(other_world.admin.workspace_id)


def test_bad_settings_are_refused_field_by_field_and_change_nothing(world: World) -> None:
    # when the admin sends an unknown tier, a negative revenue, a fit of 4, three decimals and
    # an unknown size
    with pytest.raises(ValidationFailed) as refused:
        tiers.save_tier_settings(
            world.admin,
            None,
            {
                "rules": [
                    {"tier": "D", "min_revenue": "-5", "min_fit": 4},
                    {"tier": "A", "min_potential": "1.234"},
                ],
                "ideal_sizes": ["huge"],
            },
        )

    # then each is named, and no settings were written
    assert error_fields(refused.value) == [
        "rules.0.tier",
        "rules.0.min_revenue",
        "rules.0.min_fit",
        "rules.1.min_potential",
        "ideal_sizes",
    ]
    assert not TierSettings.objects.exists()


def test_only_an_admin_sets_the_rules_and_a_stale_version_is_refused(world: World) -> None:
    # given settings saved once (version 2 after the first save of version 1)
    set_rules(world, [rule("A", min_fit=1)])

    # then a manager may not change them
    with pytest.raises(Forbidden):
        tiers.save_tier_settings(world.boss, 2, {"rules": []})

    # and an admin who read version 1 gets a conflict, and the rules stay
    with pytest.raises(Conflict):
        tiers.save_tier_settings(world.admin, 1, {"rules": []})
    assert tiers.tier_settings(world.admin).rules == [
        {"tier": "A", "min_revenue": None, "min_potential": None, "min_fit": 1}
    ]


def test_winning_leaves_a_churned_customer_churned(world: World) -> None:
    # given a customer set to churned by hand
    rep = world.rep_east
    customer = make_customer(rep)
    update_customer(rep, customer.pk, 1, {"lifecycle": Lifecycle.CHURNED})

    # when a deal of theirs is won
    deal = satisfy(rep, make_deal(rep, customer), world.open_stages())
    close_deal(rep, deal.pk, outcome="won", version=deal.version)

    # then they stay churned: only a prospect becomes a customer automatically
    assert fresh(customer).lifecycle == Lifecycle.CHURNED


def test_the_tier_is_not_an_input_of_the_customer_services(world: World) -> None:
    # when a rep tries to set a tier by hand
    customer = make_customer(world.rep_east)
    with pytest.raises(ValidationFailed) as refused:
        update_customer(world.rep_east, customer.pk, 1, {"tier": "A"})

    # then it is an unknown field, and the customer keeps no tier
    assert error_fields(refused.value) == ["tier"]
    assert fresh(customer).tier == ""


def test_an_import_tiers_the_customers_it_creates_and_updates(world: World) -> None:
    # given the rules A: fit ≥ 2; C: fit ≥ 1, with Metals and Shanghai ideal
    set_rules(
        world,
        [rule("A", min_fit=2), rule("C", min_fit=1)],
        ideal_industries=["Metals"],
        ideal_regions=["Shanghai"],
    )
    admin = world.admin
    header = "客户名称,手机,行业,地区\n"

    def load(text: str) -> None:
        job = imports.upload(admin, "customers", SimpleUploadedFile("c.csv", text.encode()))
        mapping = imports.suggested_mapping(admin, job)
        imports.start(admin, job.pk, mapping=mapping, match_key="phone", on_match="update",
                      dry_run=False)  # fmt: skip
        imports.execute(admin, ImportJob.objects.get(pk=job.pk))

    # when a file creates three customers: Metals in Shanghai (fit 2), Metals elsewhere (1), Food
    load(header + "甲公司,13800138001,Metals,Shanghai\n"
         "乙公司,13800138002,Metals,Beijing\n丙公司,13800138003,Food,Beijing\n")  # fmt: skip
    by_name = {c.name: c for c in Customer.objects.filter(workspace_id=admin.workspace_id)}

    # then each has the fit and tier the rules give, and zero sums (it has no deals)
    assert [inputs(by_name[name]) for name in ("甲公司", "乙公司", "丙公司")] == [
        (Decimal("0"), Decimal("0"), 2, "A"),
        (Decimal("0"), Decimal("0"), 1, "C"),
        (Decimal("0"), Decimal("0"), 0, ""),
    ]

    # when a second file moves 丙公司 to Shanghai's metal trade and 甲公司 to Food
    load(header + "甲公司,13800138001,Food,Shanghai\n丙公司,13800138003,Metals,Shanghai\n")

    # then both are tiered anew
    assert [fresh(by_name[name]).tier for name in ("甲公司", "乙公司", "丙公司")] == ["C", "C", "A"]
