"""The analytics pages: funnel, trend, outcomes and the reverse-funnel planner.

Each view parses its GET parameters, asks the analytics queries (which scope every figure to
the actor) and builds its tables once; the same tables are rendered on the page and, with
`?format=csv|xlsx&table=<name>`, downloaded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpResponse, QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from salesflow.analytics import exports, planner, queries
from salesflow.analytics.cuts import CutParams
from salesflow.analytics.exports import Column, Table
from salesflow.analytics.forms import AnalyticsFilterForm, PlanDefaults, PlanForm
from salesflow.analytics.queries import Cut, Funnel
from salesflow.core.errors import NotFound, ValidationFailed
from salesflow.core.scoping import Actor
from salesflow.customers.queries import assignable_owners
from salesflow.pipeline.models import StageKind
from salesflow.web.pages import PageRequest, fragment_or_page, page

TREND_PERIODS = 12
HISTORY_DAYS = 365
PLAN_DAYS = 12 * 7


@dataclass(frozen=True)
class Filtered:
    """The filter form of a page and the Cuts it resolved to."""

    form: AnalyticsFilterForm
    cut: Cut
    compare: Cut | None
    period: str
    compare_period: str

    def context(self) -> dict[str, Any]:
        query = self.form.query()
        return {
            "form": self.form,
            "query": query,
            "filter_query": query,
            "period": self.period,
            "compare_period": self.compare_period,
        }


def _filtered(request: PageRequest, page_name: str) -> Filtered:
    form = AnalyticsFilterForm(request.actor, request.GET, page=page_name)
    cut, compare = form.resolve(request.actor)
    return Filtered(form, cut, compare, period_label(cut), period_label(compare) if compare else "")


def _respond(
    request: PageRequest,
    name: str,
    tables: dict[str, Table],
    context: dict[str, Any],
    *,
    period: str,
    invalid: bool,
) -> HttpResponse:
    """A download when `format` and `table` ask for one; else the page, 422 if input was refused.

    A filter change (HTMX) gets the figures and, out of band, the field errors and the tabs'
    links: the inputs themselves are left alone, so nobody's typing is interrupted.
    """
    file_format = request.GET.get("format")
    if file_format:
        table = tables.get(request.GET.get("table", ""))
        if file_format not in exports.FORMATS or table is None:
            raise NotFound()
        return table.export(file_format, f"salesflow-{name}-{table.name}-{period}")
    context = {**context, "tables": tables, "results": f"analytics/_{name}.html"}
    response = fragment_or_page(request, "analytics/_swap.html", f"analytics/{name}.html", context)
    if invalid:
        response.status_code = 422
    return response


def period_label(cut: Cut) -> str:
    first = formats.date_format(cut.first_day, "SHORT_DATE_FORMAT")
    last = formats.date_format(cut.last_day, "SHORT_DATE_FORMAT")
    return f"{first} – {last}"


def _file_period(cut: Cut) -> str:
    return f"{cut.first_day:%Y%m%d}-{cut.last_day:%Y%m%d}"


def _owner_names(ids: Any) -> dict[int, str]:
    return {user.pk: _name(user) for user in User.objects.filter(pk__in=list(ids))}


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _change(now: Fraction | None, before: Fraction | None) -> Fraction | None:
    return None if now is None or before is None else now - before


# The funnel


@page()
def funnel_page(request: PageRequest) -> HttpResponse:
    actor, currency = request.actor, request.actor.workspace.base_currency
    filtered = _filtered(request, "funnel")
    cut, compare = filtered.cut, filtered.compare
    cohort = queries.cohort_funnel(actor, cut)[None]
    before = queries.cohort_funnel(actor, compare)[None] if compare else None
    tables = {
        "cohort": cohort_table(cohort, _stage_times(actor, cut), currency),
        "flow": flow_table(actor, cut, currency),
        "owners": owners_funnel_table(queries.cohort_funnel(actor, cut, by_owner=True), cohort),
    }
    if before is not None:
        tables["compare"] = compare_funnel_table(cohort, before)
    chart = {
        "series": [_funnel_series(cohort, filtered.period)]
        + ([_funnel_series(before, filtered.compare_period)] if before else []),
        "deals": _("Deals"),
    }
    headline = [
        (
            _("Deals created"),
            exports.count(cohort.deals),
            exports.count(before.deals) if before else None,
        ),
        (_("Won"), exports.count(cohort.won), exports.count(before.won) if before else None),
        (
            _("Overall conversion"),
            exports.percent(cohort.overall_conversion),
            exports.percent(before.overall_conversion) if before else None,
        ),
    ]
    context = {**filtered.context(), "funnel": cohort, "headline": headline, "chart": chart}
    return _respond(
        request,
        "funnel",
        tables,
        context,
        period=_file_period(cut),
        invalid=bool(filtered.form.errors),
    )


def _funnel_series(funnel: Funnel, label: str) -> dict[str, Any]:
    """The open stages and the first won stage: the later won stages follow up on won deals."""
    shown = []
    for stage in funnel.stages:
        shown.append({"name": stage.name, "value": stage.count, "won": stage.kind == StageKind.WON})
        if stage.kind == StageKind.WON:
            break
    return {"name": label, "data": shown}


def _stage_times(actor: Actor, cut: Cut) -> dict[int, queries.Spread]:
    return {t.stage_id: t.days for t in queries.time_in_stage(actor, cut)}


def cohort_table(funnel: Funnel, times: dict[int, queries.Spread], currency: str) -> Table:
    table = Table(
        "cohort",
        _("Cohort funnel: deals created in the period"),
        [
            Column(_("Stage")),
            Column(_("Reached")),
            Column(_("Amount"), currency),
            Column(_("Conversion to next"), "%"),
            Column(_("Drop-off")),
            Column(_("Median days in stage")),
            Column(_("Mean days in stage")),
        ],
    )
    last = len(funnel.stages) - 1
    for index, row in enumerate(funnel.stages):
        spread = times.get(row.stage_id)
        table.rows.append(
            [
                exports.text(row.name),
                exports.count(row.count),
                exports.money(row.amount, currency),
                exports.percent(row.conversion_to_next),
                exports.count(row.drop_off if index < last else None),
                exports.days(spread.median if spread else None),
                exports.days(spread.mean if spread else None),
            ]
        )
    return table


def flow_table(actor: Actor, cut: Cut, currency: str) -> Table:
    table = Table(
        "flow",
        _("Flow funnel: stage entries in the period"),
        [Column(_("Stage")), Column(_("Entries")), Column(_("Amount entered"), currency)],
    )
    for row in queries.flow_funnel(actor, cut).stages:
        table.rows.append(
            [exports.text(row.name), exports.count(row.count), exports.money(row.amount, currency)]
        )
    return table


def compare_funnel_table(funnel: Funnel, before: Funnel) -> Table:
    table = Table(
        "compare",
        _("Compared with the other period"),
        [
            Column(_("Stage")),
            Column(_("Reached")),
            Column(_("Reached before")),
            Column(_("Change")),
            Column(_("Conversion to next"), "%"),
            Column(_("Conversion before"), "%"),
            Column(_("Change (points)")),
        ],
    )
    earlier = {row.stage_id: row for row in before.stages}
    for row in funnel.stages:
        old = earlier.get(row.stage_id)
        old_count = old.count if old else 0
        old_rate = old.conversion_to_next if old else None
        table.rows.append(
            [
                exports.text(row.name),
                exports.count(row.count),
                exports.count(old_count),
                exports.signed_count(row.count - old_count),
                exports.percent(row.conversion_to_next),
                exports.percent(old_rate),
                exports.points(_change(row.conversion_to_next, old_rate)),
            ]
        )
    return table


def owners_funnel_table(by_owner: dict[int | None, Funnel], overall: Funnel) -> Table:
    stages = list(overall.stages)
    table = Table(
        "owners",
        _("Cohort funnel by owner"),
        [
            Column(_("Owner")),
            *(Column(row.name) for row in stages),
            Column(_("Overall conversion"), "%"),
        ],
    )
    names = _owner_names(owner for owner in by_owner if owner is not None)
    for owner, funnel in sorted(by_owner.items(), key=lambda item: names.get(item[0] or 0, "")):
        counts = {row.stage_id: row.count for row in funnel.stages}
        table.rows.append(
            [
                exports.text(names.get(owner or 0, "")),
                *(exports.count(counts.get(row.stage_id, 0)) for row in stages),
                exports.percent(funnel.overall_conversion),
            ]
        )
    return table


# The trend


def trend_periods(
    last_day: datetime.date, grain: str
) -> list[tuple[str, datetime.date, datetime.date]]:
    """The last 12 calendar months (or quarters) up to the one holding `last_day`, oldest first."""
    step = 3 if grain == "quarter" else 1
    month = (last_day.month - 1) // step * step + 1
    index = last_day.year * 12 + month - 1
    periods = []
    for back in range(TREND_PERIODS - 1, -1, -1):
        start = index - back * step
        first = datetime.date(start // 12, start % 12 + 1, 1)
        end = start + step
        last = datetime.date(end // 12, end % 12 + 1, 1) - datetime.timedelta(days=1)
        if step == 3:
            label = _("%(year)s Q%(quarter)s") % {
                "year": first.year,
                "quarter": (first.month - 1) // 3 + 1,
            }
        else:
            label = formats.date_format(first, "YEAR_MONTH_FORMAT")
        periods.append((label, first, last))
    return periods


@page()
def trend_page(request: PageRequest) -> HttpResponse:
    actor, currency = request.actor, request.actor.workspace.base_currency
    filtered = _filtered(request, "trend")
    periods = trend_periods(filtered.cut.last_day, filtered.form.chosen_grain)
    table = Table(
        "trend",
        _("Trend by period"),
        [
            Column(_("Period")),
            Column(_("Deals created")),
            Column(_("Overall conversion"), "%"),
            Column(_("Won")),
            Column(_("Won amount"), currency),
            Column(_("Win rate"), "%"),
            Column(_("Median sales cycle (days)")),
        ],
    )
    for label, first, last in periods:
        cut = replace(filtered.cut, first_day=first, last_day=last)
        cohort = queries.cohort_funnel(actor, cut)[None]
        closed = queries.outcomes(actor, cut)
        table.rows.append(
            [
                exports.text(label),
                exports.count(cohort.deals),
                exports.percent(cohort.overall_conversion),
                exports.count(closed.won),
                exports.money(closed.won_amount, currency),
                exports.percent(closed.win_rate),
                exports.days(closed.sales_cycle.median),
            ]
        )
    chart = {
        "labels": [row[0].text for row in table.rows],
        "bars": [
            {"name": _("Deals created"), "data": [row[1].value for row in table.rows]},
            {"name": _("Won"), "data": [row[3].value for row in table.rows]},
        ],
        "lines": [
            {"name": _("Win rate"), "data": [_number(row[5].value) for row in table.rows]},
            {
                "name": _("Overall conversion"),
                "data": [_number(row[2].value) for row in table.rows],
            },
        ],
        "count": _("Deals"),
        "percent": _("Percent"),
    }
    first_day, last_day = periods[0][1], periods[-1][2]
    context = {
        **filtered.context(),
        "chart": chart,
        "span": period_label(replace(filtered.cut, first_day=first_day, last_day=last_day)),
    }
    return _respond(
        request,
        "trend",
        {"trend": table},
        context,
        period=f"{first_day:%Y%m%d}-{last_day:%Y%m%d}",
        invalid=bool(filtered.form.errors),
    )


def _number(value: Any) -> float | None:
    """Chart data goes through JSON, which has no Decimal."""
    return None if value is None else float(value)


# Outcomes


@page()
def outcomes_page(request: PageRequest) -> HttpResponse:
    actor, currency = request.actor, request.actor.workspace.base_currency
    filtered = _filtered(request, "outcomes")
    now = queries.outcomes(actor, filtered.cut, by_owner=True)
    before = queries.outcomes(actor, filtered.compare) if filtered.compare else None
    summary = outcomes_summary_table(
        now, before, filtered.period, filtered.compare_period, currency
    )
    shown = summary.rows[0]
    earlier = summary.rows[1] if before else None
    headline = [
        (label, shown[index], earlier[index] if earlier else None)
        for label, index in (
            (_("Win rate"), 3),
            (_("Average won deal size"), 5),
            (_("Median sales cycle (days)"), 6),
            (_("Open deals"), 8),
            (_("Sales velocity per day"), 9),
        )
    ]
    context = {**filtered.context(), "headline": headline}
    tables = {"summary": summary, "owners": outcomes_owner_table(now, currency)}
    return _respond(
        request,
        "outcomes",
        tables,
        context,
        period=_file_period(filtered.cut),
        invalid=bool(filtered.form.errors),
    )


def _outcome_columns(currency: str, first: str) -> list[Column]:
    return [
        Column(first),
        Column(_("Won")),
        Column(_("Lost")),
        Column(_("Win rate"), "%"),
        Column(_("Won amount"), currency),
        Column(_("Average won deal size"), currency),
        Column(_("Median sales cycle (days)")),
        Column(_("Mean sales cycle (days)")),
    ]


def _outcome_cells(figures: queries.Outcomes, currency: str) -> list[exports.Cell]:
    return [
        exports.count(figures.won),
        exports.count(figures.lost),
        exports.percent(figures.win_rate),
        exports.money(figures.won_amount, currency),
        exports.money(figures.average_won_amount, currency),
        exports.days(figures.sales_cycle.median),
        exports.days(figures.sales_cycle.mean),
    ]


def outcomes_summary_table(
    now: queries.Outcomes,
    before: queries.Outcomes | None,
    period: str,
    compare_period: str,
    currency: str,
) -> Table:
    table = Table(
        "summary",
        _("Deals closed in the period"),
        [
            *_outcome_columns(currency, _("Period")),
            Column(_("Open deals")),
            Column(_("Sales velocity per day"), currency),
        ],
    )
    table.rows.append(
        [
            exports.text(period),
            *_outcome_cells(now, currency),
            exports.count(now.open_deals),
            exports.money(now.velocity_per_day, currency),
        ]
    )
    if before is not None:
        table.rows.append(
            [
                exports.text(compare_period),
                *_outcome_cells(before, currency),
                exports.count(before.open_deals),
                exports.money(before.velocity_per_day, currency),
            ]
        )
        table.rows.append(_outcome_changes(now, before, currency))
    return table


def _outcome_changes(
    now: queries.Outcomes, before: queries.Outcomes, currency: str
) -> list[exports.Cell]:
    def minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
        return None if a is None or b is None else a - b

    return [
        exports.text(_("Change")),
        exports.signed_count(now.won - before.won),
        exports.signed_count(now.lost - before.lost),
        exports.points(_change(now.win_rate, before.win_rate)),
        exports.signed_money(now.won_amount - before.won_amount, currency),
        exports.signed_money(minus(now.average_won_amount, before.average_won_amount), currency),
        exports.signed_days(_change(now.sales_cycle.median, before.sales_cycle.median)),
        exports.signed_days(_change(now.sales_cycle.mean, before.sales_cycle.mean)),
        exports.signed_count(now.open_deals - before.open_deals),
        exports.signed_money(minus(now.velocity_per_day, before.velocity_per_day), currency),
    ]


def outcomes_owner_table(figures: queries.Outcomes, currency: str) -> Table:
    columns = [
        *_outcome_columns(currency, _("Owner")),
        Column(_("Open deals")),
        Column(_("Sales velocity per day"), currency),
    ]
    table = Table("owners", _("By owner"), columns)
    names = _owner_names(figures.by_owner)
    for owner, own in sorted(figures.by_owner.items(), key=lambda item: names.get(item[0], "")):
        table.rows.append(
            [
                exports.text(names.get(owner, "")),
                *_outcome_cells(own, currency),
                exports.count(own.open_deals),
                exports.money(own.velocity_per_day, currency),
            ]
        )
    return table


# The planner


def plan_defaults(actor: Actor, data: QueryDict) -> PlanDefaults:
    """The chosen pipeline's open stages, with last year's cohort conversions as rates and
    last year's average won deal as the deal size."""
    today = timezone.localdate()
    try:
        pipeline_id = int(data.get("pipeline", ""))
    except ValueError:
        pipeline_id = None
    history = CutParams.model_validate(
        {
            "pipeline_id": pipeline_id,
            "first_day": today - datetime.timedelta(days=HISTORY_DAYS - 1),
            "last_day": today,
        }
    ).cut(actor)
    funnel = queries.cohort_funnel(actor, history)[None]
    average = queries.outcomes(actor, history).average_won_amount
    stages = [
        s for s in queries.pipeline_stages(actor, history.pipeline_id) if s.kind == StageKind.OPEN
    ]
    rates = {
        row.stage_id: _percent(row.conversion_to_next)
        for row in funnel.stages
        if row.kind == StageKind.OPEN
    }
    return PlanDefaults(
        pipeline_id=history.pipeline_id,
        stages=stages,
        rates=rates,
        average_deal_size=average.quantize(exports.CENTS) if average is not None else None,
        first_day=today,
        last_day=today + datetime.timedelta(days=PLAN_DAYS - 1),
        reps=assignable_owners(actor),
    )


