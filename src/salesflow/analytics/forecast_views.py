"""The forecast and bottlenecks pages of the analytics section.

As on the other analytics pages (views.py), each view parses the shared filters, asks the
forecast and bottleneck functions (which scope every figure to the actor) and builds its tables
once: the page shows them and, with `?format=csv|xlsx&table=<name>`, they are downloaded.

A manager's adjustment is posted to `forecast_adjust` with the page's filters in its query
string, so it lands on exactly the roll-up (pipeline, period, team) the page shows; the body
carries the category, the amount (empty withdraws) and the note.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from babel.numbers import format_percent
from django import forms
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesflow.analytics import exports, forecast, montecarlo
from salesflow.analytics.bottlenecks import Bottleneck, Thresholds, baseline_cut, bottlenecks
from salesflow.analytics.cuts import DEFAULT_DAYS, CutParams
from salesflow.analytics.exports import Cell, Column, Table
from salesflow.analytics.forms import AnalyticsFilterForm
from salesflow.analytics.queries import Cut
from salesflow.analytics.services import adjust_forecast
from salesflow.analytics.views import _file_period, _owner_names, period_label
from salesflow.core.errors import NotFound, ValidationFailed
from salesflow.core.models import Role
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.core.scoping import Actor, require_manager
from salesflow.pipeline.models import ForecastCategory
from salesflow.web.pages import PageRequest, fragment_or_page, page
from salesflow.web.templatetags.salesflow import babel_locale

# When a bottleneck is worth a flag. Taken from code only (never from the request); tests
# replace it to flag a small history.
THRESHOLDS = Thresholds()
# The page shows one stable simulation: the same seed gives the same figures on every load.
SIMULATION_RUNS = montecarlo.DEFAULT_RUNS
SIMULATION_SEED = 1
PERIOD_FIELDS = ("first_day", "last_day")
# Neither page groups by month or compares with a chosen period: the forecast looks ahead,
# and a bottleneck is measured against its own baseline (the four periods before).
LEFT_OUT = ("grain", "compare_first_day", "compare_last_day")


def end_of_next_quarter(day: datetime.date) -> datetime.date:
    """The last day of the quarter after the one holding `day`."""
    first_month = (day.month - 1) // 3 * 3  # 0-based month the quarter starts in
    index = day.year * 12 + first_month + 6  # the quarter after next starts here
    return datetime.date(index // 12, index % 12 + 1, 1) - datetime.timedelta(days=1)


class ForecastParams(CutParams):
    """The shared filter parameters with a period that looks ahead: by default from today to
    the end of the next quarter."""

    def cut(self, actor: Actor) -> Cut:
        today = timezone.localdate()
        last = self.last_day or end_of_next_quarter(self.first_day or today)
        first = self.first_day or (
            today if last >= today else last - datetime.timedelta(days=DEFAULT_DAYS - 1)
        )
        return self._cut(actor, first, last, "first_day")


class PeriodFilterForm(AnalyticsFilterForm):
    """The analytics filters without grouping and compare period; `ahead` gives the forecast's
    default period instead of the last 90 days."""

    def __init__(self, actor: Actor, data: QueryDict, *, ahead: bool) -> None:
        self.ahead = ahead
        super().__init__(actor, data, page="funnel")
        for name in LEFT_OUT:
            self.fields.pop(name, None)
        self.full_clean()

    def params(self) -> CutParams:
        params = super().params()
        return ForecastParams(**params.model_dump()) if self.ahead else params


@dataclass(frozen=True)
class Looked:
    """The filter form of a page, the Cut it resolved to and the query strings of its links."""

    form: PeriodFilterForm
    cut: Cut

    @property
    def query(self) -> str:
        return self.form.query()

    def context(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "query": self.query,
            "filter_query": self.query,
            "period": period_label(self.cut),
        }


def _looked(request: PageRequest, *, ahead: bool) -> Looked:
    form = PeriodFilterForm(request.actor, request.GET, ahead=ahead)
    cut, _compare = form.resolve(request.actor)
    return Looked(form, cut)


def _without_period(query: str) -> str:
    """The filters other pages should keep: they have a period of their own."""
    kept = QueryDict(query, mutable=True)
    for name in PERIOD_FIELDS:
        kept.pop(name, None)
    return kept.urlencode()


def _respond(
    request: PageRequest,
    name: str,
    results: str,
    tables: dict[str, Table],
    context: dict[str, Any],
    *,
    period: str,
    invalid: bool,
) -> HttpResponse:
    """A download when `format` and `table` ask for one; else the page (or, for a filter
    change, its figures), 422 when a filter was refused. As views._respond does."""
    file_format = request.GET.get("format")
    if file_format:
        table = tables.get(request.GET.get("table", ""))
        if file_format not in exports.FORMATS or table is None:
            raise NotFound()
        return table.export(file_format, f"salesflow-{name}-{table.name}-{period}")
    context = {**context, "tables": tables, "results": results}
    response = fragment_or_page(request, "analytics/_swap.html", f"analytics/{name}.html", context)
    if invalid:
        response.status_code = 422
    return response


# The forecast


def can_adjust(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER)


def category_label(category: str) -> str:
    return str(ForecastCategory(category).label)


class AdjustForm(forms.Form):
    """A manager's own figure for one category; an empty amount withdraws it."""

    category = forms.ChoiceField(choices=ForecastCategory.choices, widget=forms.HiddenInput)
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=MAX_DIGITS + 6,
        decimal_places=DECIMAL_PLACES,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "class": "num"}),
    )
    note = forms.CharField(required=False, max_length=2000)

    def __init__(
        self,
        category: str,
        data: QueryDict | None = None,
        line: forecast.CategoryLine | None = None,
    ) -> None:
        initial: dict[str, Any] = {"category": category}
        if line is not None and line.adjusted is not None:
            initial.update(amount=line.adjusted, note=line.adjustment_note)
        super().__init__(data, initial=initial, auto_id=f"id_{category}_%s")
        name = category_label(category)
        self.fields["amount"].label = _("Adjusted amount for “%(category)s”") % {"category": name}
        self.fields["note"].label = _("Note for “%(category)s”") % {"category": name}
        self.fields["note"].widget.attrs["placeholder"] = _("Note")

    def add_errors(self, failed: ValidationFailed) -> None:
        """The service's objections: amount and note next to their field, the rest above."""
        for error in failed.errors:
            name = error.field if error.field in ("amount", "note") else None
            self.add_error(name, str(error.message))


