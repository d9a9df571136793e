"""Parsing what the board and the deal page send: types only, every rule stays in the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import FieldError
from salesflow.core.models import Team
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.core.scoping import Actor
from salesflow.customers import customfields
from salesflow.customers.models import Contact
from salesflow.customers.queries import assignable_owners, customer_contacts
from salesflow.pipeline import queries
from salesflow.pipeline.models import Deal, ForecastCategory, Stage, category_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Deal fields a stage may require before a deal leaves it, named as the services name them.
EXIT_FIELDS = ("amount", "expected_close_date", "contact_id", "next_step")
CHECKLIST_PREFIX = "checklist."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.username


def money_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES
    )


class BoardFilterForm(forms.Form):
    """The board's GET filters; a value that does not parse is reported and ignored."""

    pipeline = forms.TypedChoiceField(
        label=_("Pipeline"), coerce=int, required=False, empty_value=None
    )
    owner = MemberChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All")
    )
    amount_min = money_field(_("Amount from"))
    amount_max = money_field(_("Amount to"))
    close_from = forms.DateField(label=_("Closing from"), required=False, widget=DateInput())
    close_to = forms.DateField(label=_("Closing to"), required=False, widget=DateInput())

    def __init__(self, actor: Actor, data: Any) -> None:
        super().__init__(data)
        pipeline_field: Any = self.fields["pipeline"]
        pipeline_field.choices = [(p.pk, p.name) for p in queries.pipelines(actor)]
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = assignable_owners(actor)
        team_field: Any = self.fields["team"]
        team_field.queryset = queries.board_teams(actor)
        # A rep sees only their own deals: choosing an owner or a team would change nothing.
        self.narrows_by_people = actor.is_admin or bool(actor.managed_paths)
        if not self.narrows_by_people:
            del self.fields["owner"], self.fields["team"]

    def value(self, name: str) -> Any:
        """The parsed value, or None when it is missing or did not parse."""
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self, pipeline_id: int) -> queries.BoardFilters:
        self.is_valid()
        team = self.value("team")
        owner = self.value("owner")
        return queries.BoardFilters(
            pipeline_id=pipeline_id,
            owner_id=owner.pk if owner else None,
            team_path=team.path if team else None,
            amount_min=self.value("amount_min"),
            amount_max=self.value("amount_max"),
            close_from=self.value("close_from"),
            close_to=self.value("close_to"),
        )


class ExitCriteriaForm(forms.Form):
    """Exactly the fields and checklist items a move asked for, filled in the move dialog."""

    def __init__(self, actor: Actor, deal: Deal, asked: Iterable[str], data: Any = None) -> None:
        super().__init__(data)
        self.deal = deal
        stages = {str(s.pk): s for s in Stage.objects.filter(pipeline_id=deal.pipeline_id)}
        for name in dict.fromkeys(asked):
            if name == "amount":
                self.fields[name] = money_field(_("Amount"))
            elif name == "expected_close_date":
                self.fields[name] = forms.DateField(
                    label=_("Expected close date"), required=False, widget=DateInput()
                )
            elif name == "contact_id":
                self.fields[name] = forms.ModelChoiceField(
                    label=_("Contact"),
                    queryset=customer_contacts(actor, deal.customer),
                    required=False,
                )
            elif name == "next_step":
                self.fields[name] = forms.CharField(
                    label=_("Next step"), required=False, max_length=300
                )
            elif name.startswith(CHECKLIST_PREFIX) and name[len(CHECKLIST_PREFIX) :] in stages:
                stage = stages[name[len(CHECKLIST_PREFIX) :]]
                ticked = set((deal.checklist or {}).get(str(stage.pk), []))
                self.fields[name] = forms.MultipleChoiceField(
                    label=_("Checklist of “%(stage)s”") % {"stage": stage.name},
                    choices=[(i, i) for i in stage.exit_checklist if i not in ticked],
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )

    def changes(self) -> dict[str, Any]:
        """What to save before the move: the fields filled in, the items ticked."""
        data: dict[str, Any] = {}
        checklist = {k: list(v) for k, v in (self.deal.checklist or {}).items()}
        for name, value in self.cleaned_data.items():
            if name.startswith(CHECKLIST_PREFIX):
                if value:
                    stage_id = name[len(CHECKLIST_PREFIX) :]
                    ticked = checklist.setdefault(stage_id, [])
                    ticked.extend(i for i in value if i not in ticked)
                    data["checklist"] = checklist
            elif isinstance(value, Contact):
                data[name] = value.pk
            elif value not in (None, ""):
                data[name] = value
        return data


