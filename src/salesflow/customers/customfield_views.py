"""The admin's custom field settings: list, add, edit, reorder and archive, per record type.

Each view parses a form, calls one service and renders; a refused write re-renders the page
with the service's messages beside the fields (422) or with the fresh state (409).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.core.forms import VersionForm
from salesflow.core.scoping import Actor, get_visible, require_admin
from salesflow.customers import customfield_services as services
from salesflow.customers.customfield_forms import CustomFieldForm
from salesflow.customers.customfields import visible_definitions
from salesflow.customers.models import CustomField, CustomFieldEntity
from salesflow.web.pages import PageRequest, page

CONFLICT = 409
INVALID = 422


def _admin(request: PageRequest) -> Actor:
    require_admin(request.actor)
    return request.actor


def _entity(value: str | None) -> str:
    return value if value in CustomFieldEntity.values else CustomFieldEntity.CUSTOMER


def _to_list(entity: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('customfields:list')}?entity={entity}")


def _list_page(
    request: PageRequest, entity: str, status: int = 200, **context: Any
) -> HttpResponse:
    actor = _admin(request)
    fields = list(visible_definitions(actor, entity))
    context = {
        "entity": entity,
        "entities": CustomFieldEntity.choices,
        "fields": fields,
        **context,
    }
    return render(request, "customers/customfield_list.html", context, status=status)


@page()
def field_list(request: PageRequest) -> HttpResponse:
    return _list_page(request, _entity(request.GET.get("entity")))


def _edit_page(
    request: PageRequest,
    form: CustomFieldForm,
    entity: str,
    field: CustomField | None,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    context = {"form": form, "entity": entity, "field": field, **context}
    return render(request, "customers/customfield_edit.html", context, status=status)


@page("GET", "POST")
def field_create(request: PageRequest) -> HttpResponse:
    actor = _admin(request)
    entity = _entity(request.GET.get("entity"))
    if request.method == "GET":
        return _edit_page(request, CustomFieldForm(), entity, None)
    form = CustomFieldForm(request.POST)
    if form.is_valid():
        try:
            services.create_field(actor, {"entity": entity, **form.data_for_service()})
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _to_list(entity)
    return _edit_page(request, form, entity, None, INVALID)


@page("GET", "POST")
def field_edit(request: PageRequest, field_id: int) -> HttpResponse:
    actor = _admin(request)
    field = get_visible(CustomField, actor, field_id)
    if request.method == "GET":
        return _edit_page(request, CustomFieldForm(field=field), field.entity, field)
    form = CustomFieldForm(request.POST, field=field)
    if form.is_valid():
        try:
            services.update_field(
                actor, field.pk, form.cleaned_data["version"], form.data_for_service()
            )
        except Conflict:
            field.refresh_from_db()
            message = _(
                "Someone else changed this field while you were editing it. Nothing was "
                "saved: here it is as it is now."
            )
            fresh = CustomFieldForm(field=field)
            return _edit_page(request, fresh, field.entity, field, CONFLICT, error=message)
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _to_list(field.entity)
    return _edit_page(request, form, field.entity, field, INVALID)


@page("POST")
def field_move(request: PageRequest, field_id: int) -> HttpResponse:
    """Move one field up or down among the fields of its record type."""
    actor = _admin(request)
    field = get_visible(CustomField, actor, field_id)
    ids = list(visible_definitions(actor, field.entity).values_list("pk", flat=True))
    at = ids.index(field.pk)
    to = at - 1 if request.POST.get("direction") == "up" else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
        services.reorder_fields(actor, field.entity, ids)
    return _to_list(field.entity)


@page("POST")
def field_archive(request: PageRequest, field_id: int) -> HttpResponse:
    """Archive a field (hidden from forms, values kept) or bring it back."""
    actor = _admin(request)
    field = get_visible(CustomField, actor, field_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _list_page(request, field.entity, INVALID, error=_("Reload the page and try again."))
    archived = request.POST.get("archived") == "1"
    try:
        services.update_field(actor, field.pk, form.cleaned_data["version"], {"archived": archived})
    except Conflict as conflict:
        return _list_page(request, field.entity, CONFLICT, error=conflict.detail)
    return _to_list(field.entity)


@page("POST")
def field_delete(request: PageRequest, field_id: int) -> HttpResponse:
    actor = _admin(request)
    field = get_visible(CustomField, actor, field_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _list_page(request, field.entity, INVALID, error=_("Reload the page and try again."))
    try:
        services.delete_field(actor, field.pk, form.cleaned_data["version"])
    except Conflict as conflict:
        return _list_page(request, field.entity, CONFLICT, error=conflict.detail)
    except ValidationFailed as failure:
        message = "; ".join(str(e.message) for e in failure.errors)
        why = _("%(name)s was not deleted: %(why)s") % {"name": field.label, "why": message}
        return _list_page(request, field.entity, INVALID, error=why)
    return _to_list(field.entity)
