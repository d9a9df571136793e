"""Pages for categories and tags: the category tree page (with the workspace's tags), a
customer's tags on its page, and changes to the customers selected on the list.

Every write on the tree page answers an HTMX request with the page's fragment, carrying the
service's message when it refused (422) or someone changed the record first (409); without
HTMX it goes back to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.core.models import Role
from salesflow.customers import categories, queries, tags
from salesflow.customers.organise_forms import (
    CategoryAddForm,
    CategoryMoveForm,
    CategoryRenameForm,
    CategoryStepForm,
    CustomerTagForm,
    SelectionForm,
    TagForm,
    VersionForm,
    category_choices,
)
from salesflow.web.pages import PageRequest, page

INVALID = 422
CONFLICT = 409


def can_manage(request: PageRequest) -> bool:
    return request.actor.role in (Role.ADMIN, Role.MANAGER)


def _messages(failure: ValidationFailed) -> str:
    return " ".join(str(error.message) for error in failure.errors)


def _page(request: PageRequest, status: int = 200, **context: Any) -> HttpResponse:
    actor = request.actor
    roots = categories.tree(actor, counts=True)
    choices = category_choices(actor)
    context = {
        "roots": roots,
        "tags": tags.tags(actor),
        "can_manage": can_manage(request),
        "add_form": context.pop("add_form", None) or CategoryAddForm(),
        "move_form": context.pop("move_form", None) or CategoryMoveForm(choices=choices),
        "tag_form": context.pop("tag_form", None) or TagForm(),
        **context,
    }
    template = (
        "customers/_organise.html"
        if request.htmx and not request.htmx.boosted
        else "customers/categories.html"
    )
    return render(request, template, context, status=status)


def _write(request: PageRequest, form: Any, save: Callable[[], object], done: str) -> HttpResponse:
    """Run one service call for a valid form and answer with the page (or its fragment)."""
    if not form.is_valid():
        errors = [
            f"{form[name].label}: {e}" if name in form.fields else str(e)
            for name, es in form.errors.items()
            for e in es
        ]
        return _page(request, INVALID, error=" ".join(errors))
    try:
        save()
    except ValidationFailed as failure:
        return _page(request, INVALID, error=_messages(failure))
    except Conflict:
        return _page(
            request,
            CONFLICT,
            error=_("Someone else changed this meanwhile; here is the tree as it is now."),
        )
    if not request.htmx:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("customers:categories"))
    return _page(request, done=done)


@page()
def categories_page(request: PageRequest) -> HttpResponse:
    return _page(request)


@page("POST")
def category_add(request: PageRequest) -> HttpResponse:
    form = CategoryAddForm(request.POST)
    return _write(
        request,
        form,
        lambda: categories.create_category(
            request.actor,
            {"name": form.cleaned_data["name"], "parent_id": form.cleaned_data["parent"]},
        ),
        _("Category added."),
    )


@page("POST")
def category_rename(request: PageRequest, category_id: int) -> HttpResponse:
    form = CategoryRenameForm(request.POST)
    return _write(
        request,
        form,
        lambda: categories.rename_category(
            request.actor,
            category_id,
            form.cleaned_data["version"],
            {"name": form.cleaned_data["name"]},
        ),
        _("Category renamed."),
    )


@page("POST")
def category_move(request: PageRequest) -> HttpResponse:
    form = CategoryMoveForm(request.POST, choices=category_choices(request.actor))
    return _write(
        request,
        form,
        lambda: categories.move_category(
            request.actor, form.cleaned_data["category"], None, form.cleaned_data["parent"]
        ),
        _("Category moved."),
    )


@page("POST")
def category_step(request: PageRequest, category_id: int) -> HttpResponse:
    """Up or down one place among its siblings."""
    category = categories.category(request.actor, category_id)
    form = CategoryStepForm(request.POST)
    return _write(
        request,
        form,
        lambda: categories.move_category(
            request.actor,
            category.pk,
            form.cleaned_data["version"],
            category.parent_id,
            form.cleaned_data["position"],
        ),
        _("Category moved."),
    )


@page("POST")
def category_delete(request: PageRequest, category_id: int) -> HttpResponse:
    form = VersionForm(request.POST)
    return _write(
        request,
        form,
        lambda: categories.delete_category(
            request.actor, category_id, form.cleaned_data["version"]
        ),
        _("Category deleted."),
    )


def _tag_data(form: TagForm) -> dict[str, Any]:
    return {"name": form.cleaned_data["name"], "colour": form.cleaned_data["colour"]}


@page("POST")
def tag_add(request: PageRequest) -> HttpResponse:
    form = TagForm(request.POST)
    return _write(
        request, form, lambda: tags.create_tag(request.actor, _tag_data(form)), _("Tag added.")
    )


@page("POST")
def tag_edit(request: PageRequest, tag_id: int) -> HttpResponse:
    form = TagForm(request.POST)
    return _write(
        request,
        form,
        lambda: tags.update_tag(
            request.actor, tag_id, form.cleaned_data["version"], _tag_data(form)
        ),
        _("Tag saved."),
    )


@page("POST")
def tag_delete(request: PageRequest, tag_id: int) -> HttpResponse:
    form = VersionForm(request.POST)
    return _write(
        request,
        form,
        lambda: tags.delete_tag(request.actor, tag_id, form.cleaned_data["version"]),
        _("Tag deleted."),
    )


# A customer's tags, on its page


def _customer_tags(
    request: PageRequest, customer_id: int, status: int = 200, **context: Any
) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    if not request.htmx:
        return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
    context = {
        "customer": customer,
        "customer_tags": customer.tags.all(),
        "tag_form": context.pop("tag_form", None) or CustomerTagForm(),
        "known_tags": tags.tags(request.actor),
        **context,
    }
    return render(request, "customers/_customer_tags.html", context, status=status)


@page("POST")
def customer_tag_add(request: PageRequest, customer_id: int) -> HttpResponse:
    form = CustomerTagForm(request.POST)
    if form.is_valid():
        try:
            tags.tag_customer_by_name(request.actor, customer_id, form.cleaned_data["name"])
        except ValidationFailed as failure:
            form.add_error("name", _messages(failure))
        else:
            return _customer_tags(request, customer_id)
    return _customer_tags(request, customer_id, INVALID, tag_form=form)


@page("POST")
def customer_tag_remove(request: PageRequest, customer_id: int, tag_id: int) -> HttpResponse:
    tags.untag_customer(request.actor, customer_id, tag_id)
    return _customer_tags(request, customer_id)


# The customers selected on the list


@page("POST")
def selection(request: PageRequest) -> HttpResponse:
    """Move the checked customers to a category, or add or remove a tag, then go back to
    the list as it was (its filters and page)."""
    actor = request.actor
    form = SelectionForm(request.POST, actor=actor)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    back = back or reverse("customers:list")
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected customers."))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    action, ids = data["action"], data["customer"]
    try:
        if action == "move":
            count = categories.move_customers(actor, ids, data["category"])
            text = ngettext("Moved %(count)s customer.", "Moved %(count)s customers.", count)
        elif data["tag"] is None:
            raise ValidationFailed.one("tag_id", _("Choose a tag."))
        elif action == "tag":
            count = tags.tag_customers(actor, ids, data["tag"])
            text = ngettext("Tagged %(count)s customer.", "Tagged %(count)s customers.", count)
        else:
            count = tags.untag_customers(actor, ids, data["tag"])
            text = ngettext(
                "Removed the tag from %(count)s customer.",
                "Removed the tag from %(count)s customers.",
                count,
            )
    except ValidationFailed as failure:
        messages.error(request, _messages(failure))
    else:
        messages.success(request, text % {"count": count})
    return HttpResponseRedirect(back)
