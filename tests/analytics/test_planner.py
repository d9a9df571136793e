"""The reverse funnel: stage needs worked back from a target, and the weekly plan per rep."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.analytics.planner import (
    FunnelStage,
    Plan,
    StageNeed,
    apportion,
    contracts_for_revenue,
    period_weeks,
    plan_for_contracts,
    plan_for_revenue,
    rate_from_counts,
    rate_from_percent,
    rates_from_counts,
    stage_needs,
)
from salesflow.core.errors import ValidationFailed

# The seed document's funnel: 线索 100 → 接触 50 → 需求分析 20 → 方案 10 → 谈判 5 → 签约 3.
SEED_COUNTS = (100, 50, 20, 10, 5, 3)
SEED_NAMES = ("线索", "接触", "需求分析", "方案", "谈判")
SEED_KEYS = (1, 2, 3, 4, 5)
SEED_RATES = (
    Fraction(50, 100),
    Fraction(20, 50),
    Fraction(10, 20),
    Fraction(5, 10),
    Fraction(3, 5),
)
SEED_DECIMAL_RATES = (
    Decimal("0.5"),
    Decimal("0.4"),
    Decimal("0.5"),
    Decimal("0.5"),
    Decimal("0.6"),
)

WEDNESDAY = datetime.date(2025, 1, 1)
TUESDAY_TWO_WEEKS_LATER = datetime.date(2025, 1, 14)


def funnel(rates: Sequence[Fraction | Decimal]) -> list[FunnelStage]:
    return [
        FunnelStage(key, name, rate)
        for key, name, rate in zip(SEED_KEYS, SEED_NAMES, rates, strict=True)
    ]


def required(needs: Sequence[StageNeed]) -> list[int]:
    return [need.required for need in needs]


def only_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    [field_error] = error.value.errors
    return field_error.field


# --- stage needs ---------------------------------------------------------------------------


def test_the_seed_example_gives_exactly_100_50_20_10_5_for_three_contracts() -> None:
    # given the seed funnel's rates as exact fractions
    stages = funnel(SEED_RATES)

    # when three contracts are the target
    needs = stage_needs(stages, 3)

    # then, working back from won:
    #   谈判      ceil(3 / (3/5))   = ceil(5)   = 5
    #   方案      ceil(5 / (5/10))  = ceil(10)  = 10
    #   需求分析  ceil(10 / (10/20)) = ceil(20) = 20
    #   接触      ceil(20 / (20/50)) = ceil(50) = 50
    #   线索      ceil(50 / (50/100)) = ceil(100) = 100
    assert required(needs) == [100, 50, 20, 10, 5]
    assert [n.stage_key for n in needs] == [1, 2, 3, 4, 5]
    assert [n.name for n in needs] == list(SEED_NAMES)
    assert [n.conversion_to_next for n in needs] == list(SEED_RATES)


def test_decimal_rates_give_the_seed_example() -> None:
    # given the same rates written as decimals
    stages = funnel(SEED_DECIMAL_RATES)

    # when three contracts are the target
    needs = stage_needs(stages, 3)

    # then Decimal("0.6") is taken as exactly 3/5: 3 / (3/5) = 5, and so on as above
    assert required(needs) == [100, 50, 20, 10, 5]
    assert needs[-1].conversion_to_next == Fraction(3, 5)


def test_decimal_rates_are_divided_exactly_where_floats_would_round_up_once_too_often() -> None:
    # given a single stage converting 70%; in floats 21 / 0.7 is 30.000000000000004
    assert math.ceil(21 / 0.7) == 31
    stages = [FunnelStage(1, "Negotiation", Decimal("0.7"))]

    # when 21 contracts are the target
    needs = stage_needs(stages, 21)

    # then 21 / (7/10) = 30 exactly, and 30 × 0.7 = 21
    assert required(needs) == [30]


def test_rates_built_from_the_historical_counts_give_the_seed_example() -> None:
    # given the counts of deals that reached each stage, then won
    rates = rates_from_counts(SEED_COUNTS)

    # then the rates are reached(next) / reached(stage): 50/100, 20/50, 10/20, 5/10, 3/5
    assert rates == (
        Fraction(1, 2),
        Fraction(2, 5),
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(3, 5),
    )
    # and planning three contracts with them gives the seed example
    assert required(stage_needs(funnel(rates), 3)) == [100, 50, 20, 10, 5]
    assert rate_from_counts(3, 5) == Fraction(3, 5)


def test_a_target_that_does_not_divide_evenly_rounds_up_to_whole_deals() -> None:
    # given the seed funnel
    stages = funnel(SEED_RATES)

    # when four contracts are the target
    needs = stage_needs(stages, 4)

    # then, working back from won:
    #   谈判      4 / (3/5) = 20/3 = 6.67 → 7   (7 × 3/5 = 4.2 ≥ 4, but 6 × 3/5 = 3.6 < 4)
    #   方案      7 / (1/2) = 14
    #   需求分析  14 / (1/2) = 28
    #   接触      28 / (2/5) = 70
    #   线索      70 / (1/2) = 140
    assert required(needs) == [140, 70, 28, 14, 7]


def test_rounding_up_at_every_stage_uses_the_rounded_need_of_the_next_stage() -> None:
    # given two stages at 30% and 37.5%, typed as percentages
    stages = [
        FunnelStage(10, "Leads", rate_from_percent(30)),
        FunnelStage(11, "Proposal", rate_from_percent(Decimal("37.5"))),
    ]

    # when five contracts are the target
    needs = stage_needs(stages, 5)

    # then:
    #   Proposal  5 / (3/8) = 40/3 = 13.33 → 14   (14 × 3/8 = 5.25 ≥ 5; 13 × 3/8 = 4.875 < 5)
    #   Leads     14 / (3/10) = 140/3 = 46.67 → 47 (47 × 0.3 = 14.1 ≥ 14; 46 × 0.3 = 13.8 < 14)
    assert required(needs) == [47, 14]
    assert needs[1].conversion_to_next == Fraction(3, 8)


def test_a_rate_of_one_hundred_percent_passes_the_need_through_unchanged() -> None:
    # given a first stage that always converts, and a second at 50%
    stages = [
        FunnelStage(1, "Qualified", Fraction(1)),
        FunnelStage(2, "Offer", Decimal("0.50")),
        FunnelStage(3, "Signature", Decimal("1.00")),
    ]

    # when three contracts are the target
    needs = stage_needs(stages, 3)

    # then Signature: 3 / 1 = 3; Offer: 3 / (1/2) = 6; Qualified: 6 / 1 = 6
    assert required(needs) == [6, 6, 3]


# --- revenue target ------------------------------------------------------------------------


def test_a_revenue_target_needs_enough_whole_contracts_to_reach_it() -> None:
    # given a revenue target of 1,000,000 at an average won deal of 300,000
    # when the contracts are worked out: 1,000,000 / 300,000 = 10/3 = 3.33 → 4
    contracts = contracts_for_revenue(Decimal("1000000"), Decimal("300000.00"))

    # then four contracts are needed (three would bring only 900,000)
    assert contracts == 4


def test_a_revenue_target_that_divides_evenly_needs_no_extra_contract() -> None:
    # given 900,000.00 at 300,000.00 a deal: exactly 3
    assert contracts_for_revenue(Decimal("900000.00"), Decimal("300000.00")) == 3
    # and 1,000.01 at 1,000 a deal is just over one: 2
    assert contracts_for_revenue(Decimal("1000.01"), Decimal("1000")) == 2


def test_a_revenue_plan_works_back_from_the_contracts_it_needs() -> None:
    # given the seed funnel and a revenue target of 1,000,000 at 300,000 a deal (4 contracts)
    # when a plan is made for one rep over one week
    plan = plan_for_revenue(
        funnel(SEED_RATES),
        Decimal("1000000"),
        Decimal("300000"),
        first_day=datetime.date(2025, 1, 6),
        last_day=datetime.date(2025, 1, 12),
        rep_ids=[7],
    )

    # then it is the four-contract funnel (see the rounding test): 140, 70, 28, 14, 7
    assert plan.target_contracts == 4
    assert required(plan.stages) == [140, 70, 28, 14, 7]
    # and the single rep's single week holds all of it
    [week] = plan.weeks
    assert week.for_rep(7).entering == (140, 70, 28, 14, 7)
    assert week.for_rep(7).won == 4


# --- weeks and the weekly plan -------------------------------------------------------------


def test_a_period_is_cut_into_monday_to_sunday_weeks() -> None:
    # given a period from Wednesday 1 January to Tuesday 14 January 2025
    # when it is cut into weeks
    weeks = period_weeks(WEDNESDAY, TUESDAY_TWO_WEEKS_LATER)

    # then the first week runs Wed–Sun (5 days), then a full week, then Mon–Tue (2 days)
    assert weeks == (
        (datetime.date(2025, 1, 1), datetime.date(2025, 1, 5)),
        (datetime.date(2025, 1, 6), datetime.date(2025, 1, 12)),
        (datetime.date(2025, 1, 13), datetime.date(2025, 1, 14)),
    )
    # and a one-day period is one week of one day
    assert period_weeks(WEDNESDAY, WEDNESDAY) == ((WEDNESDAY, WEDNESDAY),)


def test_largest_remainders_add_up_and_break_ties_by_position() -> None:
    # 100 over weights 5:7:2 → 35.71, 50, 14.29 → floors 35, 50, 14 (99); the one left goes to
    # the largest remainder, .71
    assert apportion(100, [5, 7, 2]) == (36, 50, 14)
    # 3 over 1:1 → 1.5, 1.5 → floors 1, 1; the tie goes to the first
    assert apportion(3, [1, 1]) == (2, 1)
    # a zero weight gets nothing
    assert apportion(4, [0, 1, 1]) == (0, 2, 2)


def _uneven_plan() -> Plan:
    """The seed funnel for 3 contracts, Wed 1 to Tue 14 January, reps 11, 12, 13 at 2:1:1."""
    return plan_for_contracts(
        funnel(SEED_RATES),
        3,
        first_day=WEDNESDAY,
        last_day=TUESDAY_TWO_WEEKS_LATER,
        rep_ids=[11, 12, 13],
        weights=[2, 1, 1],
    )


def test_the_weekly_plan_splits_the_leads_by_rep_weight_and_days_in_each_week() -> None:
    # given 100 leads over weeks of 5, 7 and 2 days and reps weighted 2:1:1
    # when the plan is made
    plan = _uneven_plan()

    # then the reps' totals are 100 × 2/4, 1/4, 1/4 = 50, 25, 25
    # and the weeks' totals are 100 × 5/14, 7/14, 2/14 = 35.71, 50, 14.29 → 36, 50, 14
    # and each cell is rep total × week total / 100:
    #   rep 11: 50×36/100 = 18,  50×50/100 = 25,    50×14/100 = 7     (exact)
    #   rep 12: 25×36/100 = 9,   25×50/100 = 12.5,  25×14/100 = 3.5
    #   rep 13: the same as rep 12
    # with floors 18+9+9 = 36, 25+12+12 = 49, 7+3+3 = 13, weeks 2 and 3 are each one short,
    # and reps 12 and 13 each one short. All four remainders are .5: in rep then week order,
    # rep 12 takes week 2, rep 12 is then full, so rep 13 takes week 3.
    leads = [[plan.weeks[w].for_rep(rep).entering[0] for w in range(3)] for rep in (11, 12, 13)]
    assert leads == [
        [18, 25, 7],
        [9, 13, 3],
        [9, 12, 4],
    ]
    assert [w.days for w in plan.weeks] == [5, 7, 2]


def test_the_weekly_plan_splits_the_won_contracts_and_the_last_stage() -> None:
    # given the uneven plan
    plan = _uneven_plan()

    # then the 3 contracts: reps 3 × 2/4, 1/4, 1/4 = 1.5, .75, .75 → floors 1, 0, 0 (1); the
    # two left go to the remainders .75, .75 → 1, 1, 1.
    # weeks 3 × 5/14, 7/14, 2/14 = 1.07, 1.5, .43 → floors 1, 1, 0 (2); the one left goes to
    # .5 → 1, 2, 0. Cells 1 × week / 3 = 1/3, 2/3, 0 for every rep: the 2/3s go first, to
    # reps 11 and 12 in week 2 (which is then full), and rep 13 takes its 1/3 in week 1.
    won = [[plan.weeks[w].for_rep(rep).won for w in range(3)] for rep in (11, 12, 13)]
    assert won == [
        [0, 1, 0],
        [0, 1, 0],
        [1, 0, 0],
    ]

    # and the 5 in 谈判: reps 2.5, 1.25, 1.25 → 2, 1, 1 + one to .5 → 3, 1, 1;
    # weeks 5 × 5/14 = 1.79, 2.5, .71 → 1, 2, 0 + two to .79 and .71 → 2, 2, 1.
    # Cells rep × week / 5: rep 11 1.2, 1.2, .6; reps 12 and 13 .4, .4, .2. After the floors
    # (1, 1, 0 for rep 11) every rep and every week is one short. Largest first: rep 11 week 3
    # (.6); then the .4s in order: rep 12 week 1, (rep 12 full), (week 1 full), rep 13 week 2.
    negotiation = [
        [plan.weeks[w].for_rep(rep).entering[4] for w in range(3)] for rep in (11, 12, 13)
    ]
    assert negotiation == [
        [1, 1, 1],
        [1, 0, 0],
        [0, 1, 0],
    ]


def test_the_weekly_plan_adds_up_exactly_to_every_stage_total() -> None:
    # given the uneven plan
    plan = _uneven_plan()

    # then every stage's cells add up to its need, and the won cells to the target
    for need in plan.stages:
        assert plan.total_entering(need.stage_key) == need.required
    assert plan.total_won() == 3
    # and each rep's totals follow the 2:1:1 weights (50/25/25 leads, 25/12.5/12.5 contacted
    # → 25, 13, 12 with the tie at .5 going to the earlier rep)
    assert [plan.total_entering(1, rep_id=r) for r in (11, 12, 13)] == [50, 25, 25]
    assert [plan.total_entering(2, rep_id=r) for r in (11, 12, 13)] == [25, 13, 12]
    # and each week's team total follows the days: 50 contacted × 5/14, 7/14, 2/14
    # = 17.86, 25, 7.14 → 17, 25, 7 + the one left to .86 → 18, 25, 7
    assert [plan.total_entering(2, week=w) for w in range(3)] == [18, 25, 7]


def test_a_rep_cornered_by_the_earlier_reps_gets_a_week_handed_over_by_one_of_them() -> None:
    # given 6 contracts through one stage that always converts, 3 equal reps and 3 full weeks
    # (Monday 6 to Sunday 26 January 2025)
    plan = plan_for_contracts(
        [FunnelStage(1, "Signature", Fraction(1))],
        6,
        first_day=datetime.date(2025, 1, 6),
        last_day=datetime.date(2025, 1, 26),
        rep_ids=[1, 2, 3],
    )

    # then each rep and each week gets 6/3 = 2, and each cell 2 × 2 / 6 = 2/3, so 0 or 1.
    # Rounding up in rep then week order gives rep 1 weeks 1 and 2, rep 2 weeks 1 and 2, and
    # leaves rep 3 only week 3 with room. Rep 3 takes week 1 from rep 1, who takes week 3.
    won = [[plan.weeks[w].for_rep(rep).won for w in range(3)] for rep in (1, 2, 3)]
    assert won == [
        [0, 1, 1],
        [1, 1, 0],
        [1, 0, 1],
    ]
    assert [plan.total_won(week=w) for w in range(3)] == [2, 2, 2]


# --- property ------------------------------------------------------------------------------

rates = st.fractions(min_value=Fraction(1, 100), max_value=1, max_denominator=100)


@settings(
    max_examples=200,
    deadline=None,
    # the autouse `settings` fixture of tests/conftest.py is function-scoped but plays no part
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stage_rates=st.lists(rates, min_size=1, max_size=6),
    target=st.integers(min_value=1, max_value=60),
    first_day=st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2026, 12, 31)),
    length=st.integers(min_value=0, max_value=120),
    weights=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6).filter(any),
)
def test_the_plan_always_adds_up_and_no_cell_is_negative(
    stage_rates: list[Fraction],
    target: int,
    first_day: datetime.date,
    length: int,
    weights: list[int],
) -> None:
    # given any funnel, target, period and weighted team
    stages = [FunnelStage(i, f"Stage {i}", r) for i, r in enumerate(stage_rates)]
    rep_ids = [100 + i for i in range(len(weights))]
    last_day = first_day + datetime.timedelta(days=length)

    # when a plan is made
    plan = plan_for_contracts(
        stages, target, first_day=first_day, last_day=last_day, rep_ids=rep_ids, weights=weights
    )

    # then each stage needs the fewest deals that still feed the next one
    needed_next = target
    for need in reversed(plan.stages):
        assert need.required * need.conversion_to_next >= needed_next
        assert (need.required - 1) * need.conversion_to_next < needed_next
        needed_next = need.required

    # and the weeks cover the period, Monday to Sunday
    assert plan.weeks[0].first_day == first_day
    assert plan.weeks[-1].last_day == last_day
    assert sum(w.days for w in plan.weeks) == length + 1
    assert all(w.first_day.weekday() == 0 for w in plan.weeks[1:])

    # and the cells are never negative, and add up to every total
    cells = [c for w in plan.weeks for c in w.reps]
    assert all(n >= 0 for c in cells for n in (*c.entering, c.won))
    totals = [(n.stage_key, n.required) for n in plan.stages]
    for stage_key, total in totals:
        assert plan.total_entering(stage_key) == total
    assert plan.total_won() == target

    # and each rep's and each week's share is its fair share rounded up or down
    day_counts = [w.days for w in plan.weeks]
    for index, (stage_key, total) in enumerate(totals):
        for rep_id, weight in zip(rep_ids, weights, strict=True):
            fair = Fraction(total * weight, sum(weights))
            assert math.floor(fair) <= plan.total_entering(stage_key, rep_id=rep_id)
            assert plan.total_entering(stage_key, rep_id=rep_id) <= math.ceil(fair)
        for w, days in enumerate(day_counts):
            fair = Fraction(total * days, length + 1)
            week_total = sum(c.entering[index] for c in plan.weeks[w].reps)
            assert math.floor(fair) <= week_total <= math.ceil(fair)


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate",
    [Fraction(0), Decimal("0"), Decimal("-0.5"), Fraction(-1, 2)],
)
def test_a_zero_or_negative_rate_is_refused_naming_the_stage(rate: Fraction | Decimal) -> None:
    # given the seed funnel with 方案 (key 4) at a rate that can never feed the next stage
    stages = funnel(SEED_RATES)
    stages[3] = FunnelStage(4, "方案", rate)

    # when the needs are worked out, then the rate of stage 4 is refused
    with pytest.raises(ValidationFailed) as error:
        stage_needs(stages, 3)
    assert only_field(error) == "conversion_to_next.4"
    assert "方案" in str(error.value.errors[0].message)
    assert "above zero" in str(error.value.errors[0].message)


def test_a_rate_above_one_hundred_percent_is_refused() -> None:
    # given a stage where more deals reach the next stage than entered it
    stages = [FunnelStage(1, "Leads", rate_from_counts(12, 10))]

    # then it is refused
    with pytest.raises(ValidationFailed) as error:
        stage_needs(stages, 3)
    assert only_field(error) == "conversion_to_next.1"
    assert "100%" in str(error.value.errors[0].message)


def test_a_float_rate_is_refused_as_inexact() -> None:
    stages = [FunnelStage(1, "Leads", 0.6)]  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as error:
        stage_needs(stages, 3)
    assert only_field(error) == "conversion_to_next.1"


@pytest.mark.parametrize("target", [0, -3])
def test_a_target_that_is_not_above_zero_is_refused(target: int) -> None:
    with pytest.raises(ValidationFailed) as error:
        stage_needs(funnel(SEED_RATES), target)
    assert only_field(error) == "target_contracts"


@pytest.mark.parametrize(
    ("revenue", "average", "field"),
    [
        (Decimal("1000"), None, "average_deal_size"),
        (Decimal("1000"), Decimal("0"), "average_deal_size"),
        (Decimal("1000"), Decimal("-10"), "average_deal_size"),
        (Decimal("0"), Decimal("100"), "target_revenue"),
        (Decimal("NaN"), Decimal("100"), "target_revenue"),
    ],
)
def test_a_revenue_target_without_a_usable_deal_size_is_refused(
    revenue: Decimal, average: Decimal | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        contracts_for_revenue(revenue, average)
    assert only_field(error) == field


def test_counts_without_deals_at_a_stage_are_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        rates_from_counts([0, 0])
    assert only_field(error) == "reached_stage"
    with pytest.raises(ValidationFailed) as error:
        rates_from_counts([5])
    assert only_field(error) == "reached"


def test_a_funnel_without_stages_or_with_a_stage_twice_is_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        stage_needs([], 3)
    assert only_field(error) == "stages"
    twice = [FunnelStage(1, "A", Fraction(1, 2)), FunnelStage(1, "A", Fraction(1, 2))]
    with pytest.raises(ValidationFailed) as error:
        stage_needs(twice, 3)
    assert only_field(error) == "stages"


@pytest.mark.parametrize(
    ("first_day", "last_day", "rep_ids", "weights", "field"),
    [
        (TUESDAY_TWO_WEEKS_LATER, WEDNESDAY, [1], None, "last_day"),
        (WEDNESDAY, TUESDAY_TWO_WEEKS_LATER, [], None, "rep_ids"),
        (WEDNESDAY, TUESDAY_TWO_WEEKS_LATER, [1, 1], None, "rep_ids"),
        (WEDNESDAY, TUESDAY_TWO_WEEKS_LATER, [1, 2], [1], "weights"),
        (WEDNESDAY, TUESDAY_TWO_WEEKS_LATER, [1, 2], [1, -1], "weights"),
        (WEDNESDAY, TUESDAY_TWO_WEEKS_LATER, [1, 2], [0, 0], "weights"),
    ],
)
def test_a_weekly_plan_needs_a_period_and_a_team(
    first_day: datetime.date,
    last_day: datetime.date,
    rep_ids: list[int],
    weights: list[int] | None,
    field: str,
) -> None:
    with pytest.raises(ValidationFailed) as error:
        plan_for_contracts(
            funnel(SEED_RATES),
            3,
            first_day=first_day,
            last_day=last_day,
            rep_ids=rep_ids,
            weights=weights,
        )
    assert only_field(error) == field
