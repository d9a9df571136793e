"""Customer pages: the list, the create and edit forms, contacts and the customer 360 page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from salesflow.activities import queries as activity_queries
from salesflow.activities.forms import QuickLogForm
from salesflow.core.errors import Conflict, NotFound, ValidationFailed
from salesflow.core.pagination import page_of
from salesflow.core.scoping import visible
from salesflow.customers import (
    customfields,
    organise_forms,
    pool_queries,
    queries,
    services,
    shortcuts,
    tags,
)
from salesflow.customers.duplicates import Duplicate, DuplicateFound
from salesflow.customers.forms import (
    CUSTOMER_FORM_FIELDS,
    INITIAL_CHOICES,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    show_service_errors,
)
from salesflow.customers.models import Contact, Customer
from salesflow.customers.organise_forms import CustomerTagForm
from salesflow.customers.protection_views import protection_context
from salesflow.pipeline.models import Deal
from salesflow.web.pages import PageRequest, fragment_or_page, page

PAGE_SIZE = 25
FACETS = ("industry", "region", "source_channel")


@page()
def customer_list(request: PageRequest) -> HttpResponse:
    actor = request.actor
    columns = customfields.list_columns(actor, "customer")
    form = CustomerFilterForm(
        request.GET,
        owners=queries.assignable_owners(actor),
        facets={name: queries.facet_values(actor, name) for name in FACETS},
        custom_fields=columns,
    )
    organise_forms.add_filter_fields(form, actor)
    customers: list[Customer] = []
    next_cursor = None
    if form.is_valid():
        chosen = form.cleaned_data
        filters = queries.CustomerFilter(
            owner_id=chosen["owner"].pk if chosen["owner"] else None,
            category_id=chosen["category"],
            tag_id=chosen.get("tag") or None,
            revenue_min=chosen["revenue_min"],
            potential_min=chosen["potential_min"],
            fit_min=chosen["fit_min"],
            **{
                name: chosen[name] or None
                for name in ("q", "initial", "tier", "lifecycle", "kind", *FACETS)
            },
        )
        rows = queries.customers(actor, filters, customfields.filter_params(chosen))
        if isinstance(rows, QuerySet):
            rows = rows.select_related("owner")
        customers, next_cursor = page_of(
            rows, chosen["sort"] or "name", chosen["cursor"], PAGE_SIZE
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "letters": _letters(query),
        "customers": customers,
        "columns": columns,
        "pinned_ids": shortcuts.pinned_ids(actor, [customer.pk for customer in customers]),
        "next_url": f"?{_with(query, cursor=next_cursor)}" if next_cursor else "",
        "first_url": f"?{query.urlencode()}" if request.GET.get("cursor") else "",
        "selection_form": organise_forms.SelectionForm(
            actor=actor, initial={"next": request.get_full_path()}
        ),
    }
    return fragment_or_page(
        request, "customers/_results.html", "customers/customer_list.html", context
    )


def _letters(query: Any) -> list[tuple[str, str, bool]]:
    """The A–Z bar: each letter's label, the list narrowed to it, and whether it is chosen."""
    chosen = query.get("initial", "")
    return [
        (str(label), f"?{_with(query, initial=letter)}", letter == chosen)
        for letter, label in INITIAL_CHOICES
    ]


def _with(query: Any, **values: str) -> str:
    query = query.copy()
    for name, value in values.items():
        query[name] = value
    return str(query.urlencode())


