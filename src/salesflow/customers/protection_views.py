"""Customer pages for locks, deleting to the trash, protected fields, and the admin's trash."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from salesflow.customers import locks, protected, queries, services, trash
from salesflow.customers.forms import show_service_errors
from salesflow.customers.models import Customer
from salesflow.web.pages import PageRequest, fragment_or_page, page

TRASH_PAGE_SIZE = 50


def protection_context(request: PageRequest, customer: Customer) -> dict[str, Any]:
    """What the customer 360 page shows of the lock and the protected fields."""
    return {
        "lock_text": locks.lock_text(request.actor, customer) if customer.locked_at else "",
        "protected_fields": [
            (field, protected.masked(customer, field.name))
            for field in protected.CUSTOMER_PROTECTED.values()
        ],
    }


def _to_detail(customer_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("customers:detail", args=[customer_id]))


@page("POST")
def customer_lock(request: PageRequest, customer_id: int) -> HttpResponse:
    locks.lock_customer(request.actor, customer_id)
    return _to_detail(customer_id)


@page("POST")
def customer_unlock(request: PageRequest, customer_id: int) -> HttpResponse:
    locks.unlock_customer(request.actor, customer_id)
    return _to_detail(customer_id)


@page("POST")
def customer_delete(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    try:
        services.delete_customer(request.actor, customer.pk)
    except Forbidden as refused:
        messages.error(request, str(refused.detail))
        return _to_detail(customer.pk)
    messages.success(
        request,
        gettext("“%(name)s” was moved to the trash. An admin can restore it for %(days)s days.")
        % {"name": customer.name, "days": trash.TRASH_DAYS},
    )
    return HttpResponseRedirect(reverse("customers:list"))


class ProtectedForm(forms.Form):
    """Blank keeps the stored value (which is never sent to the browser); "clear" empties it."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=protected.ID_NUMBER.max_length
    )
    clear_id_number = forms.BooleanField(label=_("Clear the ID number"), required=False)
    bank_account = forms.CharField(
        label=_("Bank account"), required=False, max_length=protected.BANK_ACCOUNT.max_length
    )
    clear_bank_account = forms.BooleanField(label=_("Clear the bank account"), required=False)
    private_notes = forms.CharField(
        label=_("Private notes"),
        required=False,
        max_length=protected.PRIVATE_NOTES.max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    clear_private_notes = forms.BooleanField(label=_("Clear the private notes"), required=False)

    def service_data(self) -> dict[str, str]:
        data = {}
        for name in protected.CUSTOMER_PROTECTED:
            if self.cleaned_data[f"clear_{name}"]:
                data[name] = ""
            elif self.cleaned_data[name].strip():
                data[name] = self.cleaned_data[name]
        return data


@page("GET", "POST")
def protected_edit(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    form = ProtectedForm(request.POST or None, initial={"version": customer.version})
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            services.update_customer(
                request.actor, customer.pk, form.cleaned_data["version"], form.service_data()
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        except Conflict:
            conflict = True
        else:
            return _to_detail(customer.pk)
    context = {
        "form": form,
        "customer": customer,
        "conflict": conflict,
        **protection_context(request, customer),
    }
    status = 409 if conflict else (422 if form.is_bound else 200)
    return render(request, "customers/protected_form.html", context, status=status)


class RevealForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), required=False, strip=False, widget=forms.PasswordInput
    )


@page("GET", "POST")
def reveal(request: PageRequest, customer_id: int, field: str) -> HttpResponse:
    """Ask for the password again, then show one protected value, never cached."""
    customer = queries.customer(request.actor, customer_id)
    spec = protected.CUSTOMER_PROTECTED.get(field)
    if spec is None:
        raise NotFound()
    form = RevealForm(request.POST or None)
    context: dict[str, Any] = {"customer": customer, "field": spec, "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            context["value"] = protected.reveal(
                request.actor, "customer", customer.pk, field, form.cleaned_data["password"]
            )
            context["revealed"] = True
        except ValidationFailed as failed:
            show_service_errors(form, failed)
            status = 422
    response = fragment_or_page(request, "customers/_reveal.html", "customers/reveal.html", context)
    response.status_code = status
    response["Cache-Control"] = "no-store"
    return response


@page()
def trash_list(request: PageRequest) -> HttpResponse:
    kind = request.GET.get("kind", trash.TrashKind.CUSTOMER)
    if kind not in trash.MODELS:
        kind = trash.TrashKind.CUSTOMER
    items, next_cursor = trash.trash_page(
        request.actor, kind, request.GET.get("cursor") or None, TRASH_PAGE_SIZE
    )
    context = {
        "kind": kind,
        "kinds": trash.TrashKind.choices,
        "items": items,
        "next_cursor": next_cursor,
        "days": trash.TRASH_DAYS,
    }
    return render(request, "customers/trash.html", context)


def _back_to_trash(kind: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('customers:trash')}?kind={kind}")


@page("POST")
def trash_restore(request: PageRequest, kind: str, item_id: int) -> HttpResponse:
    try:
        restored = trash.restore(request.actor, kind, item_id)
    except ValidationFailed as refused:
        messages.error(request, " ".join(str(e.message) for e in refused.errors))
    else:
        messages.success(
            request, gettext("“%(name)s” was restored.") % {"name": trash.label(restored)}
        )
    return _back_to_trash(kind)


@page("POST")
def trash_purge(request: PageRequest, kind: str, item_id: int) -> HttpResponse:
    try:
        trash.purge(request.actor, kind, item_id)
    except ValidationFailed as refused:
        messages.error(request, " ".join(str(e.message) for e in refused.errors))
    else:
        messages.success(request, gettext("Deleted for good."))
    return _back_to_trash(kind)
