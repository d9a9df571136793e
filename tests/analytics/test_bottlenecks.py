"""Bottlenecks: a stage against its own past, a rep against everyone in the report."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest

from salesflow.analytics.bottlenecks import Thresholds, baseline_cut, bottlenecks
from salesflow.analytics.queries import Cut
from salesflow.pipeline.services.deals import move_deal
from tests.analytics.histories import Clock
from tests.conftest import World, make_deal

pytestmark = pytest.mark.django_db

MARCH = Cut(0, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
SMALL = Thresholds(min_deals=1, min_stays=1, min_rep_deals=1)


def test_the_baseline_is_the_four_periods_before() -> None:
    # March has 31 days: the baseline is the 124 days before 1 March
    assert baseline_cut(MARCH) == Cut(0, datetime.date(2025, 10, 28), datetime.date(2026, 2, 28))


def test_a_leaking_stage_a_slow_stage_and_a_rep_behind(free_world: World, clock: Clock) -> None:
    world = free_world
    s = world.open_stages()
    # given February: 4 deals, 3 of them moved on to S1 a day later (conversion 3/4, stays 1 day)
    clock.at(2, 2)
    february = [make_deal(world.rep_west) for _ in range(4)]
    clock.at(2, 3)
    for deal in february[:3]:
        move_deal(world.rep_west, deal.pk, s[1].pk, None)
    # and March: rep_east's 2 deals stay; of rep_west's 2, one moves on after 10 days
    clock.at(3, 2)
    make_deal(world.rep_east)
    make_deal(world.rep_east)
    moved = make_deal(world.rep_west)
    make_deal(world.rep_west)
    clock.at(3, 12)
    move_deal(world.rep_west, moved.pk, s[1].pk, None)

    # when the manager looks for bottlenecks in March (thresholds lowered for four deals)
    found = bottlenecks(world.boss, Cut(world.pipeline.pk, MARCH.first_day, MARCH.last_day), SMALL)
    by_kind = {(b.kind, b.owner_id): b for b in found if b.stage_id == s[0].pk}

    # then S0's conversion 1/4 is below 80 % of February's 3/4 (0.6)
    leak = by_kind[("conversion", None)]
    assert (leak.measured, leak.baseline, leak.sample) == (Fraction(1, 4), Fraction(3, 4), 4)
    assert "25.0 % of the deals" in str(leak.explanation)
    assert "first real contact" in str(leak.advice)
    # and S0's median stay of 10 days is above 150 % of February's 1 day
    slow = by_kind[("time", None)]
    assert (slow.measured, slow.baseline) == (Fraction(10), Fraction(1))
    # and rep_east moved 0/2 on from S0, below 70 % of everyone's 1/4; rep_west (1/2) is fine
    behind = by_kind[("rep", world.rep_east.user_id)]
    assert (behind.measured, behind.baseline) == (Fraction(0), Fraction(1, 4))
    assert ("rep", world.rep_west.user_id) not in by_kind

    # and with the default thresholds, four deals are too few to flag anything
    assert bottlenecks(world.boss, Cut(world.pipeline.pk, MARCH.first_day, MARCH.last_day)) == []