@dataclass
class CategoryRow:
    """One row of the categories table as the page shows it, with its adjust form."""

    cells: list[Cell]
    category: str = ""
    form: AdjustForm | None = None


@dataclass
class Categories:
    table: Table
    rows: list[CategoryRow] = field(default_factory=list)
    adjustable: bool = False

    @property
    def columns(self) -> list[Column]:
        """The columns the page shows: a manager's note is in their form, not a column."""
        return self.table.columns[:-1] if self.adjustable else self.table.columns


def _difference(adjusted: Decimal | None, weighted: Decimal) -> Decimal | None:
    return None if adjusted is None else adjusted - weighted


def categories(
    actor: Actor, rolled: forecast.WeightedForecast, bound: AdjustForm | None = None
) -> Categories:
    """The roll-up by category and in total; for a manager or an admin their adjusted figure,
    the difference and the note, with a form per category."""
    currency = actor.workspace.base_currency
    adjustable = can_adjust(actor)
    columns = [
        Column(_("Forecast category")),
        Column(_("Deals")),
        Column(_("Amount"), currency),
        Column(_("Weighted amount"), currency),
    ]
    if adjustable:
        columns += [
            Column(_("Adjusted"), currency),
            Column(_("Difference"), currency),
            Column(_("Note")),
        ]
    table = Table("categories", _("Weighted forecast by category"), columns)
    result = Categories(table, adjustable=adjustable)
    for line in rolled.lines:
        cells = [
            exports.text(category_label(line.category)),
            exports.count(line.deals),
            exports.money(line.amount, currency),
            exports.money(line.weighted, currency),
        ]
        form = None
        if adjustable:
            adjusted = [
                exports.money(line.adjusted, currency),
                exports.signed_money(_difference(line.adjusted, line.weighted), currency),
            ]
            cells += adjusted
            table.rows.append([*cells, exports.text(line.adjustment_note)])
            same = bound is not None and bound.initial["category"] == line.category
            form = bound if same else AdjustForm(line.category, line=line)
        else:
            table.rows.append(cells)
        result.rows.append(CategoryRow(cells, line.category, form))
    total = [
        exports.text(_("Total")),
        exports.count(rolled.deals),
        exports.money(rolled.amount, currency),
        exports.money(rolled.weighted, currency),
    ]
    if adjustable:
        figures = [
            line.weighted if line.adjusted is None else line.adjusted for line in rolled.lines
        ]
        chosen = any(line.adjusted is not None for line in rolled.lines)
        adjusted_total = sum(figures, Decimal(0)) if chosen else None
        total += [
            exports.money(adjusted_total, currency),
            exports.signed_money(_difference(adjusted_total, rolled.weighted), currency),
        ]
        table.rows.append([*total, exports.text("")])
    else:
        table.rows.append(total)
    result.rows.append(CategoryRow(total))
    return result


