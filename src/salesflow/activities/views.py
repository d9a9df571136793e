"""Activity pages: my tasks by due date, marking them done, rescheduling, quick logging."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities import queries, services
from salesflow.activities.forms import DoneForm, QuickLogForm, RescheduleForm
from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.customers import queries as customer_queries
from salesflow.customers.forms import show_service_errors
from salesflow.customers.views import customer_deals, detail_context
from salesflow.web.pages import PageRequest, fragment_or_page, page


def _member(request: PageRequest) -> tuple[User, list[User]]:
    """Whose tasks to show: mine, or those of a member a manager or admin sees."""
    members = list(customer_queries.assignable_owners(request.actor))
    chosen = request.GET.get("member") or request.POST.get("member")
    for member in members:
        if str(member.pk) == chosen:
            return member, members
    return request.actor.user, members


def _tasks(
    request: PageRequest, *, message: str = "", status: int = 200, toast: str = ""
) -> HttpResponse:
    member, members = _member(request)
    context: dict[str, Any] = {
        "member": member,
        "members": members if len(members) > 1 else [],
        "groups": queries.open_tasks(request.actor, member.pk),
        "message": message,
    }
    response = fragment_or_page(
        request, "activities/_tasks.html", "activities/activity_list.html", context
    )
    response.status_code = status
    if toast:
        response.headers["HX-Trigger"] = json.dumps({"toast": {"text": toast}})
    return response


@page()
def activity_list(request: PageRequest) -> HttpResponse:
    return _tasks(request)


def _after_write(request: PageRequest, toast: str) -> HttpResponse:
    if request.htmx:
        return _tasks(request, toast=toast)
    target = reverse("activities:list")
    member = request.POST.get("member")
    return HttpResponseRedirect(f"{target}?member={member}" if member else target)


@page("POST")
def mark_done(request: PageRequest, activity_id: int) -> HttpResponse:
    activity = queries.activity(request.actor, activity_id)
    form = DoneForm(request.POST)
    if not form.is_valid():
        return _tasks(request, message=_("The outcome could not be saved."), status=422)
    data = {"done_at": timezone.now(), "outcome": form.cleaned_data["outcome"]}
    try:
        services.update_activity(request.actor, activity.pk, form.cleaned_data["version"], data)
    except Conflict:
        return _tasks(request, message=_conflict_message(activity.subject), status=409)
    except ValidationFailed as failed:
        return _tasks(request, message=_first_error(failed), status=422)
    return _after_write(request, _("Marked done: %(subject)s") % {"subject": activity.subject})


@page("POST")
def reschedule(request: PageRequest, activity_id: int) -> HttpResponse:
    activity = queries.activity(request.actor, activity_id)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return _tasks(request, message=_("Choose a valid new date and time."), status=422)
    data = {"due_at": form.cleaned_data["due_at"]}
    try:
        services.update_activity(request.actor, activity.pk, form.cleaned_data["version"], data)
    except Conflict:
        return _tasks(request, message=_conflict_message(activity.subject), status=409)
    except ValidationFailed as failed:
        return _tasks(request, message=_first_error(failed), status=422)
    return _after_write(request, _("Rescheduled: %(subject)s") % {"subject": activity.subject})


def _conflict_message(subject: str) -> str:
    return _(
        "“%(subject)s” was changed by someone else meanwhile, so nothing was saved. "
        "The list below shows it as it is now; try again."
    ) % {"subject": subject}


def _first_error(failed: ValidationFailed) -> str:
    return str(failed.errors[0].message) if failed.errors else str(failed.detail)


@page("POST")
def log_activity(request: PageRequest, customer_id: int) -> HttpResponse:
    """The customer 360 page's quick form: the new entry goes on top of the timeline."""
    customer = customer_queries.customer(request.actor, customer_id)
    deals = customer_deals(request, customer)
    form = QuickLogForm(request.POST, deals=deals)
    if form.is_valid():
        try:
            activity = services.create_activity(request.actor, form.service_data(customer.pk))
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        else:
            if not request.htmx:
                return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]))
            context = {
                "activity": activity,
                "customer": customer,
                "log_form": QuickLogForm(deals=deals),
            }
            return render(request, "activities/_logged.html", context)
    if request.htmx:
        response = render(
            request,
            "activities/_quick_log.html",
            {"customer": customer, "log_form": form},
            status=422,
        )
        response.headers["HX-Retarget"] = "#quick-log"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    context = detail_context(request, customer, form)
    return render(request, "customers/customer_detail.html", context, status=422)
