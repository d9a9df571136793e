"""Aggregates the reports read instead of the raw StageChange history.

They are written in the same transaction as every create, move, close, reopen and delete of a
deal (`salesflow.analytics.aggregates`), and `salesflow rebuild_aggregates` recomputes them
from StageChange; the two must always agree.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesflow.core.models import Team, Workspace, WorkspaceOwned
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS, validate_not_negative
from salesflow.pipeline.models import ForecastCategory, Pipeline, Stage, StageKind

# The customer's columns a deal fact holds, by which every figure may be cut.
DEAL_FACT_CUTS = ("source_channel", "industry", "region")
# Sums of many amounts need more digits than one amount.
SUM_DIGITS = MAX_DIGITS + 6


class DealFact(models.Model):
    """One row per deal: what cohort funnels, win rates, deal sizes and sales cycles read.

    `furthest_stage` is the open or won stage of highest position the deal has ever been in, so
    a deal that skipped a stage, moved back or was reopened after a win still counts as having
    passed every stage before it.
    """

    deal = models.OneToOneField(
        "pipeline.Deal", primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_on = models.DateField()
    furthest_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=4, choices=StageKind.choices)
    closed_on = models.DateField(null=True)
    cycle_days = models.PositiveIntegerField(null=True)
    amount = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )
    source_channel = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)

    # Scoped like the deals they count: by the owner (at the time, for daily counts).
    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        indexes = [
            models.Index(
                # every column a cohort funnel reads, so it is answered from the index alone
                fields=[
                    "workspace",
                    "pipeline",
                    "created_on",
                    "furthest_stage",
                    "outcome",
                    "owner",
                    "amount",
                ],
                name="dealfact_cohort",
            ),
            # every column the outcomes (win rate, deal size, cycle) and learned probabilities read
            models.Index(
                fields=[
                    "workspace",
                    "pipeline",
                    "closed_on",
                    "outcome",
                    "owner",
                    "furthest_stage",
                    "cycle_days",
                    "amount",
                ],
                name="dealfact_closed",
            ),
            # the open deals per owner that sales velocity counts, under any customer cut
            models.Index(
                fields=["workspace", "pipeline", "outcome", "owner", *DEAL_FACT_CUTS],
                name="dealfact_open_cuts",
            ),
            models.Index(fields=["customer"], name="dealfact_customer"),
        ]

    def __str__(self) -> str:
        return f"deal {self.deal_id}: {self.outcome}"


class StageDaily(models.Model):
    """Deals entering a stage, per day (in the workspace's time zone), owner at the time and the
    customer's source channel, industry and region (so every cut reads an aggregate)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_channel = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    entered = models.IntegerField(default=0)
    entered_amount = models.DecimalField(
        max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0
    )

    # Scoped like the deals they count: by the owner (at the time, for daily counts).
    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "workspace",
                    "pipeline",
                    "day",
                    "stage",
                    "owner",
                    "source_channel",
                    "industry",
                    "region",
                ],
                name="stagedaily_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} stage {self.stage_id}: {self.entered} entered"


class StageStay(models.Model):
    """Stays in a stage that ended on a day, counted by their length in whole days.

    Keeping the count per length (not only a sum) gives exact medians as well as means.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_channel = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    days = models.PositiveIntegerField()
    stays = models.IntegerField(default=0)

    # Scoped like the deals they count: by the owner (at the time, for daily counts).
    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "workspace",
                    "pipeline",
                    "day",
                    "stage",
                    "owner",
                    "source_channel",
                    "industry",
                    "region",
                    "days",
                ],
                name="stagestay_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} stage {self.stage_id}: {self.stays} stays of {self.days} days"


class CohortMonthly(models.Model):
    """DealFact counted per month created, furthest stage, outcome and owner, without customer
    columns: what the cohort funnel over whole months reads instead of one row per deal."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    furthest_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=4, choices=StageKind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0)

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "month", "furthest_stage", "outcome", "owner"],
                name="cohortmonthly_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "pipeline", "month", "furthest_stage", "outcome", "owner",
                        "deals", "amount"],
                name="cohortmonthly_covering",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} stage {self.furthest_stage_id}: {self.deals} deals"


class StageMonthly(models.Model):
    """StageDaily added up per calendar month, without the customer columns.

    Reports over whole months with no customer cut read these few rows instead of one row per
    day and customer kind (see `salesflow.analytics.queries`); `month` is the month's first day.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered = models.IntegerField(default=0)
    entered_amount = models.DecimalField(
        max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0
    )

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "month", "stage", "owner"],
                name="stagemonthly_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} stage {self.stage_id}: {self.entered} entered"


class StayMonthly(models.Model):
    """StageStay added up per calendar month, without the customer columns."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stays = models.IntegerField(default=0)

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "month", "stage", "days", "owner"],
                name="staymonthly_key",
            )
        ]
        indexes = [
            # the key and the count, so the time in stage is answered from the index alone
            models.Index(
                fields=["workspace", "pipeline", "month", "stage", "days", "owner", "stays"],
                name="staymonthly_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} stage {self.stage_id}: {self.stays} stays of {self.days} days"


class WorkspaceStays(models.Model):
    """Stays added up over owners and customer columns, which only admins may read."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField()
    stays = models.IntegerField(default=0)

    scope_owner_path: ClassVar[str | None] = None
    scope_admins_only: ClassVar[bool] = True
    # a few hundred rows a month: a period's months are read in one grouped statement
    grouped_across_months: ClassVar[bool] = True

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"stage {self.stage_id}: {self.stays} stays of {self.days} days"


class WorkspaceStayDaily(WorkspaceStays):
    """StageStay added up over owners and customer columns: a few hundred rows a day where the
    daily stays hold about one row per stay."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "day", "stage", "days"],
                name="workspacestaydaily_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "pipeline", "day", "stage", "days", "stays"],
                name="workspacestaydaily_covering",
            )
        ]


