"""The filters every analytics figure takes, parsed the same way for the API and the pages."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from salesflow.analytics.queries import Cut
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Team
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.pipeline.models import Pipeline

DEFAULT_DAYS = 90
LONGEST_PERIOD_DAYS = 3 * 366 + 1


class CutParams(Schema):
    """A pipeline, a period and optional cuts; the compare period is optional."""

    pipeline_id: int | None = Field(None, description="Default: the workspace's default pipeline.")
    first_day: datetime.date | None = Field(
        None, description="First day of the period (default: 90 days before last_day)."
    )
    last_day: datetime.date | None = Field(
        None, description="Last day, inclusive (default: today)."
    )
    owner_id: int | None = Field(None, description="Only this owner's deals.")
    team_id: int | None = Field(
        None, description="Only deals owned by this team and its sub-teams."
    )
    source_channel: str | None = Field(
        None, max_length=100, description="Only deals of customers from this source channel."
    )
    industry: str | None = Field(
        None, max_length=100, description="Only deals of customers in this industry."
    )
    region: str | None = Field(
        None, max_length=100, description="Only deals of customers in this region."
    )
    compare_first_day: datetime.date | None = Field(
        None, description="First day of a period to compare with (with compare_last_day)."
    )
    compare_last_day: datetime.date | None = Field(
        None, description="Last day of the period to compare with, inclusive."
    )

    def cut(self, actor: Actor) -> Cut:
        """The Cut of the main period; every id is resolved through the actor's scope."""
        last = self.last_day or timezone.localdate()
        first = self.first_day or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
        return self._cut(actor, first, last, "first_day")

    def compare(self, actor: Actor) -> Cut | None:
        if self.compare_first_day is None and self.compare_last_day is None:
            return None
        if self.compare_first_day is None or self.compare_last_day is None:
            field = "compare_first_day" if self.compare_first_day is None else "compare_last_day"
            raise ValidationFailed.one(field, _("Give both days of the period to compare with."))
        return self._cut(actor, self.compare_first_day, self.compare_last_day, "compare_first_day")

    def _cut(self, actor: Actor, first: datetime.date, last: datetime.date, field: str) -> Cut:
        errors = []
        if first > last:
            errors.append(FieldError(field, _("The period must not end before it starts.")))
        elif (last - first).days >= LONGEST_PERIOD_DAYS:
            errors.append(FieldError(field, _("A period may be at most three years long.")))
        if errors:
            raise ValidationFailed(errors)
        if self.pipeline_id is None:
            pipeline = visible(Pipeline, actor).filter(is_default=True).first()
            if pipeline is None:
                raise ValidationFailed.one("pipeline_id", _("This workspace has no pipeline."))
        else:
            pipeline = get_visible(Pipeline, actor, self.pipeline_id)
        team_path = None
        if self.team_id is not None:
            team_path = get_visible(Team, actor, self.team_id).path
        return Cut(
            pipeline_id=pipeline.pk,
            first_day=first,
            last_day=last,
            owner_id=self.owner_id,
            team_path=team_path,
            source_channel=self.source_channel or None,
            industry=self.industry or None,
            region=self.region or None,
        )
