"""Deals: create, edit, move through stages, close won or lost, reopen.

Every move writes its StageChange in the same transaction as the deal itself, so the
funnel's raw facts can never disagree with the deals.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_can_own, require_manager, visible
from salesflow.customers import customfields, pool, tiers, trash
from salesflow.customers.models import Contact, Customer, Lifecycle
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange, StageKind
from salesflow.pipeline.services.pipelines import first_stage

DEAL_FIELDS = frozenset(
    {
        "name",
        "customer_id",
        "contact_id",
        "owner_id",
        "amount",
        "currency",
        "expected_close_date",
        "probability",
        "next_step",
        "checklist",
        "forecast_category",
        "custom",
    }
)
CREATE_FIELDS = DEAL_FIELDS | {"pipeline_id", "stage_id"}
# Exit criteria name deal fields as the stage stores them; the API names the column.
EXIT_FIELD_ATTR = {"contact": "contact_id"}


def exit_blockers(deal: Deal, stages: Iterable[Stage]) -> list[FieldError]:
    """Each deal field and checklist item that keeps the deal from leaving these stages."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for stage in stages:
        for name in stage.exit_fields:
            attr = EXIT_FIELD_ATTR.get(name, name)
            if getattr(deal, attr) in (None, "") and attr not in seen:
                seen.add(attr)
                errors.append(
                    FieldError(
                        attr,
                        _("Required to leave the stage “%(stage)s”.") % {"stage": stage.name},
                    )
                )
        ticked = set((deal.checklist or {}).get(str(stage.pk), []))
        for item in stage.exit_checklist:
            if item not in ticked:
                errors.append(
                    FieldError(
                        f"checklist.{stage.pk}",
                        _("“%(item)s” must be ticked to leave the stage “%(stage)s”.")
                        % {"item": item, "stage": stage.name},
                    )
                )
    return errors


def stages_left_forward(deal: Deal, target: Stage) -> list[Stage]:
    """The current stage and every stage skipped on the way to `target` (none when going back)."""
    current = deal.stage
    if target.position <= current.position:
        return []
    return list(
        Stage.objects.filter(
            pipeline_id=deal.pipeline_id,
            kind=current.kind,
            position__gte=current.position,
            position__lt=target.position,
        ).order_by("position", "id")
    )


