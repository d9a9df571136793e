"""Forms of the settings pages: they parse input for the services, which hold every rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed
from salesflow.core.models import Role, Team
from salesflow.pipeline.models import StageKind
from salesflow.pipeline.templates import TEMPLATES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EXIT_FIELD_CHOICES = [
    ("amount", _("Amount")),
    ("expected_close_date", _("Expected close date")),
    ("contact", _("Contact")),
    ("next_step", _("Next step")),
]


class SettingsForm(forms.Form):
    """A form that can show a service's field errors beside the fields they are about."""

    # Service field name -> form field name, where the two differ.
    aliases: Mapping[str, str] = {}

    def show(self, failure: ValidationFailed) -> None:
        for error in failure.errors:
            name = self.aliases.get(error.field, error.field)
            self.add_error(name if name in self.fields else None, str(error.message))
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class PipelineCreateForm(SettingsForm):
    template = forms.ChoiceField(label=_("Start from"), required=False)
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=120,
        help_text=_("Leave empty to use the template's name."),
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["template"]).choices = [
            *((key, template.name.get(language)) for key, template in TEMPLATES.items()),
            ("", _("An empty pipeline")),
        ]


class PipelineRenameForm(SettingsForm):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(SettingsForm):
    """Actions that only name the version the client saw: make default, delete."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class StageAddForm(SettingsForm):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices, initial=StageKind.OPEN)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shares its page with the pipeline's rename form: distinct element ids.
        kwargs.setdefault("auto_id", "id_stage_%s")
        super().__init__(*args, **kwargs)


class StageOrderForm(SettingsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args: Any, stage_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["stage"]).choices = [(pk, pk) for pk in stage_ids]


class StageForm(SettingsForm):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)
    goal = forms.CharField(label=_("Goal"), required=False, widget=forms.Textarea)
    probability = forms.IntegerField(label=_("Default win probability (%)"))
    expected_days = forms.IntegerField(label=_("Expected days in stage"))
    exit_fields = forms.MultipleChoiceField(
        label=_("Deal fields that must be filled to leave"),
        choices=EXIT_FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exit_checklist = forms.CharField(
        label=_("Checklist to tick before leaving"),
        required=False,
        widget=forms.Textarea,
        help_text=_("One item per line."),
    )
    playbook_role = forms.CharField(
        label=_("Responsible role"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    playbook_activities = forms.CharField(
        label=_("Key activities"), required=False, widget=forms.Textarea
    )
    playbook_materials = forms.CharField(
        label=_("Support materials"), required=False, widget=forms.Textarea
    )
    playbook_output = forms.CharField(
        label=_("Expected output"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_exit_checklist(self) -> list[str]:
        text: str = self.cleaned_data["exit_checklist"]
        return [line.strip() for line in text.splitlines() if line.strip()]

    def data_for_service(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @staticmethod
    def initial_for(stage: Any) -> dict[str, Any]:
        values = {name: getattr(stage, name) for name in StageForm.base_fields}
        values["exit_checklist"] = "\n".join(stage.exit_checklist)
        return values


def _team_choice(teams: QuerySet[Team], label: StrOrPromise) -> forms.ModelChoiceField[Team]:
    return forms.ModelChoiceField(
        queryset=teams, label=label, required=False, empty_label=_("(none)")
    )


class MemberAddForm(SettingsForm):
    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Needed for a new login; an existing login keeps its password."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.REP)
    aliases = {"team_id": "team"}

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = _team_choice(teams, _("Team"))
        self.fields["manages"] = forms.ModelMultipleChoiceField(
            queryset=teams,
            label=_("Manages"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )


class MemberForm(SettingsForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    aliases = {"team_id": "team"}

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = _team_choice(teams, _("Team"))
        self.fields["manages"] = forms.ModelMultipleChoiceField(
            queryset=teams,
            label=_("Manages"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields(["role", "team", "manages", "is_active", "version"])

    def data_for_service(self) -> dict[str, Any]:
        team = self.cleaned_data["team"]
        return {
            "role": self.cleaned_data["role"],
            "team_id": team.pk if team else None,
            "manages": [t.pk for t in self.cleaned_data["manages"]],
            "is_active": self.cleaned_data["is_active"],
        }


class TeamForm(SettingsForm):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    aliases = {"parent_id": "parent"}

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = _team_choice(teams, _("Parent team"))


class TeamEditForm(TeamForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