def owners_table(rolled: forecast.WeightedForecast, currency: str) -> Table:
    table = Table(
        "owners",
        _("Weighted forecast by owner"),
        [
            Column(_("Owner")),
            Column(_("Deals")),
            Column(_("Amount"), currency),
            *(Column(category_label(c), currency) for c in ForecastCategory.values),
            Column(_("Weighted amount"), currency),
        ],
    )
    names = _owner_names(rolled.by_owner)
    for owner, lines in sorted(rolled.by_owner.items(), key=lambda item: names.get(item[0], "")):
        weighted = {line.category: line.weighted for line in lines}
        table.rows.append(
            [
                exports.text(names.get(owner, "")),
                exports.count(sum(line.deals for line in lines)),
                exports.money(sum((line.amount for line in lines), Decimal(0)), currency),
                *(exports.money(weighted[c], currency) for c in ForecastCategory.values),
                exports.money(sum(weighted.values(), Decimal(0)), currency),
            ]
        )
    return table


def simulation_table(
    simulated: forecast.MonteCarloForecast, monthly: list[Decimal], currency: str
) -> Table:
    table = Table(
        "simulation",
        _("Won amount per month: Monte Carlo simulation"),
        [
            Column(_("Month")),
            Column(_("P10"), currency),
            Column(_("P50 (median)"), currency),
            Column(_("P90"), currency),
            Column(_("Mean"), currency),
            Column(_("Weighted amount"), currency),
        ],
    )
    result = simulated.forecast
    if result is None:
        table.note = _("The whole period lies in the past: there is nothing left to simulate.")
        return table

    def cells(label: str, won: montecarlo.Spread, weighted: Decimal) -> list[Cell]:
        return [
            exports.text(label),
            exports.money(won.p10, currency),
            exports.money(won.p50, currency),
            exports.money(won.p90, currency),
            exports.money(won.mean, currency),
            exports.money(weighted, currency),
        ]

    for (first, _last), period, weighted in zip(
        simulated.months, result.periods, monthly, strict=True
    ):
        table.rows.append(cells(month_label(first), period.won, weighted))
    if len(simulated.months) > 1:
        table.rows.append(cells(_("Whole period"), result.total, sum(monthly, Decimal(0))))
    return table


def month_label(first: datetime.date) -> str:
    return formats.date_format(first, "YEAR_MONTH_FORMAT")


