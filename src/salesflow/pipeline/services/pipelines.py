"""Pipelines, stages and lost reasons: the workspace's own definition of its sales process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.errors import Conflict, FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_admin, visible
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageKind
from salesflow.pipeline.templates import TEMPLATES

EXIT_FIELDS = ("amount", "expected_close_date", "contact", "next_step")
PIPELINE_FIELDS = frozenset({"name", "is_default", "position"})
STAGE_FIELDS = frozenset(
    {
        "name",
        "position",
        "kind",
        "goal",
        "probability",
        "expected_days",
        "exit_fields",
        "exit_checklist",
        "playbook_role",
        "playbook_activities",
        "playbook_materials",
        "playbook_output",
    }
)


@transaction.atomic
def install_template(
    actor: Actor, key: str, *, language: str, default: bool = False, name: str = ""
) -> Pipeline:
    """Create a pipeline, its stages and any missing lost reasons from a shipped template.

    `name` replaces the template's own name, e.g. when a workspace installs one twice.
    """
    require_admin(actor)
    template = TEMPLATES.get(key)
    if template is None:
        raise ValidationFailed.one(
            "template", _("Choose one of: %(keys)s.") % {"keys": ", ".join(TEMPLATES)}
        )
    pipeline = create_pipeline(
        actor, {"name": name or template.name.get(language), "is_default": default}
    )
    for position, stage in enumerate(template.stages, start=1):
        create_stage(
            actor,
            pipeline.pk,
            {
                "name": stage.name.get(language),
                "position": position,
                "kind": stage.kind,
                "probability": stage.probability,
                "expected_days": stage.expected_days,
                "goal": stage.goal.get(language),
                "exit_fields": list(stage.exit_fields),
                "exit_checklist": [item.get(language) for item in stage.exit_checklist],
                "playbook_role": stage.role.get(language),
                "playbook_activities": stage.activities.get(language),
                "playbook_materials": stage.materials.get(language),
                "playbook_output": stage.output.get(language),
            },
        )
    existing = set(visible(LostReason, actor).values_list("name", flat=True))
    for position, reason in enumerate(template.lost_reasons, start=1):
        name = reason.get(language)
        if name not in existing:
            writes.create(actor, LostReason(name=name, position=position))
    return pipeline


@transaction.atomic
def create_pipeline(actor: Actor, data: Mapping[str, Any]) -> Pipeline:
    require_admin(actor)
    writes.only(data, PIPELINE_FIELDS)
    pipelines = visible(Pipeline, actor)
    is_default = bool(data.get("is_default")) or not pipelines.exists()
    if is_default:
        _clear_default(actor)
    return writes.create(actor, Pipeline(**{**data, "is_default": is_default}))


@transaction.atomic
def update_pipeline(
    actor: Actor, pipeline_id: int, version: int | None, data: Mapping[str, Any]
) -> Pipeline:
    require_admin(actor)
    writes.only(data, PIPELINE_FIELDS)
    pipeline = writes.lock(actor, Pipeline, pipeline_id, version)
    if data.get("is_default") is False and pipeline.is_default:
        raise ValidationFailed.one("is_default", _("Make another pipeline the default instead."))
    if data.get("is_default") and not pipeline.is_default:
        _clear_default(actor)
    return writes.update(actor, pipeline, writes.apply(pipeline, data))


def _clear_default(actor: Actor) -> None:
    for old in visible(Pipeline, actor).filter(is_default=True).select_for_update():
        writes.update(actor, old, writes.apply(old, {"is_default": False}))


@transaction.atomic
def delete_pipeline(actor: Actor, pipeline_id: int, version: int | None = None) -> None:
    require_admin(actor)
    pipeline = writes.lock(actor, Pipeline, pipeline_id, version)
    if pipeline.is_default:
        raise ValidationFailed.one("id", _("The default pipeline cannot be deleted."))
    if Deal.objects.filter(pipeline=pipeline).exists():
        raise ValidationFailed.one("id", _("This pipeline still has deals."))
    writes.delete(actor, pipeline)


def _clean_stage(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "exit_fields" in data:
        fields = data["exit_fields"]
        if not isinstance(fields, list) or any(f not in EXIT_FIELDS for f in fields):
            errors.append(
                FieldError(
                    "exit_fields",
                    _("Each entry must be one of: %(fields)s.")
                    % {"fields": ", ".join(EXIT_FIELDS)},
                )
            )
        else:
            data["exit_fields"] = list(dict.fromkeys(fields))
    if "exit_checklist" in data:
        items = data["exit_checklist"]
        if (
            not isinstance(items, list)
            or not all(isinstance(i, str) and 0 < len(i.strip()) <= 200 for i in items)
            or len(set(items)) != len(items)
        ):
            errors.append(
                FieldError(
                    "exit_checklist",
                    _("Must be a list of distinct, non-empty items of at most 200 characters."),
                )
            )
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def create_stage(actor: Actor, pipeline_id: int, data: Mapping[str, Any]) -> Stage:
    require_admin(actor)
    writes.only(data, STAGE_FIELDS)
    pipeline = writes.lock(actor, Pipeline, pipeline_id, None)
    values = dict(data)
    _clean_stage(values)
    if "position" not in values:
        last = pipeline.stages.aggregate(last=Max("position"))["last"] or 0
        values["position"] = last + 1
    return writes.create(actor, Stage(pipeline=pipeline, **values))


@transaction.atomic
def update_stage(
    actor: Actor, stage_id: int, version: int | None, data: Mapping[str, Any]
) -> Stage:
    require_admin(actor)
    writes.only(data, STAGE_FIELDS)
    stage = writes.lock(actor, Stage, stage_id, version)
    values = dict(data)
    _clean_stage(values)
    if "kind" in values and values["kind"] != stage.kind and stage.deals.exists():
        raise ValidationFailed.one("kind", _("A stage that holds deals cannot change its kind."))
    return writes.update(actor, stage, writes.apply(stage, values))


@transaction.atomic
def delete_stage(actor: Actor, stage_id: int, version: int | None = None) -> None:
    require_admin(actor)
    stage = writes.lock(actor, Stage, stage_id, version)
    if stage.deals.exists():
        raise ValidationFailed.one("id", _("Move this stage's deals elsewhere first."))
    writes.delete(actor, stage)


@transaction.atomic
def reorder_stages(
    actor: Actor, pipeline_id: int, version: int | None, stage_ids: list[int]
) -> Pipeline:
    """Put all of a pipeline's stages in the given order at once, or change nothing.

    The pipeline row is locked at the version the client read and its version is bumped, so
    of two reorders sent from the same screen only the first is written; a list that does not
    name exactly the pipeline's current stages means the client's screen is out of date.
    Stage positions carry no uniqueness constraint, so the rows are renumbered in place.
    """
    require_admin(actor)
    pipeline = writes.lock(actor, Pipeline, pipeline_id, version)
    stages = {s.pk: s for s in pipeline.stages.select_for_update().order_by("position", "id")}
    if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(stages):
        raise Conflict(
            pipeline.version, _("The stages of this pipeline changed. Reload it and try again.")
        )
    before = list(stages)
    for position, stage_id in enumerate(stage_ids, start=1):
        stage = stages[stage_id]
        writes.update(actor, stage, writes.apply(stage, {"position": position}))
    if before != stage_ids:
        written = Pipeline.objects.filter(pk=pipeline.pk, version=pipeline.version).update(
            version=F("version") + 1, updated_at=timezone.now(), updated_by_id=actor.user_id
        )
        if written != 1:
            raise Conflict(pipeline.version)
        pipeline.version += 1
        writes.audit(actor, pipeline, "reorder", {"stage_ids": [before, stage_ids]})
        aggregates.refresh_furthest_stages(pipeline.pk)
    return pipeline


def first_stage(pipeline: Pipeline, kind: str = StageKind.OPEN) -> Stage | None:
    return pipeline.stages.filter(kind=kind).order_by("position", "id").first()
