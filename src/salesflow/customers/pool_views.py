"""Public pool pages: the pool with its claim and assign buttons, its history, its rules, and
the release button of the customer page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.core.errors import Conflict, DomainError, ValidationFailed
from salesflow.core.models import Role
from salesflow.core.pagination import keyset_page, page_of
from salesflow.core.scoping import require_admin, visible
from salesflow.customers import pool, pool_queries, queries
from salesflow.customers.forms import show_service_errors
from salesflow.customers.models import Customer
from salesflow.customers.pool_forms import (
    AssignForm,
    HistoryForm,
    PoolSearchForm,
    ReleaseForm,
    RulesForm,
)
from salesflow.customers.views import detail_context
from salesflow.web.pages import PageRequest, fragment_or_page, page

PAGE_SIZE = 25


def _manages(request: PageRequest) -> bool:
    return request.actor.role in (Role.ADMIN, Role.MANAGER)


def _row_context(request: PageRequest) -> dict[str, Any]:
    """What every row of the pool needs besides its customer."""
    manages = _manages(request)
    return {
        "manages": manages,
        "owners": list(queries.assignable_owners(request.actor)) if manages else [],
    }


@page()
def pool_list(request: PageRequest) -> HttpResponse:
    form = PoolSearchForm(request.GET)
    customers: list[Customer] = []
    next_cursor = None
    if form.is_valid():
        rows = pool_queries.customers(request.actor, form.cleaned_data["q"])
        customers, next_cursor = page_of(
            rows, "-owner_since", form.cleaned_data["cursor"] or None, PAGE_SIZE
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    entries = pool_queries.entries([customer.pk for customer in customers])
    context = {
        **_row_context(request),
        "form": form,
        "rows": [(customer, entries.get(customer.pk)) for customer in customers],
        "claims": pool_queries.claims(request.actor),
        "next_url": f"?{_with(query, cursor=next_cursor)}" if next_cursor else "",
        "first_url": f"?{query.urlencode()}" if request.GET.get("cursor") else "",
    }
    return fragment_or_page(request, "customers/_pool_results.html", "customers/pool.html", context)


def _with(query: Any, **values: str) -> str:
    query = query.copy()
    for name, value in values.items():
        query[name] = value
    return str(query.urlencode())


def _refusal(error: DomainError) -> str:
    if isinstance(error, ValidationFailed) and error.errors:
        return str(error.errors[0].message)
    return str(error.detail)


def _row_answer(
    request: PageRequest,
    customer_id: int,
    message: str,
    *,
    error: DomainError | None = None,
    taken: Customer | None = None,
) -> HttpResponse:
    """After a claim or an assignment: an HTMX request gets its row back (taken, or the reason
    it was refused beside the row as it is now) and the claims left; a form post goes back to
    the pool with the message."""
    if not request.htmx:
        (messages.error if error else messages.success)(request, message)
        return HttpResponseRedirect(reverse("customers:pool"))
    found = pool.pool_customers(request.actor).filter(pk=customer_id).first()
    context = {
        **_row_context(request),
        "customer": found,
        "entry": pool_queries.entries([customer_id]).get(customer_id) if found else None,
        "customer_id": customer_id,
        "message": message,
        "error": error is not None,
        "taken": taken,
        "claims": pool_queries.claims(request.actor),
        "oob": True,
    }
    response = render(
        request, "customers/_pool_row.html", context, status=error.status if error else 200
    )
    toast = {"text": message, "kind": "error" if error else ""}
    response.headers["HX-Trigger"] = json.dumps({"toast": toast})
    return response


@page("POST")
def pool_claim(request: PageRequest, customer_id: int) -> HttpResponse:
    try:
        customer = pool.claim_customer(request.actor, customer_id)
    except (ValidationFailed, Conflict) as refused:
        return _row_answer(request, customer_id, _refusal(refused), error=refused)
    done = _("“%(customer)s” is yours now.") % {"customer": customer.name}
    if not request.htmx:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    return _row_answer(request, customer_id, done, taken=customer)


@page("POST")
def pool_assign(request: PageRequest, customer_id: int) -> HttpResponse:
    form = AssignForm(request.POST, owners=queries.assignable_owners(request.actor))
    if not form.is_valid():
        refused = ValidationFailed.one("owner_id", _("Choose an owner."))
        return _row_answer(request, customer_id, _refusal(refused), error=refused)
    owner = form.cleaned_data["owner"]
    try:
        customer = pool.assign_customer(request.actor, customer_id, owner.pk)
    except (ValidationFailed, Conflict) as refused:
        return _row_answer(request, customer_id, _refusal(refused), error=refused)
    done = _("“%(customer)s” now belongs to %(owner)s.") % {
        "customer": customer.name,
        "owner": owner.get_full_name() or owner.username,
    }
    return _row_answer(request, customer_id, done, taken=customer)


@page("POST")
def customer_release(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    form = ReleaseForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            pool.release_customer(
                request.actor,
                customer.pk,
                form.cleaned_data["version"],
                form.cleaned_data["reason"],
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except Conflict as conflict:
            customer.refresh_from_db()
            form = ReleaseForm(initial={"reason": form.cleaned_data["reason"]})
            form.add_error(None, str(conflict.detail))
            status = 409
        else:
            messages.success(
                request,
                _("“%(customer)s” is in the public pool now.") % {"customer": customer.name},
            )
            if visible(Customer, request.actor).filter(pk=customer.pk).exists():
                return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
            return HttpResponseRedirect(reverse("customers:pool"))
    context = detail_context(request, customer)
    context["release_form"] = form
    return render(request, "customers/customer_detail.html", context, status=status)


@page()
def pool_history(request: PageRequest) -> HttpResponse:
    form = HistoryForm(request.GET)
    events: list[Any] = []
    next_cursor = None
    if form.is_valid():
        filters = pool_queries.PoolEventFilter(kind=form.cleaned_data["kind"] or None)
        rows = pool_queries.events(request.actor, filters)
        events, next_cursor = keyset_page(rows, "-id", form.cleaned_data["cursor"] or None, 50)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "events": events,
        "next_url": f"?{_with(query, cursor=next_cursor)}" if next_cursor else "",
        "first_url": f"?{query.urlencode()}" if request.GET.get("cursor") else "",
    }
    return render(request, "customers/pool_history.html", context)


@page("GET", "POST")
def pool_rules(request: PageRequest) -> HttpResponse:
    require_admin(request.actor)
    rules = pool.rules_of(request.actor.workspace_id)
    initial = {name: getattr(rules, name) for name in RulesForm().fields if name != "version"}
    initial["version"] = rules.version
    if request.method == "GET":
        return _rules_page(request, RulesForm(initial=initial))
    form = RulesForm(request.POST)
    if form.is_valid():
        try:
            pool.update_rules(request.actor, form.cleaned_data["version"], form.service_data())
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except Conflict:
            fresh = pool.rules_of(request.actor.workspace_id)
            initial = {name: getattr(fresh, name) for name in initial if name != "version"}
            form = RulesForm(initial={**initial, "version": fresh.version})
            form.add_error(None, _("Someone else saved these rules meanwhile; here they are."))
            return _rules_page(request, form, status=409)
        else:
            messages.success(request, _("The pool rules are saved."))
            return HttpResponseRedirect(reverse("customers:pool_rules"))
    return _rules_page(request, form, status=422)


def _rules_page(request: PageRequest, form: RulesForm, *, status: int = 200) -> HttpResponse:
    return render(request, "customers/pool_rules.html", {"form": form}, status=status)
