"""Forms of the customer pages: they parse the input; the services decide what is valid."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db import models
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed
from salesflow.customers import customfields
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomerKind,
    CustomField,
    Lifecycle,
    Tier,
)
from salesflow.customers.terms import INITIALS

CUSTOMER_FORM_FIELDS = (
    "name",
    "kind",
    "owner",
    "lifecycle",
    "industry",
    "size",
    "region",
    "source_channel",
    "phone",
    "email",
    "website",
    "address",
    "notes",
    "next_service_on",
)
CONTACT_FORM_FIELDS = ("name", "title", "birthday", "decision_role", "notes")

INITIAL_CHOICES = [("", _("All")), *((letter, letter) for letter in INITIALS)]
SORTS = {
    "name": _("Name A–Z"),
    "-updated_at": _("Recently updated"),
    "-created_at": _("Newest first"),
    "created_at": _("Oldest first"),
}


def show_service_errors(form: forms.Form, failed: ValidationFailed) -> None:
    """File each error of a service under the form field it is about (`owner_id` → owner)."""
    cleaned = dict(form.cleaned_data)
    for error in failed.errors:
        custom = customfields.form_error_target(error)
        if custom and custom[0] in form.fields:
            form.add_error(custom[0], str(custom[1]))
            continue
        field, *index = error.field.split(".")
        name = field.removesuffix("_id")
        message = str(error.message)
        if index and index[0].isdigit() and isinstance(cleaned.get(name), str):
            # An error about one phone or email of a list names the entry it is about.
            entries = split_entries(cleaned[name])
            if int(index[0]) < len(entries):
                message = f"{entries[int(index[0])]}: {message}"
        form.add_error(name if name in form.fields else None, message)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    revenue_min = forms.DecimalField(label=_("Revenue at least"), required=False, min_value=0)
    potential_min = forms.DecimalField(label=_("Potential at least"), required=False, min_value=0)
    fit_min = forms.TypedChoiceField(
        label=_("Fit at least"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *((n, n) for n in range(1, 4))],
    )
    lifecycle = forms.ChoiceField(label=_("Lifecycle"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    source_channel = forms.ChoiceField(label=_("Source channel"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=list(SORTS.items()))
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any,
        *,
        owners: QuerySet[User],
        facets: dict[str, list[str]],
        custom_fields: Sequence[CustomField] = (),
    ) -> None:
        super().__init__(data)
        self.fields.update(customfields.filter_form_fields(custom_fields))
        # Added here because a form's `initial` attribute is its initial data.
        self.fields["initial"] = forms.ChoiceField(
            required=False, choices=INITIAL_CHOICES, widget=forms.HiddenInput
        )
        any_value = [("", _("Any"))]
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners
        for name, choices in (("tier", Tier), ("lifecycle", Lifecycle), ("kind", CustomerKind)):
            self._choices(name, any_value + list(choices.choices))
        for name, values in facets.items():
            self._choices(name, any_value + [(value, value) for value in values])

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


def _form_field(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field:
    """A website typed without a scheme is taken to be https."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    form_field = field.formfield(**kwargs)
    assert form_field is not None
    return form_field


class CustomerForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[User],
        custom_fields: Sequence[CustomField] = (),
        custom_values: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = custom_fields
        fields = fields_for_model(Customer, CUSTOMER_FORM_FIELDS, formfield_callback=_form_field)
        self.fields.update(fields)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners
        owner_field.empty_label = None
        self.fields["lifecycle"].help_text = _("Prospect until the first order is won.")
        self.fields["phone"].help_text = _("With the area or country code, e.g. +86 21 5555 0100.")
        self.fields["notes"].widget.attrs["rows"] = 4
        self.fields["next_service_on"].widget = forms.DateInput(
            attrs={"type": "date"}, format="%Y-%m-%d"
        )
        customfields.add_form_fields(self, custom_fields, custom_values)

    def custom(self) -> list[forms.BoundField]:
        return customfields.bound_fields(self)

    def in_pool(self) -> None:
        """A customer in the public pool keeps no owner here: it is claimed or assigned there."""
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.required = False
        owner_field.disabled = True
        owner_field.empty_label = _("Public pool")

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in CUSTOMER_FORM_FIELDS if name != "owner"}
        owner = self.cleaned_data["owner"]
        data["owner_id"] = owner.pk if owner else None
        data["custom"] = customfields.form_values(self, self.custom_fields)
        return data


def split_entries(text: str) -> list[str]:
    """Phones or emails typed one per line or separated by commas (ASCII or Chinese)."""
    return [entry.strip() for entry in re.split(r"[\n,;，；]", text) if entry.strip()]


class ContactForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line or separated by commas."),
    )
    emails = forms.CharField(
        label=_("Emails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line or separated by commas."),
    )

    def __init__(
        self,
        *args: Any,
        custom_fields: Sequence[CustomField] = (),
        custom_values: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = custom_fields
        fields = fields_for_model(Contact, fields=CONTACT_FORM_FIELDS)
        fields["birthday"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        fields["notes"].widget.attrs["rows"] = 3
        ordered = {"name": fields.pop("name"), "title": fields.pop("title")}
        ordered.update({"phones": self.fields.pop("phones"), "emails": self.fields.pop("emails")})
        self.fields.update(ordered | fields)
        customfields.add_form_fields(self, custom_fields, custom_values)

    def custom(self) -> list[forms.BoundField]:
        return customfields.bound_fields(self)

    @staticmethod
    def initial_of(contact: Contact) -> dict[str, Any]:
        initial = {name: getattr(contact, name) for name in CONTACT_FORM_FIELDS}
        initial.update(
            version=contact.version,
            phones="\n".join(contact.phones),
            emails="\n".join(contact.emails),
        )
        return initial

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in CONTACT_FORM_FIELDS}
        data["phones"] = split_entries(self.cleaned_data["phones"])
        data["emails"] = split_entries(self.cleaned_data["emails"])
        data["custom"] = customfields.form_values(self, self.custom_fields)
        return data