def asked_by(errors: Iterable[FieldError]) -> list[str]:
    """The fields of a refused move that the dialog can ask for."""
    return [
        e.field for e in errors if e.field in EXIT_FIELDS or e.field.startswith(CHECKLIST_PREFIX)
    ]


class DealForm(forms.Form):
    """The deal's editable fields; only the ones changed are sent to update_deal."""

    name = forms.CharField(label=_("Name"), max_length=200)
    amount = money_field(_("Amount"))
    currency = forms.CharField(label=_("Currency"), max_length=3)
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=DateInput()
    )
    probability = forms.IntegerField(
        label=_("Win probability (%)"),
        required=False,
        help_text=_("Leave empty to use the stage's default."),
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False)
    contact_id = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    owner_id = MemberChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, actor: Actor, deal: Deal, data: Any = None) -> None:
        initial = {
            "name": deal.name,
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "probability": deal.probability if deal.probability_overridden else None,
            "next_step": deal.next_step,
            "forecast_category": deal.forecast_category,
            "contact_id": deal.contact_id,
            "owner_id": deal.owner_id,
        }
        super().__init__(data, initial=initial)
        contact_field: Any = self.fields["contact_id"]
        contact_field.queryset = customer_contacts(actor, deal.customer)
        owner_field: Any = self.fields["owner_id"]
        owner_field.queryset = assignable_owners(actor) | User.objects.filter(pk=deal.owner_id)
        self.fields["probability"].widget.attrs["placeholder"] = str(deal.stage.probability)
        category: Any = self.fields["forecast_category"]
        following = ForecastCategory(category_for(deal.probability)).label
        category.choices = [
            ("", _("By win probability (now: %(category)s)") % {"category": following}),
            *ForecastCategory.choices,
        ]
        self.custom_fields = customfields.definitions(actor.workspace_id, "deal", active_only=True)
        customfields.add_form_fields(self, self.custom_fields, deal.custom)

    def changes(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        custom = customfields.form_values(self, self.custom_fields, changed_only=True)
        if custom:
            data["custom"] = custom
        for name in self.changed_data:
            if name.startswith(customfields.FORM_PREFIX):
                continue
            value = self.cleaned_data[name]
            data[name] = value.pk if hasattr(value, "pk") else value
        if "next_step" in data and data["next_step"] is None:
            data["next_step"] = ""
        return data

    def add_errors(self, errors: Iterable[FieldError]) -> None:
        """Put each error the service found beside its field."""
        for error in errors:
            custom = customfields.form_error_target(error)
            if custom and custom[0] in self.fields:
                self.add_error(custom[0], str(custom[1]))
                continue
            self.add_error(error.field if error.field in self.fields else None, str(error.message))


class NewDealForm(forms.Form):
    """A new deal: the customer is picked from a short, searchable list, never the whole table."""

    name = forms.CharField(label=_("Name"), max_length=200)
    customer = forms.IntegerField(label=_("Customer"), widget=forms.Select)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int)
    amount = money_field(_("Amount"))
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=DateInput()
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    owner = MemberChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, actor: Actor, customers: Iterable[Any], data: Any = None, **kw: Any):
        super().__init__(data, **kw)
        self.fields["customer"].widget.choices = [(c.pk, c.name) for c in customers]
        pipelines = list(queries.pipelines(actor))
        pipeline_field: Any = self.fields["pipeline"]
        pipeline_field.choices = [(p.pk, p.name) for p in pipelines]
        pipeline_field.initial = next((p.pk for p in pipelines if p.is_default), None)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = assignable_owners(actor)
        owner_field.initial = actor.user_id
        self.custom_fields = customfields.definitions(actor.workspace_id, "deal", active_only=True)
        customfields.add_form_fields(self, self.custom_fields, None)

    def custom(self) -> list[forms.BoundField]:
        return customfields.bound_fields(self)

    def service_data(self) -> dict[str, Any]:
        """The names the service takes (`customer` → `customer_id`); empty fields are left out."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "customer_id": data["customer"],
            "pipeline_id": data["pipeline"],
            "owner_id": data["owner"].pk,
        }
        for name in ("amount", "expected_close_date", "next_step"):
            if data[name] not in (None, ""):
                values[name] = data[name]
        values["custom"] = customfields.form_values(self, self.custom_fields)
        return values
