"""The admin's settings pages: pipelines and their stages, members and the team tree.

Each view parses a form, calls one service and renders; a refused write re-renders the page
with the service's messages beside the fields (422) or with the fresh state (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Model, Prefetch, QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesflow.core import services as members
from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.core.forms import (
    MemberAddForm,
    MemberForm,
    PipelineCreateForm,
    PipelineRenameForm,
    SettingsForm,
    StageAddForm,
    StageForm,
    StageOrderForm,
    TeamEditForm,
    TeamForm,
    VersionForm,
)
from salesflow.core.models import Membership, Team
from salesflow.core.scoping import Actor, get_visible, require_admin, visible
from salesflow.pipeline.models import Pipeline, Stage
from salesflow.pipeline.services import pipelines
from salesflow.web.pages import PageRequest, page

CONFLICT = 409
INVALID = 422


def _admin(request: PageRequest) -> Actor:
    require_admin(request.actor)
    return request.actor


def _redirect(name: str, *args: object) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args))


def _save_edit(
    request: PageRequest,
    template: str,
    context: dict[str, Any],
    form: SettingsForm,
    *,
    save: Callable[[], object],
    record: Model,
    fresh_form: Callable[[], SettingsForm],
    conflict_message: str,
) -> HttpResponse:
    """Save a member or team edit and go back to the members page; a refused save re-renders
    the form with the service's messages (422) or, when someone saved first, the record as it
    is now (409)."""
    if form.is_valid():
        try:
            save()
        except Conflict:
            record.refresh_from_db()
            context["form"] = fresh_form()
            context["error"] = conflict_message
            return render(request, template, context, status=CONFLICT)
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:members")
    context["form"] = form
    return render(request, template, context, status=INVALID)


@page()
def overview(request: PageRequest) -> HttpResponse:
    _admin(request)
    return render(request, "core/settings.html")


# Pipelines


def _pipelines_page(request: PageRequest, status: int = 200, **context: Any) -> HttpResponse:
    actor = _admin(request)
    rows = visible(Pipeline, actor).annotate(
        stage_count=Count("stages", distinct=True), deal_count=Count("deals", distinct=True)
    )
    context.setdefault("create_form", PipelineCreateForm(language=request.LANGUAGE_CODE))
    return render(request, "core/pipelines.html", {"pipelines": rows, **context}, status=status)


@page("GET", "POST")
def pipeline_list(request: PageRequest) -> HttpResponse:
    actor = _admin(request)
    if request.method == "GET":
        return _pipelines_page(request)
    form = PipelineCreateForm(request.POST, language=request.LANGUAGE_CODE)
    if form.is_valid():
        template, name = form.cleaned_data["template"], form.cleaned_data["name"]
        try:
            if template:
                created = pipelines.install_template(
                    actor, template, language=request.LANGUAGE_CODE, name=name
                )
            else:
                created = pipelines.create_pipeline(actor, {"name": name})
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:pipeline", created.pk)
    return _pipelines_page(request, INVALID, create_form=form)


@page("POST")
def pipeline_default(request: PageRequest, pipeline_id: int) -> HttpResponse:
    actor = _admin(request)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _pipelines_page(request, INVALID, error=_("Reload the page and try again."))
    try:
        pipelines.update_pipeline(
            actor, pipeline.pk, form.cleaned_data["version"], {"is_default": True}
        )
    except Conflict as conflict:
        return _pipelines_page(request, CONFLICT, error=conflict.detail)
    return _redirect("core:pipelines")


@page("POST")
def pipeline_delete(request: PageRequest, pipeline_id: int) -> HttpResponse:
    actor = _admin(request)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _pipelines_page(request, INVALID, error=_("Reload the page and try again."))
    try:
        pipelines.delete_pipeline(actor, pipeline.pk, form.cleaned_data["version"])
    except Conflict as conflict:
        return _pipelines_page(request, CONFLICT, error=conflict.detail)
    except ValidationFailed as failure:
        message = "; ".join(str(e.message) for e in failure.errors)
        return _pipelines_page(
            request,
            INVALID,
            error=_("%(name)s was not deleted: %(why)s") % {"name": pipeline.name, "why": message},
        )
    return _redirect("core:pipelines")


# One pipeline and its stages


def _pipeline_page(
    request: PageRequest, pipeline_id: int, status: int = 200, **context: Any
) -> HttpResponse:
    actor = _admin(request)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    stages = list(
        visible(Stage, actor)
        .filter(pipeline=pipeline)
        .annotate(deal_count=Count("deals"))
        .order_by("position", "id")
    )
    context.setdefault(
        "rename_form",
        PipelineRenameForm(initial={"name": pipeline.name, "version": pipeline.version}),
    )
    context.setdefault("add_form", StageAddForm())
    context = {"pipeline": pipeline, "stages": stages, **context}
    template = (
        "core/_stage_list.html"
        if request.htmx and not request.htmx.boosted and status != INVALID
        else "core/pipeline.html"
    )
    if request.htmx and template == "core/_stage_list.html":
        context["moved"] = request.POST.get("moved", "")
        context["direction"] = request.POST.get("direction", "")
    return render(request, template, context, status=status)


@page("GET", "POST")
def pipeline_detail(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """The stages of a pipeline; a POST renames the pipeline."""
    actor = _admin(request)
    if request.method == "GET":
        return _pipeline_page(request, pipeline_id)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    form = PipelineRenameForm(request.POST)
    if form.is_valid():
        try:
            data = {"name": form.cleaned_data["name"]}
            pipelines.update_pipeline(actor, pipeline.pk, form.cleaned_data["version"], data)
        except Conflict as conflict:
            return _pipeline_page(request, pipeline_id, CONFLICT, error=conflict.detail)
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:pipeline", pipeline.pk)
    return _pipeline_page(request, pipeline_id, INVALID, rename_form=form)


@page("POST")
def stage_add(request: PageRequest, pipeline_id: int) -> HttpResponse:
    actor = _admin(request)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    form = StageAddForm(request.POST)
    if form.is_valid():
        try:
            stage = pipelines.create_stage(actor, pipeline.pk, form.cleaned_data)
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:stage", stage.pk)
    return _pipeline_page(request, pipeline_id, INVALID, add_form=form)


@page("POST")
def stage_order(request: PageRequest, pipeline_id: int) -> HttpResponse:
    """Put the stages in the order sent (a drag, or a move up/down button) in one write."""
    actor = _admin(request)
    pipeline = get_visible(Pipeline, actor, pipeline_id)
    stage_ids = list(pipeline.stages.values_list("pk", flat=True))
    form = StageOrderForm(request.POST, stage_ids=stage_ids)
    if not form.is_valid():
        return _pipeline_page(
            request,
            pipeline_id,
            CONFLICT,
            error=_("The stages of this pipeline changed. Here they are as they are now."),
        )
    try:
        pipelines.reorder_stages(
            actor, pipeline.pk, form.cleaned_data["version"], form.cleaned_data["stage"]
        )
    except Conflict:
        return _pipeline_page(
            request,
            pipeline_id,
            CONFLICT,
            error=_("Someone else changed this pipeline. Here are its stages as they are now."),
        )
    if request.htmx:
        return _pipeline_page(request, pipeline_id)
    return _redirect("core:pipeline", pipeline.pk)


def _stage_page(
    request: PageRequest, stage: Stage, form: StageForm, status: int = 200, **context: Any
) -> HttpResponse:
    return render(
        request,
        "core/stage.html",
        {"stage": stage, "pipeline": stage.pipeline, "form": form, **context},
        status=status,
    )


@page("GET", "POST")
def stage_detail(request: PageRequest, stage_id: int) -> HttpResponse:
    """Everything about one stage: goal, probability, exit criteria and playbook."""
    actor = _admin(request)
    stage = get_visible(Stage.objects.select_related("pipeline"), actor, stage_id)
    if request.method == "GET":
        return _stage_page(request, stage, StageForm(initial=StageForm.initial_for(stage)))
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            pipelines.update_stage(
                actor, stage.pk, form.cleaned_data["version"], form.data_for_service()
            )
        except Conflict:
            stage.refresh_from_db()
            return _stage_page(
                request,
                stage,
                StageForm(initial=StageForm.initial_for(stage)),
                CONFLICT,
                error=_(
                    "Someone else changed this stage while you were editing it. Nothing was "
                    "saved: here is the stage as it is now."
                ),
            )
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:pipeline", stage.pipeline_id)
    return _stage_page(request, stage, form, INVALID)


@page("POST")
def stage_delete(request: PageRequest, stage_id: int) -> HttpResponse:
    actor = _admin(request)
    stage = get_visible(Stage, actor, stage_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _pipeline_page(
            request, stage.pipeline_id, INVALID, error=_("Reload the page and try again.")
        )
    try:
        pipelines.delete_stage(actor, stage.pk, form.cleaned_data["version"])
    except Conflict as conflict:
        return _pipeline_page(request, stage.pipeline_id, CONFLICT, error=conflict.detail)
    except ValidationFailed as failure:
        message = "; ".join(str(e.message) for e in failure.errors)
        return _pipeline_page(
            request,
            stage.pipeline_id,
            INVALID,
            error=_("%(name)s was not deleted: %(why)s") % {"name": stage.name, "why": message},
        )
    return _redirect("core:pipeline", stage.pipeline_id)


# Members and teams


@dataclass
class TeamNode:
    team: Team
    depth: int
    children: list[TeamNode] = field(default_factory=list)


def _team_tree(teams: list[Team]) -> list[TeamNode]:
    """The team tree, each level by name: a team's depth is the number of ids in its path."""
    nodes = {t.pk: TeamNode(t, t.path.count("/") - 2) for t in teams}
    roots: list[TeamNode] = []
    for node in sorted(nodes.values(), key=lambda n: n.team.name.lower()):
        parent = nodes.get(node.team.parent_id) if node.team.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def _teams(actor: Actor) -> QuerySet[Team]:
    return visible(Team, actor).order_by("name")


