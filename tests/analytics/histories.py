"""Histories written at chosen moments, shared by the analytics tests of every layer.

`clock` sets the time the deal services read; `history` and `open_pipeline` are small
histories whose figures the tests compute by hand (docs/analytics.md walks through `history`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from salesflow.analytics import montecarlo
from salesflow.pipeline.models import Stage
from salesflow.pipeline.services.deals import close_deal, move_deal, reopen_deal, update_deal
from tests.conftest import World, make_customer, make_deal


class Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)

    def at(self, month: int, day: int, hour: int = 2) -> None:
        """Set the clock to that day of 2026, at the hour in UTC (10:00 in Shanghai at 02:00)."""
        self.now = datetime.datetime(2026, month, day, hour, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def free_world(world: World) -> World:
    """The world's pipeline without exit criteria, so histories need no paperwork."""
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    return world


@pytest.fixture
def history(free_world: World, clock: Clock) -> World:
    """Five deals; A–D created on 2 March, E in April.

    A (rep_east, 100): S0 → S1 (5 Mar) → S2 (9 Mar) → won (20 Mar)
    B (rep_east, 200): S0 → S2, skipping S1 (4 Mar) → lost (12 Mar)
    C (rep_west, no amount): S0 → S1 (3 Mar) → back to S0 (6 Mar), still open
    D (rep_west, 300): S0 → won (10 Mar) → reopened into S0 (15 Mar), open again: having been
      won, it has passed every open stage
    E (rep_east, 50): created 2 April, S0 → S1 (3 Apr)
    """
    world = free_world
    s = world.open_stages()
    retail = make_customer(
        world.admin, name="Retail", industry="Retail", owner_id=world.rep_east.user_id
    )
    a = make_deal(world.rep_east, retail, name="A", amount=Decimal(100))
    b = make_deal(world.rep_east, name="B", amount=Decimal(200))
    c = make_deal(world.rep_west, name="C")
    d = make_deal(world.rep_west, name="D", amount=Decimal(300))
    clock.at(3, 3)
    move_deal(world.rep_west, c.pk, s[1].pk, None)
    clock.at(3, 4)
    move_deal(world.rep_east, b.pk, s[2].pk, None)
    clock.at(3, 5)
    move_deal(world.rep_east, a.pk, s[1].pk, None)
    clock.at(3, 6)
    move_deal(world.rep_west, c.pk, s[0].pk, None)
    clock.at(3, 9)
    move_deal(world.rep_east, a.pk, s[2].pk, None)
    clock.at(3, 10)
    close_deal(world.rep_west, d.pk, outcome="won", version=None)
    clock.at(3, 12)
    close_deal(world.rep_east, b.pk, outcome="lost", reason="Price too high", version=None)
    clock.at(3, 15)
    reopen_deal(world.rep_west, d.pk, version=None)
    clock.at(3, 20)
    close_deal(world.rep_east, a.pk, outcome="won", version=None)
    clock.at(4, 2)
    e = make_deal(world.rep_east, name="E", amount=Decimal(50))
    clock.at(4, 3)
    move_deal(world.rep_east, e.pk, s[1].pk, None)
    return world


@pytest.fixture
def open_pipeline(free_world: World, clock: Clock) -> World:
    """On 1 March, four open deals; three are expected to close in April.

    P (rep_east, 1000, the first stage's default 5 %, closes 10 Apr) → pipeline, weighted 50
    Q (rep_east, 2000, probability set to 80 %, closes 20 Apr)   → commit, weighted 1600
    R (rep_west, 500, 50 %, owner chose "commit", closes 30 Apr) → commit, weighted 250
    S (rep_west, 9000, closes 1 May)                              → outside the period
    """
    world = free_world
    clock.at(3, 1)
    make_deal(world.rep_east, name="P", amount=Decimal(1000),
              expected_close_date=datetime.date(2026, 4, 10))  # fmt: skip
    q = make_deal(world.rep_east, name="Q", amount=Decimal(2000),
                  expected_close_date=datetime.date(2026, 4, 20))  # fmt: skip
    update_deal(world.rep_east, q.pk, None, {"probability": 80})
    r = make_deal(world.rep_west, name="R", amount=Decimal(500),
                  expected_close_date=datetime.date(2026, 4, 30))  # fmt: skip
    update_deal(world.rep_west, r.pk, None, {"probability": 50, "forecast_category": "commit"})
    make_deal(world.rep_west, name="S", amount=Decimal(9000),
              expected_close_date=datetime.date(2026, 5, 1))  # fmt: skip
    return world


def many_open_deals(world: World) -> None:
    """36 more open deals beside the 3 of `history`: amounts 120 to 7,120, some with their own
    probability, some without an amount, and a quarter in the stage without history (S3) with
    an expected close date in April or May."""
    s = world.open_stages()
    reps = [world.rep_west, world.rep_east]
    customers = [make_customer(world.admin, name=f"Many {n}", owner_id=rep.user_id)
                 for n, rep in enumerate(reps)]  # fmt: skip
    for n in range(36):
        data: dict[str, object] = {
            "amount": Decimal(120 + 200 * n) if n % 9 else None,
            "stage_id": (s[3] if n % 4 == 0 else s[n % 3]).pk,
            "expected_close_date": datetime.date(2026, 4 + n % 2, 5 + n % 20),
        }
        if n % 5 == 0:
            data["probability"] = 15 + n
        make_deal(reps[n % 2], customers[n % 2], **data)


def draw_five_largest(monkeypatch: pytest.MonkeyPatch, runs: int, *, any_error: bool) -> None:
    """A Monte Carlo budget that draws the 5 largest deals one by one and sums the others,
    whatever the estimated error of the sum if `any_error` (else under the real limit)."""
    monkeypatch.setattr(montecarlo, "ALL_EXACT_CELLS", 0)
    monkeypatch.setattr(montecarlo, "EXACT_CELLS", 5 * runs)
    if any_error:
        monkeypatch.setattr(montecarlo, "MAX_AGGREGATE_ERROR", 1.0)
