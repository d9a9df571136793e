"""Moving a deal from the board or the deal page: to a stage, won, or lost.

One request does the whole move: the fields and checklist items the move dialog asked for
are saved and the deal is moved in the same transaction, so a refused move saves nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from salesflow.core.errors import Conflict, FieldError, ValidationFailed
from salesflow.pipeline import queries
from salesflow.pipeline.forms import ExitCriteriaForm, asked_by
from salesflow.pipeline.models import Deal, StageKind
from salesflow.pipeline.services import deals as deal_services
from salesflow.pipeline.views.board import board_columns, read_board
from salesflow.pipeline.views.deal import deal_answer, version_of
from salesflow.web.pages import PageRequest, page

OUTCOMES = (StageKind.WON, StageKind.LOST)


def _move(request: PageRequest, deal: Deal, target: str, form: ExitCriteriaForm) -> Deal:
    actor, version = request.actor, version_of(request)
    with transaction.atomic():
        changes = form.changes()
        if changes:
            version = deal_services.update_deal(actor, deal.pk, version, changes).version
        if target in OUTCOMES:
            return deal_services.close_deal(
                actor,
                deal.pk,
                outcome=target,
                reason=request.POST.get("reason") or None,
                note=request.POST.get("note", ""),
                version=version,
            )
        stage_id = int(target) if target.isdigit() else None
        return deal_services.move_deal(actor, deal.pk, stage_id, version)  # type: ignore[arg-type]


@page("POST")
def move_deal(request: PageRequest, deal_id: int) -> HttpResponse:
    """Move, close won or close lost; ask in a dialog for whatever the move still needs."""
    deal = queries.deal_page(request.actor, deal_id)
    target = request.POST.get("target", "")
    asked = request.POST.getlist("ask")
    form = ExitCriteriaForm(request.actor, deal, asked, request.POST)
    if not form.is_valid():
        return _dialog(request, deal, target=target, form=form, asked=asked)
    try:
        moved = _move(request, deal, target, form)
    except Conflict:
        message = _("This deal was changed by someone else. Here it is as it stands now.")
        return _refused(request, deal, target, message, 409)
    except ValidationFailed as failed:
        wanted = asked_by(failed.errors)
        needs_reason = target == StageKind.LOST and any(e.field == "reason" for e in failed.errors)
        if not wanted and not needs_reason:
            message = " ".join(str(e.message) for e in failed.errors)
            return _refused(request, deal, target, message, 422)
        form = ExitCriteriaForm(request.actor, deal, [*asked, *wanted], request.POST)
        form.is_valid()
        for error in failed.errors:
            if error.field in form.fields:
                form.add_error(error.field, str(error.message))
        return _dialog(
            request, deal, target=target, form=form, asked=list(form.fields), errors=failed.errors
        )
    return _moved(request, deal, moved)


def _dialog(
    request: PageRequest,
    deal: Deal,
    *,
    target: str,
    form: ExitCriteriaForm,
    asked: list[str],
    errors: list[FieldError] | None = None,
) -> HttpResponse:
    """The move dialog: exactly the missing fields and items, or the lost reason."""
    target_stage = next((s for s in deal.pipeline.stages.all() if str(s.pk) == target), None)
    context: dict[str, Any] = {
        "deal": deal,
        "form": form,
        "asked": asked,
        "target": target,
        "target_stage": target_stage,
        "posted": request.POST,
        "version": request.POST.get("version", ""),
        "move_url": request.get_full_path(),
        "lost_reasons": queries.active_lost_reasons(request.actor),
        "reason_error": next((e.message for e in errors or [] if e.field == "reason"), None),
    }
    response = render(request, "pipeline/_move_dialog.html", context, status=422)
    response["HX-Retarget"] = "#move-dialog-slot"
    response["HX-Reswap"] = "innerHTML"
    return response


def _refused(
    request: PageRequest, deal: Deal, target: str, message: str, status: int
) -> HttpResponse:
    """Nothing was written: show why and the deal as it now stands, never the client's copy."""
    if request.POST.get("context") != "board":
        return deal_answer(request, deal.pk, status=status, message=message)
    board = read_board(request, deal.pipeline_id)
    current = queries.deal_page(request.actor, deal.pk)
    stage_ids = {current.stage_id, deal.stage_id}
    for value in (target, request.POST.get("from_stage", "")):
        if value.isdigit():
            stage_ids.add(int(value))
    context = {
        "columns": board_columns(request.actor, board, stage_ids),
        "stages": board.stages,
        "query": board.query,
    }
    response = render(request, "pipeline/_refresh.html", context, status=status)
    response["HX-Reswap"] = "none"
    response["HX-Trigger"] = json.dumps(
        {"toast": {"text": message, "kind": "error"}, "boardRefreshed": {"deal": deal.pk}}
    )
    return response


def _moved(request: PageRequest, before: Deal, moved: Deal) -> HttpResponse:
    if request.POST.get("context") != "board":
        message = _("Moved to “%(stage)s”.") % {"stage": moved.stage.name}
        return deal_answer(request, moved.pk, message=message)
    board = read_board(request, moved.pipeline_id)
    columns = board_columns(request.actor, board, {before.stage_id, moved.stage_id})
    deal = queries.deal_page(request.actor, moved.pk)
    is_open = deal.stage.kind == StageKind.OPEN
    # The card as its column shows it; none when the board's filters leave the deal out.
    card = next((c for col in columns for c in col.cards if c.pk == deal.pk), None)
    context = {
        "deal": card,
        "columns": columns,
        "stages": board.stages,
        "query": board.query,
    }
    response = render(request, "pipeline/_moved.html", context)
    response["HX-Retarget"] = f"#deal-{deal.pk}"
    response["HX-Reswap"] = "outerHTML"
    events: dict[str, Any] = {
        "dealMoved": {"deal": deal.pk, "stage": deal.stage_id, "open": is_open}
    }
    if deal.stage.kind == StageKind.WON:
        events["toast"] = {"text": _("“%(deal)s” won.") % {"deal": deal.name}}
    elif deal.stage.kind == StageKind.LOST:
        events["toast"] = {"text": _("“%(deal)s” lost.") % {"deal": deal.name}}
    response["HX-Trigger-After-Swap"] = json.dumps(events)
    return response