def learned_table(learned: list[forecast.LearnedProbability]) -> Table:
    table = Table(
        "learned",
        _("Learned probability beside the configured one"),
        [
            Column(_("Stage")),
            Column(_("Configured probability"), "%"),
            Column(_("Learned probability"), "%"),
            Column(_("Closed deals")),
        ],
    )
    for stage in learned:
        table.rows.append(
            [
                exports.text(stage.name),
                exports.percent(Fraction(stage.configured, 100)),
                exports.percent(stage.learned),
                exports.count(stage.closed_deals),
            ]
        )
    return table


def simulation_chart(
    simulated: forecast.MonteCarloForecast, monthly: list[Decimal], currency: str
) -> dict[str, Any] | None:
    result = simulated.forecast
    if result is None or not simulated.deals:
        return None

    def numbers(values: list[Decimal]) -> list[float]:
        return [float(value) for value in values]

    return {
        "labels": [month_label(first) for first, _last in simulated.months],
        "p10": numbers([p.won.p10 for p in result.periods]),
        "p50": numbers([p.won.p50 for p in result.periods]),
        "p90": numbers([p.won.p90 for p in result.periods]),
        "weighted": numbers(monthly),
        "currency": currency,
        "names": {
            "band": _("P10 to P90"),
            "p10": _("P10"),
            "p50": _("P50 (median)"),
            "p90": _("P90"),
            "weighted": _("Weighted amount"),
        },
    }


def _categories_context(
    request: PageRequest, looked: Looked, bound: AdjustForm | None = None
) -> dict[str, Any]:
    actor = request.actor
    team = looked.form.value("team")
    rolled = forecast.rollup(actor, looked.cut, team.pk if team else None)
    query = looked.query
    return {
        "rolled": rolled,
        "categories": categories(actor, rolled, bound),
        "query": query,
        "adjust_url": f"{reverse('analytics:forecast_adjust')}?{query}",
        "cut_beyond_rollup": bool(looked.cut.owner_id or looked.cut.customer_cuts()),
    }


def _aggregate_note(result: montecarlo.Forecast | None) -> dict[str, str]:
    """How many deals the simulation drew in aggregate, and its estimated error in points."""
    if result is None or not result.aggregated:
        return {}
    return {
        "aggregated": exports.count(result.aggregated).text,
        # at least the second decimal's 1, so that a tiny estimate never reads "0.00"
        "aggregate_error": formats.number_format(
            max(result.aggregate_error * 100, 0.01), decimal_pos=2, use_l10n=True
        ),
    }


def _forecast_page(
    request: PageRequest, looked: Looked, bound: AdjustForm | None = None, *, status: int = 200
) -> HttpResponse:
    actor, cut = request.actor, looked.cut
    currency = actor.workspace.base_currency
    today = timezone.localdate()
    parts = _categories_context(request, looked, bound)
    rolled: forecast.WeightedForecast = parts["rolled"]
    simulated = forecast.monte_carlo_forecast(
        actor, cut, runs=SIMULATION_RUNS, seed=SIMULATION_SEED
    )
    monthly = [
        forecast.weighted_forecast(actor, replace(cut, first_day=first, last_day=last)).weighted
        for first, last in simulated.months
    ]
    tables = {
        "categories": parts["categories"].table,
        "owners": owners_table(rolled, currency),
        "simulation": simulation_table(simulated, monthly, currency),
        "learned": learned_table(forecast.learned_probabilities(actor, cut)),
    }
    median = simulated.forecast.total.p50 if simulated.forecast else None
    headline = [
        (_("Open deals closing in the period"), exports.count(rolled.deals), None),
        (_("Amount"), exports.money(rolled.amount, currency), None),
        (_("Weighted amount"), exports.money(rolled.weighted, currency), None),
        (_("Simulated won amount, P50"), exports.money(median, currency), None),
    ]
    query = looked.query
    context = {
        **looked.context(),
        **parts,
        "filter_query": _without_period(query),
        "forecast_query": query,
        "headline": headline,
        "chart": simulation_chart(simulated, monthly, currency),
        "simulated": simulated,
        "runs": exports.count(SIMULATION_RUNS).text,
        **_aggregate_note(simulated.forecast),
        "simulated_from": (
            formats.date_format(today, "SHORT_DATE_FORMAT") if cut.first_day < today else ""
        ),
    }
    response = _respond(
        request,
        "forecast",
        "analytics/_forecast.html",
        tables,
        context,
        period=_file_period(cut),
        invalid=bool(looked.form.errors),
    )
    if status != 200:
        response.status_code = status
    return response


