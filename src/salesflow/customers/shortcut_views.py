"""The shortcuts menu of every page (pinned, recently viewed, most used customers) and the
pin buttons of the customer pages."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from salesflow.core.errors import ValidationFailed
from salesflow.customers import queries, shortcuts
from salesflow.web.pages import PageRequest, fragment_or_page, page


@page()
def shortcut_menu(request: PageRequest) -> HttpResponse:
    """Loaded when the menu is opened, so that no page pays for it before."""
    context = {"shortcuts": shortcuts.shortcuts(request.actor)}
    return fragment_or_page(
        request, "customers/_shortcuts.html", "customers/shortcuts.html", context
    )


@page("POST")
def pin(request: PageRequest, customer_id: int) -> HttpResponse:
    """Pin (pinned=1) or unpin the customer; HTMX gets the button back, others the page."""
    actor = request.actor
    customer = queries.customer(actor, customer_id)
    wanted = request.POST.get("pinned") == "1"
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("customers:detail", args=[customer.pk])
    error = ""
    try:
        if wanted:
            shortcuts.pin(actor, customer.pk)
        else:
            shortcuts.unpin(actor, customer.pk)
    except ValidationFailed as failed:
        error = "; ".join(str(e.message) for e in failed.errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return HttpResponseRedirect(next_url)
    context = {
        "customer": customer,
        "pinned": shortcuts.is_pinned(actor, customer),
        "compact": request.POST.get("compact") == "1",
        "next_url": next_url,
    }
    response = render(request, "customers/_pin.html", context, status=422 if error else 200)
    if error:
        response["HX-Trigger"] = json.dumps({"toast": {"text": error, "kind": "error"}})
    return response
