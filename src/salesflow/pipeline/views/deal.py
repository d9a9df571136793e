"""The deal page: header, stage path, exit criteria, playbook, fields, timeline and history."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.errors import Conflict, Forbidden, ValidationFailed
from salesflow.core.scoping import Actor
from salesflow.customers import customfields
from salesflow.pipeline import queries
from salesflow.pipeline.forms import DealForm
from salesflow.pipeline.models import Deal, StageKind
from salesflow.pipeline.services import deals as deal_services
from salesflow.web.pages import PageRequest, page

EXIT_FIELD_LABELS = {
    "amount": gettext_lazy("Amount"),
    "expected_close_date": gettext_lazy("Expected close date"),
    "contact": gettext_lazy("Contact"),
    "next_step": gettext_lazy("Next step"),
}


def version_of(request: PageRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def deal_context(actor: Actor, deal: Deal, form: DealForm | None = None) -> dict[str, Any]:
    stages = list(deal.pipeline.stages.all())
    stage = deal.stage
    missing = {e.field for e in deal_services.exit_blockers(deal, [stage])}
    ticked = set((deal.checklist or {}).get(str(stage.pk), []))
    exit_fields = [
        {
            "label": EXIT_FIELD_LABELS.get(name, name),
            "met": deal_services.EXIT_FIELD_ATTR.get(name, name) not in missing,
        }
        for name in stage.exit_fields
    ]
    return {
        "deal": deal,
        "stage": stage,
        "is_open": stage.kind == StageKind.OPEN,
        "open_stages": [s for s in stages if s.kind == StageKind.OPEN],
        "exit_fields": exit_fields,
        "checklist": [{"item": item, "ticked": item in ticked} for item in stage.exit_checklist],
        "form": form or DealForm(actor, deal),
        "activities": queries.deal_activities(actor, deal),
        "history": queries.stage_history(actor, deal),
        "lost_reasons": queries.active_lost_reasons(actor),
        "custom_values": customfields.shown(
            customfields.definitions(actor.workspace_id, "deal"), deal.custom
        ),
    }


def deal_answer(
    request: PageRequest,
    deal_id: int,
    *,
    status: int = 200,
    message: str = "",
    form: DealForm | None = None,
) -> HttpResponse:
    """The deal as it now stands, with a message: the fragment for HTMX, else the page."""
    if status == 200 and not request.htmx and request.method == "POST":
        return HttpResponseRedirect(reverse("pipeline:deal", args=[deal_id]))
    deal = queries.deal_page(request.actor, deal_id)
    context = {
        **deal_context(request.actor, deal, form),
        "message": message,
        "message_kind": "error" if status >= 400 else "success",
    }
    template = "pipeline/_deal_body.html" if request.htmx else "pipeline/deal.html"
    response = render(request, template, context, status=status)
    if request.htmx:
        response["HX-Retarget"] = "#deal-body"
        response["HX-Reswap"] = "outerHTML"
    return response


@page()
def deal_page(request: PageRequest, deal_id: int) -> HttpResponse:
    deal = queries.deal_page(request.actor, deal_id)
    return render(request, "pipeline/deal.html", deal_context(request.actor, deal))


@page("POST")
def edit_deal(request: PageRequest, deal_id: int) -> HttpResponse:
    """Save the fields changed in the deal's form; each refused field keeps its message."""
    deal = queries.deal_page(request.actor, deal_id)
    form = DealForm(request.actor, deal, request.POST)
    if not form.is_valid():
        return deal_answer(request, deal_id, status=422, form=form)
    try:
        deal_services.update_deal(request.actor, deal.pk, version_of(request), form.changes())
    except Conflict as conflict:
        return deal_answer(request, deal_id, status=409, message=str(conflict.detail))
    except ValidationFailed as failed:
        form.add_errors(failed.errors)
        return deal_answer(request, deal_id, status=422, form=form)
    except Forbidden as forbidden:
        form.add_error("owner_id", str(forbidden.detail))
        return deal_answer(request, deal_id, status=422, form=form)
    return deal_answer(request, deal_id, message=_("Saved."))


@page("POST")
def tick_checklist(request: PageRequest, deal_id: int) -> HttpResponse:
    """Tick or untick one item of the current stage's checklist."""
    deal = queries.deal_page(request.actor, deal_id)
    item = request.POST.get("item", "")
    key = str(deal.stage_id)
    checklist = {k: list(v) for k, v in (deal.checklist or {}).items()}
    ticked = [i for i in checklist.get(key, []) if i != item]
    checklist[key] = [*ticked, item] if request.POST.get("ticked") else ticked
    try:
        deal_services.update_deal(
            request.actor, deal.pk, version_of(request), {"checklist": checklist}
        )
    except Conflict as conflict:
        return deal_answer(request, deal_id, status=409, message=str(conflict.detail))
    except ValidationFailed as failed:
        message = " ".join(str(e.message) for e in failed.errors)
        return deal_answer(request, deal_id, status=422, message=message)
    return deal_answer(request, deal_id)


@page("POST")
def reopen_deal(request: PageRequest, deal_id: int) -> HttpResponse:
    deal = queries.deal_page(request.actor, deal_id)
    try:
        deal_services.reopen_deal(request.actor, deal.pk, version=version_of(request))
    except Conflict as conflict:
        return deal_answer(request, deal_id, status=409, message=str(conflict.detail))
    except ValidationFailed as failed:
        message = " ".join(str(e.message) for e in failed.errors)
        return deal_answer(request, deal_id, status=422, message=message)
    return deal_answer(request, deal_id, message=_("Reopened."))