@page()
def forecast_page(request: PageRequest) -> HttpResponse:
    return _forecast_page(request, _looked(request, ahead=True))


@page("POST")
def forecast_adjust(request: PageRequest) -> HttpResponse:
    """A manager's figure for one category of the roll-up the page's filters describe."""
    actor = request.actor
    require_manager(actor)
    looked = _looked(request, ahead=True)
    category = request.POST.get("category", "")
    if category not in ForecastCategory.values:
        raise NotFound()
    form = AdjustForm(category, request.POST)
    saved = False
    if form.is_valid():
        team = looked.form.value("team")
        try:
            adjust_forecast(
                actor,
                pipeline_id=looked.cut.pipeline_id,
                first_day=looked.cut.first_day,
                last_day=looked.cut.last_day,
                category=category,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"] if form.cleaned_data["amount"] is not None else "",
                team_id=team.pk if team else None,
            )
        except ValidationFailed as failed:
            form.add_errors(failed)
        else:
            saved = True
    if not request.htmx:
        if saved:
            return HttpResponseRedirect(f"{reverse('analytics:forecast')}?{looked.query}")
        return _forecast_page(request, looked, form, status=422)
    context = _categories_context(request, looked, None if saved else form)
    response = render(
        request, "analytics/_forecast_categories.html", context, status=200 if saved else 422
    )
    if saved:
        message = (
            _("Adjustment saved: %(category)s.")
            if form.cleaned_data["amount"] is not None
            else _("Adjustment withdrawn: %(category)s.")
        )
        text = message % {"category": category_label(category)}
        response.headers["HX-Trigger"] = json.dumps({"toast": {"text": text}})
    return response


# Bottlenecks


@dataclass(frozen=True)
class Flag:
    stage: str
    rep: str
    measured: str
    baseline: str
    sample: str
    explanation: str
    advice: str


@dataclass
class FlagGroup:
    """One kind of flag: a table for the downloads and the flags as the page lists them."""

    table: Table
    description: str
    measured: str
    baseline: str
    sample: str
    flags: list[Flag] = field(default_factory=list)


def _days_text(cell: Cell) -> str:
    return _("%(days)s days") % {"days": cell.text} if cell.value is not None else cell.text


