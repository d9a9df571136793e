"""REST endpoints for the analytics: the funnel, sales velocity and the reverse-funnel plan.

Every figure is read through `salesflow.analytics.queries`, which scope to the token's actor:
a rep's funnel counts their own deals, a manager's those of the teams they manage. The queries
keep exact values (Fraction); they are rounded only here, where they become JSON: ratios to 6
decimals, days to 2, money to cents (a string, as in the deals API).
"""

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import DecimalValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from salesflow.analytics import queries
from salesflow.analytics.cuts import LONGEST_PERIOD_DAYS, CutParams
from salesflow.analytics.planner import (
    FunnelStage,
    Plan,
    StageNeed,
    plan_for_contracts,
    plan_for_revenue,
    rate_from_percent,
    rates_from_counts,
)
from salesflow.core.api import READ_ERRORS, ApiRequest, ErrorOut, InputSchema, Money
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Role
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.core.scoping import Actor
from salesflow.customers.queries import assignable_owners
from salesflow.pipeline.models import Stage, StageKind

analytics = Router(tags=["analytics"])

HISTORY_DAYS = 365
MONEY = DecimalValidator(MAX_DIGITS, DECIMAL_PLACES)
PLAN_ERRORS: dict[Any, type[Schema]] = {frozenset({400, 401, 404, 422}): ErrorOut}


def _rounded(places: int) -> BeforeValidator:
    """Exact Fractions become the nearest JSON number with that many decimals."""

    def convert(value: object) -> object:
        return float(round(value, places)) if isinstance(value, Fraction) else value

    return BeforeValidator(convert)


Ratio = Annotated[float, _rounded(6)]
Days = Annotated[float, _rounded(2)]

RATIO = "rounded to 6 decimals"


class Split(Schema):
    """The per-owner switch, beside the cuts every analytics figure shares."""

    by_owner: bool = Field(
        False,
        description="Also give the figures of each owner (owners without deals are left out).",
    )


class CohortStageOut(Schema):
    stage_id: int
    name: str
    kind: StageKind
    reached: int = Field(
        description="Deals of the cohort whose furthest stage is this one or a later one (every "
        "won deal has passed every open stage); for a won stage, the deals won now."
    )
    amount: Money = Field(description="The amount of those deals.")
    conversion_to_next: Ratio | None = Field(
        description=f"reached of the next stage ÷ reached of this one, {RATIO}; null for the "
        "last stage or when no deal reached this one."
    )
    drop_off: int = Field(description="reached of this stage − reached of the next.")

    @staticmethod
    def resolve_reached(row: queries.StageCount) -> int:
        return row.count


class CohortFunnelOut(Schema):
    """The deals created in the period, by the furthest stage they reached."""

    stages: list[CohortStageOut] = Field(description="Open and won stages in pipeline order.")
    deals: int = Field(description="Deals created in the period.")
    won: int = Field(description="Of those, the deals won now.")
    overall_conversion: Ratio | None = Field(description=f"won ÷ deals, {RATIO}.")


class OwnerFunnelOut(Schema):
    owner_id: int
    funnel: CohortFunnelOut


class FlowStageOut(Schema):
    stage_id: int
    name: str
    kind: StageKind
    entries: int = Field(description="Times a deal entered the stage in the period.")
    amount: Money = Field(description="The deals' amounts at those entries.")

    @staticmethod
    def resolve_entries(row: queries.StageCount) -> int:
        return row.count


class StageTimeOut(Schema):
    stage_id: int
    name: str
    count: int = Field(description="Stays in the stage that ended in the period.")
    median_days: Days | None = Field(description="In whole days per stay, rounded to 2 decimals.")
    mean_days: Days | None = Field(description="Rounded to 2 decimals.")

    @staticmethod
    def resolve_count(row: queries.StageTime) -> int:
        return row.days.count

    @staticmethod
    def resolve_median_days(row: queries.StageTime) -> Fraction | None:
        return row.days.median

    @staticmethod
    def resolve_mean_days(row: queries.StageTime) -> Fraction | None:
        return row.days.mean


class FunnelPeriodOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    cohort: CohortFunnelOut
    flow: list[FlowStageOut] = Field(description="Stage entries in the period.")
    time_in_stage: list[StageTimeOut] = Field(
        description="Per stage, the stays that ended in the period."
    )
    by_owner: list[OwnerFunnelOut] | None = Field(
        description="Each owner's cohort funnel, when by_owner was asked for."
    )


class FunnelOut(FunnelPeriodOut):
    pipeline_id: int
    compare: FunnelPeriodOut | None = Field(
        description="The same figures for the compare period, when one was given."
    )


class SpreadOut(Schema):
    count: int
    median_days: Days | None = Field(description="Rounded to 2 decimals.")
    mean_days: Days | None = Field(description="Rounded to 2 decimals.")

    @staticmethod
    def resolve_median_days(spread: queries.Spread) -> Fraction | None:
        return spread.median

    @staticmethod
    def resolve_mean_days(spread: queries.Spread) -> Fraction | None:
        return spread.mean


class OutcomesOut(Schema):
    """The deals closed in the period."""

    won: int
    lost: int
    won_amount: Money
    win_rate: Ratio | None = Field(description=f"won ÷ (won + lost), {RATIO}.")
    average_won_amount: Money | None
    sales_cycle: SpreadOut = Field(description="Days from creation to won, of the won deals.")


class OwnerOutcomesOut(OutcomesOut):
    owner_id: int
    open_deals: int = Field(description="The owner's deals open now.")
    velocity_per_day: Money | None


class VelocityPeriodOut(OutcomesOut):
    first_day: datetime.date
    last_day: datetime.date
    open_deals: int = Field(description="Deals open now (not only those of the period).")
    velocity_per_day: Money | None = Field(
        description="open_deals × average_won_amount × win_rate ÷ mean sales cycle in days."
    )
    by_owner: list[OwnerOutcomesOut] | None = Field(
        description="Each owner with deals closed in the period or open now, when by_owner was "
        "asked for."
    )


class VelocityOut(VelocityPeriodOut):
    pipeline_id: int
    compare: VelocityPeriodOut | None = Field(
        description="The same figures for the compare period, when one was given."
    )


class PlanIn(InputSchema):
    target_contracts: int | None = Field(
        None, description="Contracts to win in the period; give this or target_revenue."
    )
    target_revenue: Decimal | None = Field(
        None,
        description="Revenue to win in the period; it needs target_revenue ÷ average_deal_size "
        "contracts, rounded up.",
    )
    average_deal_size: Decimal | None = Field(
        None, description="Default: the average won amount of the last 365 days."
    )
    first_day: datetime.date = Field(description="First day of the plan's period.")
    last_day: datetime.date = Field(description="Last day, inclusive.")
    pipeline_id: int | None = Field(None, description="Default: the workspace's default pipeline.")
    rates: list[Decimal] | None = Field(
        None,
        description="Conversion to the next stage in percent (e.g. 40 or 37.5), one per open "
        "stage in pipeline order; the last is the conversion to won. Default: the cohort "
        "conversions of the last 365 days.",
    )
    rep_ids: list[int] | None = Field(
        None,
        description="Whom to plan for. Default: the caller for a rep; the active reps the "
        "caller sees for a manager or admin.",
    )
    weights: list[Decimal] | None = Field(
        None, description="Each rep's share of the target, in the order of rep_ids (e.g. 2, 1, 1)."
    )


class StageNeedOut(Schema):
    stage_id: int
    name: str
    required: int = Field(description="Deals that must enter the stage in the period.")
    conversion_to_next: Ratio = Field(description=f"The rate used, as a ratio {RATIO}.")

    @staticmethod
    def resolve_stage_id(need: StageNeed) -> int:
        return need.stage_key


class RepWeekOut(Schema):
    rep_id: int
    entering: list[int] = Field(description="Deals to enter each stage, in the order of stages.")
    won: int


class WeekOut(Schema):
    first_day: datetime.date = Field(description="A Monday, or the period's first day.")
    last_day: datetime.date = Field(description="A Sunday, or the period's last day.")
    reps: list[RepWeekOut]


class PlanOut(Schema):
    pipeline_id: int
    first_day: datetime.date
    last_day: datetime.date
    target_contracts: int = Field(description="The contracts to win (from the revenue if given).")
    average_deal_size: Money | None = Field(description="The size used for a revenue target.")
    rep_ids: list[int]
    stages: list[StageNeedOut] = Field(description="The open stages in pipeline order.")
    weeks: list[WeekOut]


