"""Forms of the activity pages: they parse the input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.activities.models import ActivityKind
from salesflow.pipeline.models import Deal

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuickLogForm(forms.Form):
    """Log what happened with a customer, or add a task for later."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices, initial="call")
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_at = forms.DateTimeField(
        label=_("Due at"), required=False, widget=DATETIME_INPUT, help_text=_("For tasks.")
    )
    deal = forms.ModelChoiceField(
        label=_("Deal"), queryset=Deal.objects.none(), required=False, empty_label=_("No deal")
    )

    def __init__(self, *args: Any, deals: QuerySet[Deal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deal_field = self.fields["deal"]
        assert isinstance(deal_field, forms.ModelChoiceField)
        deal_field.queryset = deals

    def service_data(self, customer_id: int) -> dict[str, Any]:
        """A task is due later; anything else is logged as having happened now."""
        data = self.cleaned_data
        is_task = data["kind"] == ActivityKind.TASK
        deal = data["deal"]
        return {
            "customer_id": customer_id,
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data["body"],
            "deal_id": deal.pk if deal else None,
            "due_at": data["due_at"] if is_task else None,
            "done_at": None if is_task else timezone.now(),
        }


class DoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=300)


class RescheduleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    due_at = forms.DateTimeField(label=_("New due date and time"), widget=DATETIME_INPUT)