def _members_page(request: PageRequest, status: int = 200, **context: Any) -> HttpResponse:
    actor = _admin(request)
    teams = _teams(actor)
    rows = (
        visible(Membership, actor)
        .select_related("user", "team")
        .prefetch_related(Prefetch("manages", queryset=Team.objects.order_by("name")))
        .order_by("user__username")
    )
    context.setdefault("add_form", MemberAddForm(teams=teams))
    context.setdefault("team_form", TeamForm(teams=teams))
    tree = _team_tree(list(teams.annotate(member_count=Count("members"))))
    return render(
        request,
        "core/members.html",
        {"members": rows, "tree": tree, **context},
        status=status,
    )


@page("GET", "POST")
def member_list(request: PageRequest) -> HttpResponse:
    """Members and teams; a POST adds a member."""
    actor = _admin(request)
    if request.method == "GET":
        return _members_page(request)
    form = MemberAddForm(request.POST, teams=_teams(actor))
    if form.is_valid():
        data = form.cleaned_data
        try:
            members.add_member(
                actor,
                actor.workspace,
                username=data["username"],
                password=data["password"] or None,
                role=data["role"],
                team=data["team"],
                manages=list(data["manages"]),
            )
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:members")
    return _members_page(request, INVALID, add_form=form)


def _member_form(actor: Actor, membership: Membership) -> MemberForm:
    return MemberForm(
        teams=_teams(actor),
        initial={
            "role": membership.role,
            "team": membership.team_id,
            "manages": list(membership.manages.all()),
            "is_active": membership.is_active,
            "version": membership.version,
        },
    )