@analytics.get("/funnel", response={200: FunnelOut, **READ_ERRORS})
def funnel(request: ApiRequest, params: Query[CutParams], split: Query[Split]) -> dict[str, Any]:
    """Cohort and flow funnels and time in stage; a customer cut leaves the daily figures out."""
    return funnel_report(request.auth, params, by_owner=split.by_owner)


@analytics.get("/velocity", response={200: VelocityOut, **READ_ERRORS})
def velocity(request: ApiRequest, params: Query[CutParams], split: Query[Split]) -> dict[str, Any]:
    """Win rate, deal size, sales cycle and velocity of the deals closed in the period."""
    return velocity_report(request.auth, params, by_owner=split.by_owner)


@analytics.post("/plan", response={200: PlanOut, **PLAN_ERRORS})
def plan(request: ApiRequest, payload: PlanIn) -> dict[str, Any]:
    """From a target back to the deals each stage needs, week by week and rep by rep.

    Nothing is stored: the answer is computed from the body and, for what it leaves out, from
    the last 365 days of history.
    """
    return reverse_funnel(request.auth, payload)


def funnel_report(actor: Actor, params: CutParams, *, by_owner: bool) -> dict[str, Any]:
    cut = params.cut(actor)
    compare = params.compare(actor)
    return {
        "pipeline_id": cut.pipeline_id,
        **_funnel_period(actor, cut, by_owner),
        "compare": _funnel_period(actor, compare, by_owner) if compare else None,
    }


def _funnel_period(actor: Actor, cut: queries.Cut, by_owner: bool) -> dict[str, Any]:
    return {
        "first_day": cut.first_day,
        "last_day": cut.last_day,
        "cohort": queries.cohort_funnel(actor, cut)[None],
        "flow": queries.flow_funnel(actor, cut).stages,
        "time_in_stage": queries.time_in_stage(actor, cut),
        "by_owner": _owner_funnels(actor, cut) if by_owner else None,
    }


def _owner_funnels(actor: Actor, cut: queries.Cut) -> list[dict[str, Any]]:
    funnels = queries.cohort_funnel(actor, cut, by_owner=True)
    return [
        {"owner_id": owner, "funnel": funnel}
        for owner, funnel in sorted(funnels.items(), key=lambda item: item[0] or 0)
    ]


def velocity_report(actor: Actor, params: CutParams, *, by_owner: bool) -> dict[str, Any]:
    cut = params.cut(actor)
    compare = params.compare(actor)
    return {
        "pipeline_id": cut.pipeline_id,
        **_velocity_period(actor, cut, by_owner),
        "compare": _velocity_period(actor, compare, by_owner) if compare else None,
    }


def _velocity_period(actor: Actor, cut: queries.Cut, by_owner: bool) -> dict[str, Any]:
    figures = queries.outcomes(actor, cut, by_owner=by_owner)
    return {
        **vars(figures),
        "first_day": cut.first_day,
        "last_day": cut.last_day,
        "by_owner": (
            [{**vars(figures.by_owner[o]), "owner_id": o} for o in sorted(figures.by_owner)]
            if by_owner
            else None
        ),
    }


def reverse_funnel(actor: Actor, payload: PlanIn) -> dict[str, Any]:
    """Missing rates, deal size and reps come from the actor's own history and scope."""
    _check_plan_input(payload)
    today = timezone.localdate()
    history = CutParams.model_validate(
        {
            "pipeline_id": payload.pipeline_id,
            "first_day": today - datetime.timedelta(days=HISTORY_DAYS - 1),
            "last_day": today,
        }
    ).cut(actor)
    open_stages = [
        s for s in queries.pipeline_stages(actor, history.pipeline_id) if s.kind == StageKind.OPEN
    ]
    if not open_stages:
        raise ValidationFailed.one("pipeline_id", _("A plan needs at least one open stage."))
    rates = (
        _given_rates(payload.rates, open_stages)
        if payload.rates is not None
        else _historical_rates(actor, history, open_stages)
    )
    stages = [FunnelStage(s.pk, s.name, rate) for s, rate in zip(open_stages, rates, strict=True)]
    rep_ids = _rep_ids(actor, payload.rep_ids)
    first, last, weights = payload.first_day, payload.last_day, payload.weights
    size = None
    result: Plan
    if payload.target_revenue is None:
        assert payload.target_contracts is not None
        result = plan_for_contracts(
            stages,
            payload.target_contracts,
            first_day=first,
            last_day=last,
            rep_ids=rep_ids,
            weights=weights,
        )
    else:
        size = payload.average_deal_size
        if size is None:
            size = _average_won(actor, history)
        result = plan_for_revenue(
            stages,
            payload.target_revenue,
            size,
            first_day=first,
            last_day=last,
            rep_ids=rep_ids,
            weights=weights,
        )
    return {
        "pipeline_id": history.pipeline_id,
        "first_day": payload.first_day,
        "last_day": payload.last_day,
        "average_deal_size": size,
        **vars(result),
    }


