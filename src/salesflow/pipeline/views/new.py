"""Creating a deal from a page: from the board or from a customer's 360 page."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from salesflow.core.errors import Forbidden, ValidationFailed
from salesflow.core.scoping import visible
from salesflow.customers.forms import show_service_errors
from salesflow.customers.models import Customer
from salesflow.customers.queries import search
from salesflow.pipeline.forms import NewDealForm
from salesflow.pipeline.services import deals as deal_services
from salesflow.web.pages import PageRequest, page

CUSTOMER_CHOICES = 20


def customer_choices(request: PageRequest, text: str, chosen: str | None) -> list[Customer]:
    """The customer chosen so far, then the visible customers found by the text, best match
    first (or, before anything is typed, the most recently updated)."""
    customers = visible(Customer, request.actor).only("id", "name")
    first = list(customers.filter(pk=chosen)) if chosen and chosen.isdigit() else []
    if text.strip():
        found = search(request.actor, text, CUSTOMER_CHOICES + len(first))
    else:
        found = list(customers.order_by("-updated_at", "-id")[: CUSTOMER_CHOICES + len(first)])
    return first + [c for c in found if c not in first][:CUSTOMER_CHOICES]


@page("GET", "POST")
def new_deal(request: PageRequest) -> HttpResponse:
    chosen = request.POST.get("customer") or request.GET.get("customer")
    customers = customer_choices(request, "", chosen)
    if request.method == "GET":
        form = NewDealForm(request.actor, customers, initial={"customer": chosen})
        return render(request, "pipeline/new_deal.html", {"form": form})
    form = NewDealForm(request.actor, customers, request.POST)
    if form.is_valid():
        try:
            deal = deal_services.create_deal(request.actor, form.service_data())
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except Forbidden as forbidden:
            form.add_error("owner_id", str(forbidden.detail))
        else:
            return HttpResponseRedirect(reverse("pipeline:deal", args=[deal.pk]))
    return render(request, "pipeline/new_deal.html", {"form": form}, status=422)


@page()
def customer_options(request: PageRequest) -> HttpResponse:
    """The customer list of the new-deal form, narrowed to what the rep typed."""
    customers = customer_choices(request, request.GET.get("q", ""), None)
    return render(request, "pipeline/_customer_options.html", {"customers": customers})
