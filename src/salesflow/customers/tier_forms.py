"""Forms of the tier rules page: they parse the input; `customers.tiers` decides what is valid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed
from salesflow.core.forms import SettingsForm
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.customers.forms import split_entries
from salesflow.customers.models import CompanySize, TierSettings
from salesflow.customers.tiers import MAX_FIT, MAX_RULES, TIERS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Empty rows offered below the rules, to add new ones.
EMPTY_RULE_ROWS = 2
RULE_MINIMUMS = ("min_revenue", "min_potential", "min_fit")


def _money_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


class TierRuleForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("(remove this rule)")), *((t, t) for t in TIERS)],
    )
    min_revenue = _money_field(_("Revenue at least"))
    min_potential = _money_field(_("Potential at least"))
    min_fit = forms.TypedChoiceField(
        label=_("Fit at least"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("(any)")), *((n, n) for n in range(MAX_FIT + 1))],
    )

    def rule(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("tier", *RULE_MINIMUMS)}


TierRuleFormSet = forms.formset_factory(
    TierRuleForm, extra=EMPTY_RULE_ROWS, max_num=MAX_RULES + EMPTY_RULE_ROWS
)


class TierSettingsForm(SettingsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    ideal_industries = forms.CharField(
        label=_("Ideal industries"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas, spelt as on the customers."),
    )
    ideal_sizes = forms.MultipleChoiceField(
        label=_("Ideal sizes"),
        required=False,
        choices=CompanySize.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    ideal_regions = forms.CharField(
        label=_("Ideal regions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas, spelt as on the customers."),
    )

    @staticmethod
    def initial_for(settings: TierSettings) -> dict[str, Any]:
        return {
            "version": settings.version,
            "ideal_industries": "\n".join(settings.ideal_industries),
            "ideal_sizes": list(settings.ideal_sizes),
            "ideal_regions": "\n".join(settings.ideal_regions),
        }

    def lists(self) -> dict[str, Any]:
        return {
            "ideal_industries": split_entries(self.cleaned_data["ideal_industries"]),
            "ideal_sizes": list(self.cleaned_data["ideal_sizes"]),
            "ideal_regions": split_entries(self.cleaned_data["ideal_regions"]),
        }


def rule_formset(settings: TierSettings, data: Any = None) -> Any:
    """The rules as rows of a formset, with empty rows below to add more."""
    if data is not None:
        return TierRuleFormSet(data, prefix="rules")
    return TierRuleFormSet(initial=[dict(rule) for rule in settings.rules], prefix="rules")


def kept_rules(formset: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """The rules of the rows with a tier, and for each its row in the formset."""
    rules, rows = [], []
    for row, form in enumerate(formset.forms):
        # An untouched empty row is not even cleaned: its cleaned_data stays empty.
        if form.cleaned_data.get("tier"):
            rules.append(form.rule())
            rows.append(row)
    return rules, rows


def show_rule_errors(
    form: TierSettingsForm, formset: Any, rows: list[int], failed: ValidationFailed
) -> None:
    """File the service's errors (`rules.2.min_fit`) under the row and field they are about."""
    rest = []
    for error in failed.errors:
        parts = error.field.split(".")
        if parts[0] == "rules" and len(parts) == 3 and int(parts[1]) < len(rows):
            rule_form = formset.forms[rows[int(parts[1])]]
            name = parts[2] if parts[2] in rule_form.fields else None
            rule_form.add_error(name, str(error.message))
        else:
            rest.append(error)
    if rest:
        form.show(ValidationFailed(rest))
