"""The deal list: every visible deal as a table row, filtered, a keyset page at a time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from salesflow.core.pagination import page_of
from salesflow.customers import customfields
from salesflow.pipeline import queries
from salesflow.pipeline.models import StageKind
from salesflow.web.pages import PageRequest, fragment_or_page, page

PAGE_SIZE = 25


class DealListForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *StageKind.choices]
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any, custom_fields: list[Any]) -> None:
        super().__init__(data)
        self.fields.update(customfields.filter_form_fields(custom_fields))


@page()
def deal_list(request: PageRequest) -> HttpResponse:
    actor = request.actor
    columns = customfields.list_columns(actor, "deal")
    form = DealListForm(request.GET, columns)
    deals: list[Any] = []
    next_cursor = None
    if form.is_valid():
        chosen = form.cleaned_data
        filters = queries.DealFilter(status=chosen["status"] or None)
        rows = queries.deals(actor, filters, customfields.filter_params(chosen))
        rows = rows.select_related("customer", "owner")
        deals, next_cursor = page_of(rows, "-created_at", chosen["cursor"] or None, PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    first = query.urlencode()
    query["cursor"] = next_cursor or ""
    context = {
        "form": form,
        "deals": deals,
        "columns": columns,
        "next_url": f"?{query.urlencode()}" if next_cursor else "",
        "first_url": f"?{first}" if request.GET.get("cursor") else "",
    }
    return fragment_or_page(request, "pipeline/_deal_rows.html", "pipeline/deal_list.html", context)
