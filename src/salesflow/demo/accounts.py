"""The demo workspace as a well-run team keeps it: the admin's rules for tiers, the public pool
and reminders, and what reps did with their customers once the deals were decided.

Customers under contract are locked against deletion now and then, and have their next
quarterly service visit planned; companies among them have their bank account on file (a
protected field). A few prospects that went nowhere were released into the public pool.
These choices draw from a random stream of their own, so they never shift the history drawn
before them. Tiers are never drawn: `customers.tiers` computes them from the
deals and these rules at the end of the seeding, as the daily `salesflow recompute_tiers` does.
"""

from __future__ import annotations

import datetime
import math
import random
from typing import Any

from salesflow.core.scoping import Actor, visible
from salesflow.customers.models import CompanySize, CustomerKind, CustomerRules, TierSettings
from salesflow.customers.pool import update_rules
from salesflow.customers.tiers import save_tier_settings
from salesflow.demo.funnel import Clock
from salesflow.demo.organise import MAKERS
from salesflow.demo.simulation import Bundle, CustomerRow, DealRow, World
from salesflow.demo.vocabulary import INDUSTRIES, RELEASE_REASONS, SALES_REGIONS

# First rule met decides: big recent buyers and promising ideal customers are A; any
# sizeable revenue or pipeline, or a perfect fit, is B; everyone else is C.
TIER_RULES: list[dict[str, Any]] = [
    {"tier": "A", "min_revenue": "300000.00"},
    {"tier": "A", "min_potential": "100000.00", "min_fit": 2},
    {"tier": "B", "min_revenue": "50000.00"},
    {"tier": "B", "min_potential": "20000.00"},
    {"tier": "B", "min_fit": 3},
    {"tier": "C"},
]
IDEAL_SIZES = [CompanySize.MEDIUM, CompanySize.LARGE, CompanySize.ENTERPRISE]
# The automatic return stays off: most demo prospects went quiet long ago after a lost deal
# (the seed document's funnel signs 3 in 100), and turning it on returns them all at once.
CUSTOMER_RULES = {
    "return_after_days": 0,
    "claim_limit": 20,
    "exempt_open_deals": True,
    "remind_days_before": 7,
}
# Share of new customers locked by their owner soon after the first signature.
LOCK_SHARE = 0.3
LOCK_AFTER_DAYS = (1.0, 14.0)
SERVICE_CYCLE_DAYS = 90
BANK_ACCOUNT_DIGITS = 19
# Share of prospects without an open deal their owner released into the pool, and when.
RELEASE_SHARE = 0.05
RELEASE_AFTER_DAYS = (7.0, 90.0)


def tier_settings(*, chinese: bool) -> dict[str, Any]:
    """The rules and ideal lists, spelt as the demo customers spell their industry and region:
    technology and manufacturing companies of medium size or more, at home in East China."""
    return {
        "rules": TIER_RULES,
        "ideal_industries": [
            industry.name.text(chinese) for industry in INDUSTRIES if industry.name.zh in MAKERS
        ],
        "ideal_sizes": [str(size) for size in IDEAL_SIZES],
        "ideal_regions": [
            city.region(chinese) for team in SALES_REGIONS[0].teams for city in team.cities
        ],
    }


def configure(admin: Actor, *, chinese: bool) -> None:
    """Save the workspace's tier, pool and reminder rules through their services; rules an
    admin saved before the seeding are kept."""
    if not visible(TierSettings, admin).exists():
        save_tier_settings(admin, None, tier_settings(chinese=chinese))
    if not visible(CustomerRules, admin).exists():
        update_rules(admin, None, CUSTOMER_RULES)


class AccountCare:
    """Decides, for each drawn customer, its lock, its next service date and its release."""

    def __init__(self, rng: random.Random, world: World) -> None:
        self.rng = rng
        self.world = world
        self.clock = Clock(rng, world.zone)
        self.won_stage_ids = {s.pk for s in world.shape.won}
        self.open_stage_ids = {s.pk for s in world.shape.open}
        self.today = world.cutoff.astimezone(world.zone).date()

    def tend(self, bundle: Bundle) -> None:
        customer = bundle.customer
        if customer.customer_since is not None:
            self._lock(customer, customer.customer_since)
            self._plan_service(customer, bundle.deals)
            if customer.kind == CustomerKind.COMPANY:
                customer.bank_account = self._bank_account()
        elif not any(deal.stage_id in self.open_stage_ids for deal in bundle.deals):
            self._release(bundle)
        changes = (customer.updated_at, customer.locked_at, customer.released_at)
        customer.updated_at = max(at for at in changes if at is not None)

    def _lock(self, customer: CustomerRow, signed: datetime.datetime) -> None:
        if self.rng.random() >= LOCK_SHARE:
            return
        at = self.clock.after(signed, self.rng.uniform(*LOCK_AFTER_DAYS))
        if at < self.world.cutoff:
            customer.locked_at = at

    def _plan_service(self, customer: CustomerRow, deals: list[DealRow]) -> None:
        """Every 90 days from the last deal won: the first such day from today on."""
        won = [d.closed_at for d in deals if d.stage_id in self.won_stage_ids and d.closed_at]
        if not won:
            return
        last = max(won).astimezone(self.world.zone).date()
        cycles = max(1, math.ceil((self.today - last).days / SERVICE_CYCLE_DAYS))
        customer.next_service_on = last + datetime.timedelta(days=cycles * SERVICE_CYCLE_DAYS)

    def _bank_account(self) -> str:
        """Nineteen digits written in groups of four, as on a bank's paperwork."""
        digits = str(self.rng.randrange(10 ** (BANK_ACCOUNT_DIGITS - 1), 10**BANK_ACCOUNT_DIGITS))
        return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    def _release(self, bundle: Bundle) -> None:
        """Some time after the last thing that happened to it, its owner gave it up."""
        if self.rng.random() >= RELEASE_SHARE:
            return
        customer = bundle.customer
        quiet_since = max(
            [
                customer.created_at,
                *(deal.moves[-1].at for deal in bundle.deals),
                *(a.done_at or a.created_at for a in bundle.activities),
            ]
        )
        at = self.clock.after(quiet_since, self.rng.uniform(*RELEASE_AFTER_DAYS))
        if at < self.world.cutoff:
            customer.released_at = at
            customer.release_reason = self.rng.choice(RELEASE_REASONS).text(self.world.chinese)