def _percent(rate: Fraction | None) -> Decimal | None:
    if rate is None:
        return None
    value = rate * 100
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(exports.CENTS)


@page()
def plan_page(request: PageRequest) -> HttpResponse:
    actor = request.actor
    defaults = plan_defaults(actor, request.GET)
    submitted = PlanForm.submitted(request.GET)
    form = PlanForm(actor, request.GET if submitted else None, defaults)
    plan = make_plan(form) if submitted and form.is_valid() else None
    tables = plan_tables(form, plan) if plan else {}
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    context = {"form": form, "plan": plan, "query": query.urlencode()}
    period = f"{defaults.first_day:%Y%m%d}-{defaults.last_day:%Y%m%d}"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        period = f"{data['first_day']:%Y%m%d}-{data['last_day']:%Y%m%d}"
    return _respond(request, "plan", tables, context, period=period, invalid=submitted and not plan)


def make_plan(form: PlanForm) -> planner.Plan | None:
    """The plan, or None with the planner's objections filed next to the fields they name."""
    data = form.cleaned_data
    stages = [
        planner.FunnelStage(s.pk, s.name, planner.rate_from_percent(form.rate_percent(s.pk)))
        for s in form.stages
    ]
    period = {
        "first_day": data["first_day"],
        "last_day": data["last_day"],
        "rep_ids": [user.pk for user in data["reps"]],
    }
    try:
        if data["target_contracts"] is not None:
            return planner.plan_for_contracts(stages, data["target_contracts"], **period)
        return planner.plan_for_revenue(
            stages, data["target_revenue"], data["average_deal_size"], **period
        )
    except ValidationFailed as failed:
        form.add_errors(failed.errors)
        return None


