"""Funnel figures on a small history computed by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.analytics import queries
from salesflow.customers.services import update_customer
from salesflow.pipeline.models import Deal
from tests.conftest import World

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def march(world: World, **cuts: object) -> queries.Cut:
    return queries.Cut(world.pipeline.pk, *MARCH, **cuts)  # type: ignore[arg-type]


def test_cohort_funnel_counts_skipped_stages_and_won_deals_as_passed(history: World) -> None:
    # when the admin asks for March's cohort (A, B, C, D; E was created in April)
    funnel = queries.cohort_funnel(history.admin, march(history))[None]
    counts = [(row.name, row.count, row.amount) for row in funnel.stages]

    # then reached(S0) = A, B, C, D = 4 (amount 100 + 200 + 0 + 300 = 600)
    #      reached(S1) = A, B (skipped S1 for S2), C (was in S1), D (was won) = 4 (amount 600)
    #      reached(S2) = A, B, D = 3 (amount 600); later open stages: A, D = 2 (amount 400)
    #      Signed (the first won stage) counts the deals won now: A = 1 (amount 100);
    #      After-sales service: nobody got there = 0
    open_names = [s.name for s in history.open_stages()]
    assert counts[:3] == [
        (open_names[0], 4, Decimal(600)),
        (open_names[1], 4, Decimal(600)),
        (open_names[2], 3, Decimal(600)),
    ]
    assert [row[1:] for row in counts[3 : len(open_names)]] == [(2, Decimal(400))] * (
        len(open_names) - 3
    )
    assert counts[len(open_names) :] == [
        ("Signed", 1, Decimal(100)),
        ("After-sales service", 0, Decimal(0)),
    ]
    # conversion S0 → S1 = 4/4, S1 → S2 = 3/4, S2 → S3 = 2/3; last open → Signed = 1/2;
    # overall = won / reached(S0) = 1/4
    assert [r.conversion_to_next for r in funnel.stages[:3]] == [
        Fraction(1),
        Fraction(3, 4),
        Fraction(2, 3),
    ]
    assert funnel.stages[len(open_names) - 1].conversion_to_next == Fraction(1, 2)
    assert [r.drop_off for r in funnel.stages[:3]] == [0, 1, 1]
    assert (funnel.deals, funnel.won, funnel.overall_conversion) == (4, 1, Fraction(1, 4))


def test_cohort_funnel_by_owner_and_by_customer_cut(history: World) -> None:
    # when it is cut by owner: rep_east has A and B, rep_west has C and D
    by_owner = queries.cohort_funnel(history.admin, march(history), by_owner=True)
    east = by_owner[history.rep_east.user_id]
    west = by_owner[history.rep_west.user_id]

    # then rep_east reached S0 2, S1 2 (A, B skipped), won 1; rep_west S0 2, S1 2 (C, D), S2 1
    assert [r.count for r in east.stages[:3]] == [2, 2, 2]
    assert (east.won, west.won) == (1, 0)
    assert [r.count for r in west.stages[:3]] == [2, 2, 1]

    # and cut by industry, only A (the Retail customer's deal) is counted
    retail = queries.cohort_funnel(history.admin, march(history, industry="Retail"))[None]
    assert (retail.deals, retail.won) == (1, 1)


def test_a_rep_counts_only_what_they_may_see(history: World) -> None:
    # when rep_west asks for the whole cohort, only C and D are theirs
    funnel = queries.cohort_funnel(history.rep_west, march(history))[None]

    # then reached(S0) = 2 and nobody won
    assert (funnel.deals, funnel.won) == (2, 0)


def test_flow_funnel_counts_entries_in_the_period(history: World) -> None:
    # when the flow funnel of March is asked for
    funnel = queries.flow_funnel(history.admin, march(history))
    entries = {row.name: row.count for row in funnel.stages}
    names = [s.name for s in history.open_stages()]

    # then S0 was entered 4 times at creation, again by C (6 Mar) and D (15 Mar) = 6;
    # S1 by C (3 Mar) and A (5 Mar) = 2; S2 by B and A = 2; Won by D and A = 2;
    # April's two entries of E are not counted
    assert entries[names[0]] == 6
    assert entries[names[1]] == 2
    assert entries[names[2]] == 2
    assert entries["Signed"] == 2


def test_time_in_stage_reads_stays_that_ended_in_the_period(history: World) -> None:
    # when time in stage is asked for March
    times = {t.name: t.days for t in queries.time_in_stage(history.admin, march(history))}
    names = [s.name for s in history.open_stages()]

    # then S0 stays that ended: C 2→3 Mar (1 day), B 2→4 (2), A 2→5 (3), D 2→10 (8),
    # so count 4, median (2 + 3) / 2 = 5/2, mean (1 + 2 + 3 + 8) / 4 = 7/2
    assert times[names[0]] == queries.Spread(4, Fraction(5, 2), Fraction(7, 2))
    # S1: C 3→6 Mar (3 days), A 5→9 (4): median 7/2, mean 7/2
    assert times[names[1]] == queries.Spread(2, Fraction(7, 2), Fraction(7, 2))
    # Signed: D stayed 10→15 Mar (5 days) before its reopening
    assert times["Signed"] == queries.Spread(1, Fraction(5), Fraction(5))


def test_win_rate_deal_size_cycle_and_velocity(history: World) -> None:
    # when the outcomes of deals closed in March are asked for
    figures = queries.outcomes(history.admin, march(history))

    # then A was won (100, created 2 Mar, won 20 Mar: 18 days) and B lost; D is open again
    assert (figures.won, figures.lost, figures.won_amount) == (1, 1, Decimal(100))
    assert figures.win_rate == Fraction(1, 2)
    assert figures.average_won_amount == Decimal(100)
    assert figures.sales_cycle == queries.Spread(1, Fraction(18), Fraction(18))
    # open deals now: C, D and E = 3; velocity = 3 × 100 × 1/2 ÷ 18 = 150 / 18 per day
    assert figures.open_deals == 3
    assert figures.velocity_per_day == Decimal(150) / Decimal(18)

    # and per owner: rep_east won A, lost B and has E open: 1 × 100 × 1/2 ÷ 18 per day;
    # rep_west closed nothing in March but has C and D open: no velocity without a win
    by_owner = queries.outcomes(history.admin, march(history), by_owner=True).by_owner
    east = by_owner[history.rep_east.user_id]
    assert (east.won, east.lost, east.open_deals) == (1, 1, 1)
    assert east.velocity_per_day == Decimal(50) / Decimal(18)
    west = by_owner[history.rep_west.user_id]
    assert (west.won, west.lost, west.open_deals, west.velocity_per_day) == (0, 0, 2, None)


def test_daily_counts_follow_the_customer_cuts(history: World) -> None:
    # when entries and stays are cut by industry: only A's customer is in Retail
    names = [s.name for s in history.open_stages()]
    retail = march(history, industry="Retail")
    flow = {r.name: r.count for r in queries.flow_funnel(history.admin, retail).stages}
    times = {t.name: t.days for t in queries.time_in_stage(history.admin, retail)}

    # then A entered S0, S1, S2 and Signed once each, and stayed 3 days in S0 (2→5 Mar)
    assert [flow[n] for n in names[:3]] == [1, 1, 1]
    assert flow["Signed"] == 1
    assert times[names[0]] == queries.Spread(1, Fraction(3), Fraction(3))


def test_a_customer_change_moves_its_deals_daily_counts(history: World) -> None:
    # when A's customer moves from Retail to Energy
    customer_id = Deal.objects.get(name="A").customer_id
    update_customer(history.admin, customer_id, None, {"industry": "Energy"})

    # then A's entries count under Energy and no longer under Retail
    energy = queries.flow_funnel(history.admin, march(history, industry="Energy"))
    retail = queries.flow_funnel(history.admin, march(history, industry="Retail"))
    assert (energy.stages[0].count, retail.stages[0].count) == (1, 0)


def _cut_figures(history: World, cut: queries.Cut) -> tuple[object, ...]:
    admin = history.admin
    return (
        queries.cohort_funnel(admin, cut),
        queries.cohort_funnel(admin, cut, by_owner=True),
        queries.flow_funnel(admin, cut),
        queries.time_in_stage(admin, cut),
        queries.outcomes(admin, cut),
    )


@pytest.mark.parametrize(
    "cuts",
    [
        {"industry": "Retail"},
        {"industry": "Energy"},
        {"source_channel": "Referral"},
        {"region": "East"},
        {"region": "Nowhere"},
        {"industry": "Energy", "region": "East"},
    ],
)
def test_a_customer_cut_over_whole_months_reads_the_counts_by_that_column(
    history: World, monkeypatch: pytest.MonkeyPatch, cuts: dict[str, str]
) -> None:
    # given customers of B, C and D with a source channel, an industry and a region (changed
    # after their deals moved, so the counts follow the customers)
    for name, values in (
        ("B", {"industry": "Energy", "source_channel": "Referral", "region": "East"}),
        ("C", {"industry": "Energy", "region": "West"}),
        ("D", {"source_channel": "Referral", "region": "East"}),
    ):
        customer_id = Deal.objects.get(name=name).customer_id
        update_customer(history.admin, customer_id, None, values)
    # and a period of February to April: March and April whole, February whole and empty
    cut = queries.Cut(history.pipeline.pk, datetime.date(2026, 2, 1), datetime.date(2026, 4, 30),
                      **cuts)  # fmt: skip

    # when the admin asks for every figure of the cut
    with CaptureQueriesContext(connection) as read:
        by_month = _cut_figures(history, cut)

    # then a single customer cut reads the counts by that column, several cuts the daily ones
    by_customer = any("bycustomer" in q["sql"] for q in read.captured_queries)
    assert by_customer == (len(cuts) == 1)
    # and every figure equals the one the daily counts and the deal facts give
    monkeypatch.setattr(queries, "monthly_source", lambda *args, **kwargs: None)
    assert _cut_figures(history, cut) == by_month


def test_a_period_splits_into_whole_months_and_the_days_around_them() -> None:
    # given periods starting and ending inside or at the edges of months
    d = datetime.date
    # then whole months are named by their first days, the other days are listed as ranges
    assert queries.whole_months(d(2026, 2, 15), d(2026, 4, 2)) == (
        (d(2026, 3, 1), d(2026, 3, 1)),
        [(d(2026, 2, 15), d(2026, 2, 28)), (d(2026, 4, 1), d(2026, 4, 2))],
    )
    assert queries.whole_months(d(2026, 5, 1), d(2026, 10, 31)) == (
        (d(2026, 5, 1), d(2026, 10, 1)),
        [],
    )
    # a leap February, and December into January
    assert queries.whole_months(d(2028, 2, 1), d(2028, 2, 29)) == (
        (d(2028, 2, 1), d(2028, 2, 1)),
        [],
    )
    assert queries.whole_months(d(2026, 12, 2), d(2027, 1, 31)) == (
        (d(2027, 1, 1), d(2027, 1, 1)),
        [(d(2026, 12, 2), d(2026, 12, 31))],
    )
    # no whole month: only days
    assert queries.whole_months(d(2026, 3, 5), d(2026, 4, 2)) == (
        None,
        [(d(2026, 3, 5), d(2026, 4, 2))],
    )
    assert queries.whole_months(d(2026, 3, 1), d(2026, 3, 30)) == (
        None,
        [(d(2026, 3, 1), d(2026, 3, 30))],
    )


def test_whole_months_and_the_days_around_them_add_up(history: World) -> None:
    # when the period is 15 February … 2 April: March whole (monthly counts), and the days of
    # February and of 1–2 April (daily counts)
    cut = queries.Cut(history.pipeline.pk, datetime.date(2026, 2, 15), datetime.date(2026, 4, 2))
    names = [s.name for s in history.open_stages()]
    flow = {row.name: row.count for row in queries.flow_funnel(history.admin, cut).stages}
    times = {t.name: t.days for t in queries.time_in_stage(history.admin, cut)}
    figures = queries.outcomes(history.admin, cut)

    # then March's entries are joined by E's creation into S0 on 2 April (10:00 in Shanghai);
    # E's move to S1 on 3 April is outside
    assert [flow[n] for n in names[:3]] == [6 + 1, 2, 2]
    assert flow["Signed"] == 2
    # no stay ended on 1 or 2 April, so the stays are March's
    assert times[names[0]] == queries.Spread(4, Fraction(5, 2), Fraction(7, 2))
    assert (figures.won, figures.lost, figures.won_amount) == (1, 1, Decimal(100))
    assert figures.sales_cycle == queries.Spread(1, Fraction(18), Fraction(18))

    # and the same period with a customer cut reads the daily counts only: E's customer and
    # A's differ, so the Retail cut counts A alone
    retail = queries.Cut(history.pipeline.pk, cut.first_day, cut.last_day, industry="Retail")
    flow = {r.name: r.count for r in queries.flow_funnel(history.admin, retail).stages}
    assert [flow[n] for n in names[:3]] == [1, 1, 1]
