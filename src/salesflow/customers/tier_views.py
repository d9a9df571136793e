"""The tier rules settings page: the admin's rules and ideal-customer lists, and how many
customers each tier holds now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.core.scoping import require_admin
from salesflow.customers import queries, tiers
from salesflow.customers.tier_forms import (
    TierSettingsForm,
    kept_rules,
    rule_formset,
    show_rule_errors,
)
from salesflow.web.pages import PageRequest, page

CONFLICT = 409
INVALID = 422


def _page(
    request: PageRequest,
    form: TierSettingsForm,
    formset: Any,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    actor = request.actor
    counts = tiers.tier_counts(actor)
    context = {
        "form": form,
        "formset": formset,
        "counts": [(tier, counts[tier]) for tier in tiers.TIERS],
        "untiered": counts[""],
        "industries": queries.facet_values(actor, "industry"),
        "regions": queries.facet_values(actor, "region"),
        "error": error,
    }
    return render(request, "customers/tier_settings.html", context, status=status)


def _fresh(request: PageRequest, status: int = 200, error: str = "") -> HttpResponse:
    settings = tiers.tier_settings(request.actor)
    form = TierSettingsForm(initial=TierSettingsForm.initial_for(settings))
    return _page(request, form, rule_formset(settings), status, error)


@page("GET", "POST")
def tier_settings(request: PageRequest) -> HttpResponse:
    """A POST replaces the rules and lists, and every customer is re-tiered at once."""
    actor = request.actor
    require_admin(actor)
    if request.method == "GET":
        return _fresh(request)
    form = TierSettingsForm(request.POST)
    formset = rule_formset(tiers.tier_settings(actor), request.POST)
    if form.is_valid() and formset.is_valid():
        rules, rows = kept_rules(formset)
        try:
            tiers.save_tier_settings(
                actor, form.cleaned_data["version"], {"rules": rules, **form.lists()}
            )
        except Conflict:
            return _fresh(
                request,
                CONFLICT,
                _(
                    "Someone else changed the tier rules while you were editing them. Nothing "
                    "was saved: here they are as they are now."
                ),
            )
        except ValidationFailed as failed:
            show_rule_errors(form, formset, rows, failed)
        else:
            messages.success(request, _("Tier rules saved. Every customer's tier was recomputed."))
            return HttpResponseRedirect(reverse("core:tiers"))
    return _page(request, form, formset, INVALID)