def plan_tables(form: PlanForm, plan: planner.Plan) -> dict[str, Table]:
    needs = Table(
        "needs",
        _("Deals each stage needs"),
        [Column(_("Stage")), Column(_("Conversion to next"), "%"), Column(_("Deals needed"))],
    )
    for need in plan.stages:
        needs.rows.append(
            [
                exports.text(need.name),
                exports.percent(need.conversion_to_next),
                exports.count(need.required),
            ]
        )
    needs.rows.append(
        [
            exports.text(_("Won (target)")),
            exports.percent(None),
            exports.count(plan.target_contracts),
        ]
    )
    names = {user.pk: _name(user) for user in form.cleaned_data["reps"]}
    weekly = Table(
        "weekly",
        _("Weekly plan per rep: deals to bring into each stage"),
        [
            Column(_("Week from")),
            Column(_("Week to")),
            Column(_("Rep")),
            *(Column(need.name) for need in plan.stages),
            Column(_("Won")),
        ],
        grouped=True,
    )
    for week in plan.weeks:
        for rep in sorted(week.reps, key=lambda r: names.get(r.rep_id, "")):
            weekly.rows.append(
                [
                    exports.date(week.first_day),
                    exports.date(week.last_day),
                    exports.text(names.get(rep.rep_id, "")),
                    *(exports.count(n) for n in rep.entering),
                    exports.count(rep.won),
                ]
            )
    return {"needs": needs, "weekly": weekly}
