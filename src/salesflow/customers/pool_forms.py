"""Forms of the public pool pages: they parse the input; the pool services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from salesflow.customers.models import CustomerRules, PoolEventKind
from salesflow.customers.pool import REASON_LENGTH

RULE_FORM_FIELDS = (
    "return_after_days",
    "warn_days_before",
    "exempt_open_deals",
    "claim_limit",
    "remind_days_before",
)


class PoolSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


class HistoryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *PoolEventKind.choices]
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


class ReleaseForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the customer goes to the public pool; every member can read it."),
    )


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners


class RulesForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(CustomerRules, RULE_FORM_FIELDS))

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in RULE_FORM_FIELDS}