class WorkspaceStayMonthly(WorkspaceStays):
    """StayMonthly added up over owners."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "month", "stage", "days"],
                name="workspacestaymonthly_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "pipeline", "month", "stage", "days", "stays"],
                name="workspacestaymonthly_covering",
            )
        ]


class OutcomeMonthly(models.Model):
    """The closed deals of DealFact per month closed, owner and outcome, without customer
    columns; won deals also by their sales cycle in days (`cycle_days` is 0 for lost deals,
    whose cycle no report reads)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    outcome = models.CharField(max_length=4, choices=StageKind.choices)
    cycle_days = models.PositiveIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0)

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "pipeline", "month", "outcome", "cycle_days", "owner"],
                name="outcomemonthly_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "pipeline", "month", "outcome", "cycle_days", "owner",
                        "deals", "amount"],
                name="outcomemonthly_covering",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.outcome}: {self.deals} deals"


class ByCustomer(models.Model):
    """Monthly counts added up over owners, kept apart for each value of one customer column
    (`dimension`: source channel, industry or region; blank values are not kept): what a
    figure cut by one customer column reads for its whole months. Only admins may read them."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=20)
    value = models.CharField(max_length=100)
    month = models.DateField()

    scope_owner_path: ClassVar[str | None] = None
    scope_admins_only: ClassVar[bool] = True
    # one value's months lie together in the key: a period's months are read in one statement
    grouped_across_months: ClassVar[bool] = True

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dimension} {self.value}"


# The key of each table after (workspace, pipeline, dimension, value, month), and its counts.
BY_CUSTOMER_KEYS = {
    "cohortbycustomer": (("furthest_stage", "outcome"), ("deals", "amount")),
    "entriesbycustomer": (("stage",), ("entered", "entered_amount")),
    "staysbycustomer": (("stage", "days"), ("stays",)),
    "outcomesbycustomer": (("outcome", "cycle_days"), ("deals", "amount")),
}


def _by_customer_meta(name: str) -> tuple[list[Any], list[models.Index]]:
    """The unique key and the covering index (the key and the counts, so that a figure is
    answered from the index alone) of a table by customer column."""
    key, counts = BY_CUSTOMER_KEYS[name]
    leading = ["workspace", "pipeline", "dimension", "value", "month", *key]
    return (
        [models.UniqueConstraint(fields=leading, name=f"{name}_key")],
        [models.Index(fields=[*leading, *counts], name=f"{name}_covering")],
    )


class CohortByCustomer(ByCustomer):
    """CohortMonthly by one customer column, over owners."""

    furthest_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=4, choices=StageKind.choices)
    deals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0)

    class Meta:
        constraints, indexes = _by_customer_meta("cohortbycustomer")


class EntriesByCustomer(ByCustomer):
    """StageMonthly by one customer column, over owners."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    entered = models.IntegerField(default=0)
    entered_amount = models.DecimalField(
        max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0
    )

    class Meta:
        constraints, indexes = _by_customer_meta("entriesbycustomer")


class StaysByCustomer(ByCustomer):
    """StayMonthly by one customer column, over owners."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField()
    stays = models.IntegerField(default=0)

    class Meta:
        constraints, indexes = _by_customer_meta("staysbycustomer")


class OutcomesByCustomer(ByCustomer):
    """OutcomeMonthly by one customer column, over owners (`cycle_days` 0 for lost deals)."""

    outcome = models.CharField(max_length=4, choices=StageKind.choices)
    cycle_days = models.PositiveIntegerField()
    deals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES, default=0)

    class Meta:
        constraints, indexes = _by_customer_meta("outcomesbycustomer")


class ForecastAdjustment(WorkspaceOwned):
    """A manager's own figure for one forecast category of their roll-up, beside the computed one.

    The computed roll-up is never overwritten: reports show both numbers and the difference.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("manager"),
    )  # fmt: skip
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="+", verbose_name=_("pipeline")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("team"),
    )  # fmt: skip
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    category = models.CharField(_("category"), max_length=10, choices=ForecastCategory.choices)
    amount = models.DecimalField(
        _("adjusted amount"), max_digits=SUM_DIGITS, decimal_places=DECIMAL_PLACES,
        validators=[validate_not_negative],
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        indexes = [models.Index(fields=["workspace", "pipeline", "first_day", "last_day"])]

    def __str__(self) -> str:
        return f"{self.category} {self.first_day}–{self.last_day}: {self.amount}"