@page("GET", "POST")
def member_detail(request: PageRequest, membership_id: int) -> HttpResponse:
    actor = _admin(request)
    membership = get_visible(Membership.objects.select_related("user"), actor, membership_id)
    context: dict[str, Any] = {"membership": membership}
    if request.method == "GET":
        context["form"] = _member_form(actor, membership)
        return render(request, "core/member.html", context)
    form = MemberForm(request.POST, teams=_teams(actor))
    return _save_edit(
        request,
        "core/member.html",
        context,
        form,
        save=lambda: members.update_member(
            actor, membership.pk, form.cleaned_data["version"], form.data_for_service()
        ),
        record=membership,
        fresh_form=lambda: _member_form(actor, membership),
        conflict_message=_(
            "Someone else changed this member while you were editing. Nothing was saved: "
            "here is the member as they are now."
        ),
    )


@page("POST")
def team_add(request: PageRequest) -> HttpResponse:
    actor = _admin(request)
    form = TeamForm(request.POST, teams=_teams(actor))
    if form.is_valid():
        try:
            members.create_team(
                actor, actor.workspace, form.cleaned_data["name"], form.cleaned_data["parent"]
            )
        except ValidationFailed as failure:
            form.show(failure)
        else:
            return _redirect("core:members")
    return _members_page(request, INVALID, team_form=form)


def _team_form(actor: Actor, team: Team) -> TeamEditForm:
    return TeamEditForm(
        teams=_teams(actor),
        initial={"name": team.name, "parent": team.parent_id, "version": team.version},
    )


@page("GET", "POST")
def team_detail(request: PageRequest, team_id: int) -> HttpResponse:
    """Rename a team or move it under another parent."""
    actor = _admin(request)
    team = get_visible(Team, actor, team_id)
    context: dict[str, Any] = {"team": team}
    if request.method == "GET":
        context["form"] = _team_form(actor, team)
        return render(request, "core/team.html", context)
    form = TeamEditForm(request.POST, teams=_teams(actor))

    def save() -> object:
        parent = form.cleaned_data["parent"]
        return members.update_team(
            actor,
            team.pk,
            form.cleaned_data["version"],
            {"name": form.cleaned_data["name"], "parent_id": parent.pk if parent else None},
        )

    return _save_edit(
        request,
        "core/team.html",
        context,
        form,
        save=save,
        record=team,
        fresh_form=lambda: _team_form(actor, team),
        conflict_message=_(
            "Someone else changed this team while you were editing. Nothing was saved: "
            "here is the team as it is now."
        ),
    )


@page("POST")
def team_delete(request: PageRequest, team_id: int) -> HttpResponse:
    actor = _admin(request)
    team = get_visible(Team, actor, team_id)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise Conflict(team.version)
        members.delete_team(actor, team.pk, form.cleaned_data["version"])
    except Conflict:
        return render(
            request,
            "core/team.html",
            {
                "team": team,
                "form": _team_form(actor, team),
                "error": _("Someone else changed this team. Here it is as it is now."),
            },
            status=CONFLICT,
        )
    except ValidationFailed as failure:
        return render(
            request,
            "core/team.html",
            {
                "team": team,
                "form": _team_form(actor, team),
                "error": "; ".join(str(e.message) for e in failure.errors),
            },
            status=INVALID,
        )
    return _redirect("core:members")