def _clean(actor: Actor, deal: Deal, data: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve ids to visible rows and check what single fields cannot check alone."""
    values = dict(data)
    errors: list[FieldError] = []
    if "customer_id" in values:
        if values["customer_id"] is None:
            raise ValidationFailed.one("customer_id", _("This field is required."))
        if isinstance(values["customer_id"], int) and (
            pool.pool_customers(actor).filter(pk=values["customer_id"]).exists()
        ):
            raise ValidationFailed.one("customer_id", pool.IN_POOL)
        values["customer"] = writes.reference(
            actor, Customer, values.pop("customer_id"), "customer_id"
        )
    if "contact_id" in values:
        contact_id = values.pop("contact_id")
        values["contact"] = (
            None
            if contact_id is None
            else writes.reference(actor, Contact, contact_id, "contact_id")
        )
    customer_id = values["customer"].pk if "customer" in values else deal.customer_id
    # A contact cleared in this write must not be checked against the new customer.
    contact = values.get("contact", deal.contact)
    if contact is not None and contact.customer_id != customer_id:
        errors.append(FieldError("contact_id", _("This contact works for another customer.")))
    if "owner_id" in values and values["owner_id"] != deal.owner_id:
        require_can_own(actor, values["owner_id"])
    if "probability" in values:
        if values["probability"] is None:
            values["probability"] = deal.stage.probability if deal.stage_id else 0
            values["probability_overridden"] = False
        else:
            values["probability_overridden"] = True
    if "checklist" in values:
        errors.extend(_checklist_errors(deal, values["checklist"]))
    if errors:
        raise ValidationFailed(errors)
    return values


def _checklist_errors(deal: Deal, checklist: object) -> list[FieldError]:
    if not isinstance(checklist, dict):
        return [FieldError("checklist", _("Must map stage ids to lists of ticked items."))]
    stages = {str(s.pk): s for s in Stage.objects.filter(pipeline_id=deal.pipeline_id)}
    errors = []
    for stage_id, items in checklist.items():
        stage = stages.get(str(stage_id))
        if stage is None:
            errors.append(FieldError(f"checklist.{stage_id}", _("No stage of this pipeline.")))
        elif not isinstance(items, list) or any(i not in stage.exit_checklist for i in items):
            errors.append(
                FieldError(
                    f"checklist.{stage_id}",
                    _("Only items of this stage's checklist may be ticked."),
                )
            )
    return errors


def _record(
    actor: Actor | None,
    deal: Deal,
    from_stage: Stage | None,
    at: datetime.datetime,
    entered_at: datetime.datetime | None,
) -> None:
    """Write the StageChange and count it in the analytics aggregates, in the same transaction.

    `entered_at` is when the deal entered `from_stage`: the stay that this move ends.
    """
    StageChange.objects.create(
        workspace_id=deal.workspace_id,
        deal=deal,
        pipeline_id=deal.pipeline_id,
        from_stage=from_stage,
        to_stage_id=deal.stage_id,
        at=at,
        actor_id=actor.user_id if actor else None,
        owner_id=deal.owner_id,
        amount=deal.amount,
        currency=deal.currency,
        probability=deal.probability,
    )
    move = aggregates.Move(
        deal_id=deal.pk,
        pipeline_id=deal.pipeline_id,
        from_stage_id=from_stage.pk if from_stage else None,
        to_stage_id=deal.stage_id,
        at=at,
        owner_id=deal.owner_id,
        amount=deal.amount,
    )
    aggregates.record_move(deal, move, entered_at)


@transaction.atomic
def create_deal(actor: Actor, data: Mapping[str, Any]) -> Deal:
    writes.only(data, CREATE_FIELDS)
    values = dict(data)
    pipeline_id = values.pop("pipeline_id", None)
    if pipeline_id is None:
        pipeline = visible(Pipeline, actor).filter(is_default=True).first()
        if pipeline is None:
            raise ValidationFailed.one("pipeline_id", _("This workspace has no pipeline."))
    else:
        pipeline = writes.reference(actor, Pipeline, pipeline_id, "pipeline_id")
    stage_id = values.pop("stage_id", None)
    stage = (
        first_stage(pipeline)
        if stage_id is None
        else pipeline.stages.filter(pk=stage_id).first()
        if isinstance(stage_id, int)
        else None
    )
    if stage is None or stage.kind != StageKind.OPEN:
        raise ValidationFailed.one("stage_id", _("Choose an open stage of this pipeline."))
    if values.get("customer_id") is None:
        raise ValidationFailed.one("customer_id", _("This field is required."))
    deal = Deal(
        pipeline=pipeline,
        stage=stage,
        owner_id=values.pop("owner_id", actor.user_id),
        currency=actor.workspace.base_currency,
        probability=stage.probability,
    )
    require_can_own(actor, deal.owner_id)
    values["custom"] = customfields.values_for(actor, "deal", values.get("custom"), None)
    values = _clean(actor, deal, values)
    writes.apply(deal, values)
    now = timezone.now()
    # The deal is created the moment it enters its first stage: cycles count from there.
    deal.created_at = deal.stage_entered_at = now
    writes.create(actor, deal)
    _record(actor, deal, None, now, None)
    tiers.customers_changed(actor, [deal.customer_id])
    return deal


@transaction.atomic
def update_deal(actor: Actor, deal_id: int, version: int | None, data: Mapping[str, Any]) -> Deal:
    writes.only(data, DEAL_FIELDS)
    deal = writes.lock(actor, Deal, deal_id, version)
    if "custom" in data:
        data = {
            **data,
            "custom": customfields.values_for(actor, "deal", data["custom"], deal.custom),
        }
    changes = writes.apply(deal, _clean(actor, deal, data))
    writes.update(actor, deal, changes)
    if changes.keys() & {"amount", "owner_id", "customer_id"}:
        aggregates.deal_changed(deal)
    if changes.keys() & {"amount", "probability", "customer_id"}:
        tiers.customers_changed(actor, {deal.customer_id, *changes.get("customer_id", ())})
    return deal


@transaction.atomic
def delete_deal(actor: Actor, deal_id: int, version: int | None = None) -> None:
    """Moves the deal to the trash, out of the analytics until it is restored."""
    deal = writes.lock(actor, Deal, deal_id, version)
    require_manager(actor)
    trash.trash_deal(actor, deal)
    tiers.customers_changed(actor, [deal.customer_id])


def _lock_with_stage(actor: Actor, deal_id: int, version: int | None) -> Deal:
    deal = writes.lock(actor, Deal, deal_id, version)
    deal.stage = Stage.objects.get(pk=deal.stage_id)
    return deal


def _enter(actor: Actor, deal: Deal, target: Stage, action: str, extra: Mapping[str, Any]) -> Deal:
    """Put the deal into `target`, bump its version and record the StageChange, all at once."""
    previous = deal.stage
    entered_at = deal.stage_entered_at
    now = timezone.now()
    values: dict[str, Any] = {"stage": target, "stage_entered_at": now, **extra}
    if not deal.probability_overridden and "probability" not in extra:
        values["probability"] = target.probability
    changes = writes.apply(deal, values)
    writes.update(actor, deal, changes, action=action)
    _record(actor, deal, previous, now, entered_at)
    tiers.customers_changed(actor, [deal.customer_id])
    return deal


def _target_stage(deal: Deal, stage_id: object) -> Stage:
    stage = (
        Stage.objects.filter(pipeline_id=deal.pipeline_id, pk=stage_id).first()
        if isinstance(stage_id, int)
        else None
    )
    if stage is None:
        raise ValidationFailed.one("stage_id", _("No stage of this deal's pipeline has this id."))
    return stage


@transaction.atomic
def move_deal(actor: Actor, deal_id: int, stage_id: int, version: int | None) -> Deal:
    """Move to another stage; going forward needs the exit criteria of every stage left."""
    deal = _lock_with_stage(actor, deal_id, version)
    target = _target_stage(deal, stage_id)
    current = deal.stage
    if target.pk == current.pk:
        raise ValidationFailed.one("stage_id", _("The deal is already in this stage."))
    if current.kind == StageKind.LOST or (
        current.kind == StageKind.WON and target.kind != StageKind.WON
    ):
        raise ValidationFailed.one("stage_id", _("This deal is closed: reopen it first."))
    if current.kind == StageKind.OPEN and target.kind != StageKind.OPEN:
        raise ValidationFailed.one(
            "stage_id", _("Close the deal as won or lost instead of moving it there.")
        )
    blockers = exit_blockers(deal, stages_left_forward(deal, target))
    if blockers:
        raise ValidationFailed(blockers, _("The exit criteria of the stages left are not met."))
    return _enter(actor, deal, target, "move", {})


@transaction.atomic
def close_deal(
    actor: Actor,
    deal_id: int,
    *,
    outcome: str,
    reason: str | None = None,
    note: str = "",
    version: int | None,
) -> Deal:
    """Close won (exit criteria of every remaining stage apply) or lost (a listed reason)."""
    deal = _lock_with_stage(actor, deal_id, version)
    if outcome not in (StageKind.WON, StageKind.LOST):
        raise ValidationFailed.one("outcome", _("Choose won or lost."))
    if deal.stage.kind != StageKind.OPEN:
        raise ValidationFailed.one("outcome", _("This deal is already closed."))
    pipeline = Pipeline.objects.get(pk=deal.pipeline_id)
    target = first_stage(pipeline, outcome)
    if target is None:
        raise ValidationFailed.one(
            "outcome",
            _("This pipeline has no stage of the kind “%(kind)s”.")
            % {"kind": StageKind(outcome).label},
        )
    now = timezone.now()
    if outcome == StageKind.WON:
        remaining = pipeline.stages.filter(
            kind=StageKind.OPEN, position__gte=deal.stage.position
        ).order_by("position", "id")
        blockers = exit_blockers(deal, remaining)
        if blockers:
            raise ValidationFailed(blockers, _("The exit criteria of the stages left are not met."))
        _enter(
            actor,
            deal,
            target,
            "close",
            {"closed_at": now, "probability": 100, "probability_overridden": False},
        )
        _customer_won(actor, deal.customer_id)
        return deal
    lost_reason = _lost_reason(actor, reason)
    return _enter(
        actor,
        deal,
        target,
        "close",
        {
            "closed_at": now,
            "probability": 0,
            "probability_overridden": False,
            "lost_reason": lost_reason,
            "lost_note": note,
        },
    )


def _lost_reason(actor: Actor, reason: str | None) -> LostReason:
    reasons = visible(LostReason, actor).filter(is_active=True)
    found = reasons.filter(name=(reason or "").strip()).first() if reason else None
    if found is None:
        names = "、".join(reasons.values_list("name", flat=True))
        raise ValidationFailed.one(
            "reason", _("Give one of the workspace's lost reasons: %(names)s.") % {"names": names}
        )
    return found


def _customer_won(actor: Actor, customer_id: int) -> None:
    """A first won deal turns a prospect into a customer."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.lifecycle == Lifecycle.PROSPECT:
        writes.update(actor, customer, writes.apply(customer, {"lifecycle": Lifecycle.CUSTOMER}))


@transaction.atomic
def reopen_deal(
    actor: Actor, deal_id: int, *, version: int | None, stage_id: int | None = None
) -> Deal:
    """Back to an open stage: the one it was closed from unless another is named."""
    deal = _lock_with_stage(actor, deal_id, version)
    if deal.stage.kind == StageKind.OPEN:
        raise ValidationFailed.one("stage_id", _("This deal is not closed."))
    if stage_id is None:
        last_open = (
            deal.stage_changes.filter(from_stage__kind=StageKind.OPEN)
            .order_by("-at", "-id")
            .select_related("from_stage")
            .first()
        )
        target = (
            last_open.from_stage
            if last_open and last_open.from_stage
            else first_stage(Pipeline.objects.get(pk=deal.pipeline_id))
        )
    else:
        target = _target_stage(deal, stage_id)
    if target is None or target.kind != StageKind.OPEN:
        raise ValidationFailed.one("stage_id", _("Choose an open stage of this pipeline."))
    return _enter(
        actor,
        deal,
        target,
        "reopen",
        {"closed_at": None, "lost_reason": None, "lost_note": ""},
    )