@page("GET", "POST")
def customer_create(request: PageRequest) -> HttpResponse:
    owners = queries.assignable_owners(request.actor)
    fields = customfields.definitions(request.actor.workspace_id, "customer", active_only=True)
    if request.method == "GET":
        initial = {"owner": request.actor.user_id}
        form = CustomerForm(owners=owners, initial=initial, custom_fields=fields)
        organise_forms.add_customer_fields(form, request.actor)
        return _customer_form(request, form, None)
    form = CustomerForm(request.POST, owners=owners, custom_fields=fields)
    organise_forms.add_customer_fields(form, request.actor)
    if form.is_valid():
        try:
            data = form.service_data() | organise_forms.customer_data(form)
            customer = services.create_customer(
                request.actor, data, allow_duplicate=_allowed(request)
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except DuplicateFound as found:
            return _customer_form(request, form, None, status=409, duplicates=found.duplicates)
        else:
            return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    return _customer_form(request, form, None, status=422)


def _allowed(request: PageRequest) -> bool:
    """The member saw the possible duplicates and chose to save anyway."""
    return request.POST.get("allow_duplicate") == "1"


@page("GET", "POST")
def customer_edit(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    owners = queries.assignable_owners(request.actor) | _owner_of(customer)
    fields = customfields.definitions(request.actor.workspace_id, "customer", active_only=True)
    custom = {"custom_fields": fields, "custom_values": customer.custom}
    if request.method == "GET":
        initial = {name: getattr(customer, name) for name in CUSTOMER_FORM_FIELDS}
        initial.update(owner=customer.owner_id, version=customer.version)
        initial.update(organise_forms.customer_initial(customer))
        form = CustomerForm(owners=owners, initial=initial, **custom)
        organise_forms.add_customer_fields(form, request.actor)
        if customer.owner_id is None:
            form.in_pool()
        return _customer_form(request, form, customer)
    form = CustomerForm(request.POST, owners=owners, initial={"owner": customer.owner_id}, **custom)
    organise_forms.add_customer_fields(form, request.actor)
    if customer.owner_id is None:
        form.in_pool()
    if form.is_valid():
        try:
            data = form.service_data() | organise_forms.customer_data(form)
            services.update_customer(
                request.actor,
                customer.pk,
                form.cleaned_data["version"],
                data,
                allow_duplicate=_allowed(request),
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except DuplicateFound as found:
            return _customer_form(request, form, customer, status=409, duplicates=found.duplicates)
        except Conflict:
            return _customer_form(request, form, customer, status=409, conflict=True)
        else:
            return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    return _customer_form(request, form, customer, status=422)


def _owner_of(customer: Customer) -> QuerySet[User]:
    """The current owner stays a valid choice even when the editor could not assign them."""
    if customer.owner_id is None:
        return User.objects.none()
    return User.objects.filter(pk=customer.owner_id)


def _customer_form(
    request: PageRequest,
    form: CustomerForm,
    customer: Customer | None,
    *,
    status: int = 200,
    conflict: bool = False,
    duplicates: list[Duplicate] | None = None,
) -> HttpResponse:
    context = {"form": form, "customer": customer, "conflict": conflict, "duplicates": duplicates}
    return render(request, "customers/customer_form.html", context, status=status)


@page()
def customer_detail(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    cursor = request.GET.get("before") or None
    context = detail_context(request, customer, cursor=cursor)
    if request.htmx and cursor:
        return render(request, "activities/_timeline_page.html", context)
    context["pinned"] = shortcuts.record_view(request.actor, customer).pinned_at is not None
    return render(request, "customers/customer_detail.html", context)


def detail_context(
    request: PageRequest,
    customer: Customer,
    log_form: QuickLogForm | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """What the customer 360 page shows; the quick log form may come back with errors."""
    deals = customer_deals(request, customer)
    activities, older = activity_queries.timeline(request.actor, customer.pk, cursor)
    workspace_id = request.actor.workspace_id
    return {
        "customer": customer,
        "customer_fields": customfields.shown(
            customfields.definitions(workspace_id, "customer"), customer.custom
        ),
        "contact_fields": customfields.definitions(workspace_id, "contact"),
        "customer_tags": customer.tags.all(),
        "known_tags": tags.tags(request.actor),
        "tag_form": CustomerTagForm(),
        "contacts": queries.customer_contacts(request.actor, customer),
        "deals": deals,
        "activities": activities,
        "older": older,
        "log_form": log_form or QuickLogForm(deals=deals),
        **protection_context(request, customer),
        "pool": pool_queries.panel(request.actor, customer),
    }


def customer_deals(request: PageRequest, customer: Customer) -> QuerySet[Deal]:
    return (
        visible(Deal, request.actor)
        .filter(customer=customer)
        .select_related("stage", "owner")
        .order_by("-created_at", "-id")
    )


@page("GET", "POST")
def contact_create(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    fields = customfields.definitions(request.actor.workspace_id, "contact", active_only=True)
    form = ContactForm(request.POST or None, custom_fields=fields)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_contact(
                request.actor,
                {"customer_id": customer.pk, **form.service_data()},
                allow_duplicate=_allowed(request),
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except DuplicateFound as found:
            return _contact_form(request, form, customer, None, duplicates=found.duplicates)
        else:
            return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    return _contact_form(request, form, customer, None)


@page("GET", "POST")
def contact_edit(request: PageRequest, customer_id: int, contact_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    contact = queries.contact(request.actor, contact_id)
    if contact.customer_id != customer.pk:
        raise NotFound()
    fields = customfields.definitions(request.actor.workspace_id, "contact", active_only=True)
    custom = {"custom_fields": fields, "custom_values": contact.custom}
    if request.method == "GET":
        form = ContactForm(initial=ContactForm.initial_of(contact), **custom)
        return _contact_form(request, form, customer, contact)
    form = ContactForm(request.POST, **custom)
    if form.is_valid():
        try:
            services.update_contact(
                request.actor,
                contact.pk,
                form.cleaned_data["version"],
                form.service_data(),
                allow_duplicate=_allowed(request),
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except DuplicateFound as found:
            return _contact_form(request, form, customer, contact, duplicates=found.duplicates)
        except Conflict:
            return _contact_form(request, form, customer, contact, conflict=True)
        else:
            return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    return _contact_form(request, form, customer, contact)


def _contact_form(
    request: PageRequest,
    form: ContactForm,
    customer: Customer,
    contact: Contact | None,
    *,
    conflict: bool = False,
    duplicates: list[Duplicate] | None = None,
) -> HttpResponse:
    status = 409 if conflict or duplicates else (422 if form.is_bound else 200)
    context = {
        "form": form,
        "customer": customer,
        "contact": contact,
        "conflict": conflict,
        "duplicates": duplicates,
    }
    return render(request, "customers/contact_form.html", context, status=status)
