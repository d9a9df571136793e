"""The form of the custom field settings page: it parses; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from salesflow.core.forms import SettingsForm
from salesflow.customers.models import CustomField, CustomFieldType

SETTINGS = (
    "label",
    "type",
    "required",
    "help_text",
    "shown_in_list",
    "max_length",
    "pattern",
    "pattern_message",
    "min_value",
    "max_value",
    "decimal_places",
    "min_date",
    "max_date",
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class CustomFieldForm(SettingsForm):
    """Adding a field (with its key) or editing one (with its version and retired options)."""

    label = forms.CharField(label=_("Label"), required=False, max_length=100)
    key = forms.CharField(
        label=_("Key"),
        required=False,
        max_length=40,
        help_text=_(
            "Used by the API, imports and filters; never changes. Leave empty to make it "
            "from the label."
        ),
    )
    type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    help_text = forms.CharField(label=_("Help text"), required=False, max_length=300)
    shown_in_list = forms.BooleanField(
        label=_("Show as a column of the list, with a filter"), required=False
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line: a label, or key | label to choose the key."),
    )
    retired = forms.MultipleChoiceField(
        label=_("Retired options"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kept on the records that hold them, no longer offered."),
    )
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=1)
    pattern = forms.CharField(
        label=_("Pattern (regular expression)"), required=False, max_length=200
    )
    pattern_message = forms.CharField(
        label=_("Message when the pattern does not match"), required=False, max_length=200
    )
    min_value = forms.DecimalField(label=_("Minimum"), required=False)
    max_value = forms.DecimalField(label=_("Maximum"), required=False)
    decimal_places = forms.IntegerField(label=_("Decimal places"), initial=0, min_value=0)
    min_date = forms.DateField(label=_("Earliest date"), required=False, widget=DateInput())
    max_date = forms.DateField(label=_("Latest date"), required=False, widget=DateInput())
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any) -> None:
        if field is not None:
            kwargs.setdefault("initial", self.initial_for(field))
        super().__init__(*args, **kwargs)
        self.field = field
        if field is None:
            del self.fields["retired"]
        else:
            del self.fields["key"]
            retired = cast(forms.MultipleChoiceField, self.fields["retired"])
            retired.choices = [(o["key"], o["label"]) for o in field.options]

    @staticmethod
    def initial_for(field: CustomField) -> dict[str, Any]:
        values = {name: getattr(field, name) for name in SETTINGS}
        values["options"] = "\n".join(f"{o['key']} | {o['label']}" for o in field.options)
        values["retired"] = [o["key"] for o in field.options if o.get("retired")]
        values["version"] = field.version
        return values

    def data_for_service(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in SETTINGS}
        if self.field is None:
            data["key"] = self.cleaned_data["key"]
        retired = set(self.cleaned_data.get("retired") or [])
        options = []
        for line in self.cleaned_data["options"].splitlines():
            key, _bar, label = line.rpartition("|")
            if label.strip():
                key = key.strip()
                options.append({"key": key, "label": label.strip(), "retired": key in retired})
        data["options"] = options
        return data
