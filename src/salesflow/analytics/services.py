"""Writes of the analytics app: a manager's adjustment of their forecast roll-up."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from salesflow.analytics.models import ForecastAdjustment
from salesflow.core import writes
from salesflow.core.errors import ValidationFailed
from salesflow.core.models import Team
from salesflow.core.scoping import Actor, require_manager
from salesflow.pipeline.models import ForecastCategory, Pipeline


@transaction.atomic
def adjust_forecast(
    actor: Actor,
    *,
    pipeline_id: int,
    first_day: datetime.date,
    last_day: datetime.date,
    category: str,
    amount: Decimal | None,
    note: str = "",
    team_id: int | None = None,
) -> ForecastAdjustment | None:
    """Set (or, with no amount, withdraw) the manager's own figure for one category.

    The computed roll-up stays as it is; the adjustment is kept beside it.
    """
    require_manager(actor)
    pipeline = writes.reference(actor, Pipeline, pipeline_id, "pipeline_id")
    team = writes.reference(actor, Team, team_id, "team_id") if team_id is not None else None
    if (
        team is not None
        and not actor.is_admin
        and not any(team.path.startswith(path) for path in actor.managed_paths)
    ):
        raise ValidationFailed.one("team_id", _("You do not manage this team."))
    if category not in ForecastCategory.values:
        raise ValidationFailed.one("category", _("Choose commit, best case, pipeline or omitted."))
    if first_day > last_day:
        raise ValidationFailed.one("first_day", _("The period must not end before it starts."))
    existing = (
        ForecastAdjustment.objects.select_for_update()
        .filter(
            workspace_id=actor.workspace_id,
            owner_id=actor.user_id,
            pipeline=pipeline,
            team=team,
            first_day=first_day,
            last_day=last_day,
            category=category,
        )
        .first()
    )
    if amount is None:
        if existing is not None:
            writes.delete(actor, existing)
        return None
    if existing is None:
        return writes.create(
            actor,
            ForecastAdjustment(
                owner_id=actor.user_id,
                pipeline=pipeline,
                team=team,
                first_day=first_day,
                last_day=last_day,
                category=category,
                amount=amount,
                note=note,
            ),
        )
    return writes.update(actor, existing, writes.apply(existing, {"amount": amount, "note": note}))