def flag_groups(cut: Cut, found: list[Bottleneck]) -> dict[str, FlagGroup]:
    """The flags by kind: stages with low conversion, slow stages, reps behind."""
    advice = [Column(_("Explanation")), Column(_("What usually helps"))]
    groups = {
        "conversion": FlagGroup(
            Table(
                "conversion",
                _("Stages with low conversion"),
                [
                    Column(_("Stage")),
                    Column(_("Conversion to next"), "%"),
                    Column(_("Baseline"), "%"),
                    Column(_("Deals")),
                    *advice,
                ],
            ),
            _(
                "Conversion to the next stage well below the same stage's in the baseline, "
                "among the deals created in the period."
            ),
            _("Conversion to next"),
            _("Baseline"),
            _("Deals"),
        ),
        "time": FlagGroup(
            Table(
                "time",
                _("Slow stages"),
                [
                    Column(_("Stage")),
                    Column(_("Median days in stage")),
                    Column(_("Baseline"), _("days")),
                    Column(_("Stays ended")),
                    *advice,
                ],
            ),
            _(
                "Median time in the stage, of the stays that ended in the period, well above "
                "the same stage's in the baseline."
            ),
            _("Median days in stage"),
            _("Baseline"),
            _("Stays ended"),
        ),
        "rep": FlagGroup(
            Table(
                "reps",
                _("Reps behind"),
                [
                    Column(_("Rep")),
                    Column(_("Stage")),
                    Column(_("Conversion to next"), "%"),
                    Column(_("Everyone in the report"), "%"),
                    Column(_("Deals")),
                    *advice,
                ],
            ),
            _(
                "A rep's conversion to the next stage well below everyone's in the report, "
                "among the deals created in the period."
            ),
            _("Conversion to next"),
            _("Everyone in the report"),
            _("Deals"),
        ),
    }
    names = _owner_names(b.owner_id for b in found if b.owner_id is not None)
    for bottleneck in found:
        group = groups[bottleneck.kind]
        slow = bottleneck.kind == "time"
        figure = exports.days if slow else exports.percent
        measured, baseline = figure(bottleneck.measured), figure(bottleneck.baseline)
        rep = names.get(bottleneck.owner_id or 0, "")
        flag = Flag(
            stage=bottleneck.stage,
            rep=rep,
            measured=_days_text(measured) if slow else measured.text,
            baseline=_days_text(baseline) if slow else baseline.text,
            sample=exports.count(bottleneck.sample).text,
            explanation=str(bottleneck.explanation),
            advice=str(bottleneck.advice),
        )
        group.flags.append(flag)
        group.table.rows.append(
            [
                *([exports.text(rep)] if bottleneck.kind == "rep" else []),
                exports.text(bottleneck.stage),
                measured,
                baseline,
                exports.count(bottleneck.sample),
                exports.text(flag.explanation),
                exports.text(flag.advice),
            ]
        )
    return groups


def _share(value: Fraction) -> str:
    return str(format_percent(float(value), locale=babel_locale()))


def threshold_lines(limits: Thresholds) -> list[str]:
    """The thresholds in force, as the note under the flags says them."""
    return [
        ngettext(
            "A stage is flagged for conversion when its conversion to the next stage is below "
            "%(ratio)s of the baseline's, with at least %(deals)s deal reaching it in the "
            "period and in the baseline.",
            "A stage is flagged for conversion when its conversion to the next stage is below "
            "%(ratio)s of the baseline's, with at least %(deals)s deals reaching it in the "
            "period and in the baseline.",
            limits.min_deals,
        )
        % {"ratio": _share(limits.conversion_ratio), "deals": limits.min_deals},
        ngettext(
            "A stage is flagged as slow when its median stay is above %(ratio)s of the "
            "baseline's, with at least %(stays)s stay ended in the period and in the baseline.",
            "A stage is flagged as slow when its median stay is above %(ratio)s of the "
            "baseline's, with at least %(stays)s stays ended in the period and in the baseline.",
            limits.min_stays,
        )
        % {"ratio": _share(limits.time_ratio), "stays": limits.min_stays},
        _(
            "A rep is flagged when their conversion from a stage is below %(ratio)s of "
            "everyone's in the report, with at least %(deals)s of their deals reaching it."
        )
        % {"ratio": _share(limits.rep_ratio), "deals": limits.min_rep_deals},
    ]


@page()
def bottlenecks_page(request: PageRequest) -> HttpResponse:
    actor = request.actor
    looked = _looked(request, ahead=False)
    cut = looked.cut
    limits = THRESHOLDS
    found = bottlenecks(actor, cut, limits)
    groups = flag_groups(cut, found)
    tables = {group.table.name: group.table for group in groups.values()}
    context = {
        **looked.context(),
        "groups": list(groups.values()),
        "flagged": bool(found),
        "baseline": period_label(baseline_cut(cut)),
        "thresholds": threshold_lines(limits),
    }
    return _respond(
        request,
        "bottlenecks",
        "analytics/bottlenecks_results.html",
        tables,
        context,
        period=_file_period(cut),
        invalid=bool(looked.form.errors),
    )