def _check_plan_input(payload: PlanIn) -> None:
    """One target; money as precise as a deal's amount; a period as long as any analytics one."""
    errors: list[FieldError] = []
    for name in ("target_revenue", "average_deal_size"):
        try:
            if (amount := getattr(payload, name)) is not None:
                MONEY(amount)
        except DjangoValidationError as invalid:
            errors.extend(FieldError(name, message) for message in invalid.messages)
    given = [payload.target_contracts is not None, payload.target_revenue is not None]
    if all(given):
        message = _("Give either a target number of contracts or a target revenue, not both.")
        errors += [FieldError("target_contracts", message), FieldError("target_revenue", message)]
    elif not any(given):
        message = _("Give a target number of contracts or a target revenue.")
        errors += [FieldError("target_contracts", message), FieldError("target_revenue", message)]
    if (payload.last_day - payload.first_day).days >= LONGEST_PERIOD_DAYS:
        errors.append(FieldError("last_day", _("A period may be at most three years long.")))
    if errors:
        raise ValidationFailed(errors)


def _given_rates(percents: list[Decimal], open_stages: list[Stage]) -> list[Fraction]:
    if len(percents) != len(open_stages):
        raise ValidationFailed.one(
            "rates",
            _("Give one rate per open stage of the pipeline: %(count)s.")
            % {"count": len(open_stages)},
        )
    errors = [
        FieldError(f"rates.{i}", _("Enter a percentage above 0 and at most 100."))
        for i, percent in enumerate(percents)
        if not 0 < percent <= 100
    ]
    if errors:
        raise ValidationFailed(errors)
    return [rate_from_percent(percent) for percent in percents]


def _historical_rates(
    actor: Actor, history: queries.Cut, open_stages: list[Stage]
) -> tuple[Fraction, ...]:
    """The cohort's conversions; a stage nobody reached or left has no rate to offer."""
    cohort = queries.cohort_funnel(actor, history)[None]
    reached = {row.stage_id: row.count for row in cohort.stages}
    counts = [reached.get(s.pk, 0) for s in open_stages] + [cohort.won]
    if not all(counts):
        raise ValidationFailed.one(
            "rates",
            _(
                "The deals of the last 365 days do not give every stage a conversion rate: "
                "enter the rates."
            ),
        )
    return rates_from_counts(counts)


def _average_won(actor: Actor, history: queries.Cut) -> Decimal:
    size = queries.outcomes(actor, history).average_won_amount
    if size is None:
        raise ValidationFailed.one(
            "average_deal_size",
            _("No deal was won in the last 365 days: enter the average deal size."),
        )
    return size


def _rep_ids(actor: Actor, rep_ids: list[int] | None) -> list[int]:
    """A plan shares the target among members whose deals the actor sees."""
    owners = assignable_owners(actor)
    if rep_ids is None:
        if actor.role == Role.REP:
            return [actor.user_id]
        reps = owners.filter(
            memberships__workspace_id=actor.workspace_id, memberships__role=Role.REP
        )
        return list(reps.values_list("pk", flat=True))
    allowed = set(owners.values_list("pk", flat=True))
    errors = [
        FieldError(f"rep_ids.{i}", _("Choose an active member whose deals you see."))
        for i, rep_id in enumerate(rep_ids)
        if rep_id not in allowed
    ]
    if errors:
        raise ValidationFailed(errors)
    return rep_ids
