"""The filters of the analytics pages and the planner's form: they parse, CutParams decides.

Every page takes its filters as GET parameters, so a view can be bookmarked, shared and
downloaded as it is. A value that does not parse is reported next to its field and left out,
and the page still shows the figures of what remains.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from salesflow.analytics.cuts import CutParams
from salesflow.analytics.queries import Cut
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Team
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.core.scoping import Actor
from salesflow.customers.queries import assignable_owners, facet_values
from salesflow.pipeline import queries as pipeline_queries
from salesflow.pipeline.forms import DateInput, MemberChoiceField
from salesflow.pipeline.models import Stage

FACETS = ("source_channel", "industry", "region")
GRAINS = (("month", _("Month")), ("quarter", _("Quarter")))
# The fields each page has no use for: the trend runs back from its last day on its own.
LEFT_OUT = {
    "funnel": ("grain",),
    "outcomes": ("grain",),
    "trend": ("first_day", "compare_first_day", "compare_last_day"),
}
LONGEST_PLAN_DAYS = 366
RATE_PREFIX = "rate_"


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.username


def _pipeline_field() -> forms.IntegerField:
    """An id, not a choice: another workspace's pipeline is then a 404, like any page's id."""
    return forms.IntegerField(label=_("Pipeline"), required=False, widget=forms.Select)


def _pipeline_choices(actor: Actor) -> list[tuple[int, str]]:
    pipelines = pipeline_queries.pipelines(actor).order_by("-is_default", "position", "id")
    return [(p.pk, p.name) for p in pipelines]


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput(), **kwargs)


class AnalyticsFilterForm(forms.Form):
    """Pipeline, period, cuts and a period to compare with, as the funnel, trend and outcomes
    pages take them; `resolve` turns them into the Cuts the queries read."""

    pipeline = _pipeline_field()
    first_day = _date(_("From"))
    last_day = _date(_("To"))
    grain = forms.ChoiceField(label=_("Group by"), choices=GRAINS, required=False)
    owner = MemberChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All")
    )
    source_channel = forms.ChoiceField(label=_("Source channel"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    compare_first_day = _date(_("Compare from"))
    compare_last_day = _date(_("Compare to"))

    def __init__(self, actor: Actor, data: QueryDict, *, page: str) -> None:
        self.shown: QueryDict = data.copy()
        super().__init__(self.shown)
        for name in LEFT_OUT[page]:
            del self.fields[name]
        self.fields["pipeline"].widget.choices = _pipeline_choices(actor)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = assignable_owners(actor)
        team_field: Any = self.fields["team"]
        team_field.queryset = pipeline_queries.board_teams(actor)
        for name in FACETS:
            facet: Any = self.fields[name]
            facet.choices = [("", _("Any"))] + [(v, v) for v in facet_values(actor, name)]
        # A rep sees only their own deals: an owner or a team would narrow nothing.
        if not (actor.is_admin or actor.managed_paths):
            del self.fields["owner"], self.fields["team"]
        self.is_valid()

    def value(self, name: str) -> Any:
        """The parsed value, or None when it is missing, not on this page or did not parse."""
        if name not in self.fields or name in self.errors:
            return None
        return self.cleaned_data.get(name) or None

    @property
    def chosen_grain(self) -> str:
        return self.value("grain") or "month"

    def params(self) -> CutParams:
        owner, team = self.value("owner"), self.value("team")
        return CutParams(
            pipeline_id=self.value("pipeline"),
            first_day=self.value("first_day"),
            last_day=self.value("last_day"),
            owner_id=owner.pk if owner else None,
            team_id=team.pk if team else None,
            source_channel=self.value("source_channel"),
            industry=self.value("industry"),
            region=self.value("region"),
            compare_first_day=self.value("compare_first_day"),
            compare_last_day=self.value("compare_last_day"),
        )

    def resolve(self, actor: Actor) -> tuple[Cut, Cut | None]:
        """The period's Cut and the compare period's; a period CutParams refuses is reported
        next to its field and replaced by the default period (or no comparison)."""
        params = self.params()
        try:
            cut = params.cut(actor)
        except ValidationFailed as failed:
            self.add_errors(failed.errors)
            params = params.model_copy(update={"first_day": None, "last_day": None})
            cut = params.cut(actor)
        try:
            compare = params.compare(actor)
        except ValidationFailed as failed:
            self.add_errors(failed.errors)
            compare = None
        self._show(cut)
        return cut, compare

    def add_errors(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            name = error.field.removesuffix("_id")
            self.add_error(name if name in self.fields else None, str(error.message))

    def _show(self, cut: Cut) -> None:
        """Fill the fields left empty with what was used, so the form shows the real period."""
        shown = {"pipeline": cut.pipeline_id, "last_day": cut.last_day}
        if "first_day" in self.fields:
            shown["first_day"] = cut.first_day
        for name, value in shown.items():
            if not self.shown.get(name) and name not in self.errors:
                self.shown[name] = str(value)

    def query(self) -> str:
        """The filters as a query string, for links that keep them (tabs, downloads)."""
        names = {*self.fields, *AnalyticsFilterForm.base_fields}
        kept = QueryDict(mutable=True)
        for name, value in self.shown.lists():
            if name in names and any(value):
                kept.setlist(name, value)
        return kept.urlencode()


@dataclass(frozen=True)
class PlanDefaults:
    """What the planner starts from: the pipeline's open stages and last year's history."""

    pipeline_id: int
    stages: list[Stage]
    rates: dict[int, Decimal | None]
    average_deal_size: Decimal | None
    first_day: datetime.date
    last_day: datetime.date
    reps: QuerySet[User]


class PlanForm(forms.Form):
    """A target (contracts, or revenue and a deal size), a period, a rate per open stage and
    the reps who share the work; the planner checks what the numbers mean."""

    pipeline = _pipeline_field()
    target_contracts = forms.IntegerField(label=_("Target contracts"), required=False)
    target_revenue = forms.DecimalField(
        label=_("Target revenue"),
        required=False,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        help_text=_("Or a revenue: the contracts are the revenue ÷ the average won deal size."),
    )
    average_deal_size = forms.DecimalField(
        label=_("Average won deal size"),
        required=False,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        help_text=_("Filled in from the deals won in the last 365 days."),
    )
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("To"), widget=DateInput())
    reps = MemberChoices(
        label=_("Reps"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, actor: Actor, data: QueryDict | None, defaults: PlanDefaults) -> None:
        initial: dict[str, Any] = {
            "pipeline": defaults.pipeline_id,
            "average_deal_size": defaults.average_deal_size,
            "first_day": defaults.first_day,
            "last_day": defaults.last_day,
            "reps": list(defaults.reps),
        }
        initial.update({_rate(s.pk): defaults.rates.get(s.pk) for s in defaults.stages})
        if data is not None:
            # A pipeline just chosen brings its own stages: their rates start from history.
            data = data.copy()
            for stage in defaults.stages:
                if _rate(stage.pk) not in data and initial[_rate(stage.pk)] is not None:
                    data[_rate(stage.pk)] = str(initial[_rate(stage.pk)])
        super().__init__(data, initial=initial)
        self.stages = defaults.stages
        self.fields["pipeline"].widget.choices = _pipeline_choices(actor)
        reps: Any = self.fields["reps"]
        reps.queryset = defaults.reps
        for stage in self.stages:
            self.fields[_rate(stage.pk)] = forms.DecimalField(
                label=stage.name, max_digits=7, decimal_places=2, widget=PercentInput()
            )

    @staticmethod
    def submitted(data: QueryDict) -> bool:
        return "target_contracts" in data or "target_revenue" in data

    def rate_fields(self) -> list[forms.BoundField]:
        return [self[_rate(s.pk)] for s in self.stages]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(RATE_PREFIX)]

    def rate_percent(self, stage_id: int) -> Decimal:
        value: Decimal = self.cleaned_data[_rate(stage_id)]
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contracts, revenue = data.get("target_contracts"), data.get("target_revenue")
        if contracts is None and revenue is None and not self._has_error("target"):
            self.add_error(
                "target_contracts", _("Give a target: a number of contracts or a revenue.")
            )
        elif contracts is not None and revenue is not None:
            self.add_error(
                "target_revenue", _("Give either a number of contracts or a revenue, not both.")
            )
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and (last - first).days >= LONGEST_PLAN_DAYS:
            self.add_error("last_day", _("A plan may cover at most a year."))
        return data

    def _has_error(self, prefix: str) -> bool:
        return any(name.startswith(prefix) for name in self.errors)

    def add_errors(self, errors: Iterable[FieldError]) -> None:
        """The planner names rates `conversion_to_next.<stage>` and reps `rep_ids`."""
        for error in errors:
            name = error.field
            if name.startswith("conversion_to_next."):
                name = RATE_PREFIX + name.removeprefix("conversion_to_next.")
            elif name == "rep_ids":
                name = "reps"
            self.add_error(name if name in self.fields else None, str(error.message))


class PercentInput(forms.NumberInput):
    def __init__(self) -> None:
        super().__init__(attrs={"step": "0.01", "min": "0", "max": "100", "class": "percent"})


def _rate(stage_id: int) -> str:
    return f"{RATE_PREFIX}{stage_id}"
