"""Pipelines, their stages, deals moving through them, and the record of every move."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesflow.core.models import AppendOnly, Trashable, Workspace, WorkspaceOwned
from salesflow.core.money import (
    DECIMAL_PLACES,
    MAX_DIGITS,
    validate_currency,
    validate_not_negative,
)

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Pipeline(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=120)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    scope_owner_path = None

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="pipeline_unique_name"),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_default=True),
                name="pipeline_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("open")
    WON = "won", _("won")
    LOST = "lost", _("lost")


class ForecastCategory(models.TextChoices):
    """How sure the owner is that a deal closes in its period (the forecast roll-up's columns)."""

    # A context keeps "Pipeline" the category apart from "Pipeline" the sales process.
    COMMIT = "commit", pgettext_lazy("forecast category", "Commit")
    BEST_CASE = "best_case", pgettext_lazy("forecast category", "Best case")
    PIPELINE = "pipeline", pgettext_lazy("forecast category", "Pipeline")
    OMITTED = "omitted", pgettext_lazy("forecast category", "Omitted")


# A deal's category follows its win probability until its owner chooses one:
# 70–100 % commit, 40–69 % best case, 1–39 % pipeline, 0 % omitted.
CATEGORY_FLOORS = (
    (70, ForecastCategory.COMMIT),
    (40, ForecastCategory.BEST_CASE),
    (1, ForecastCategory.PIPELINE),
)


def category_for(probability: int) -> ForecastCategory:
    for floor, category in CATEGORY_FLOORS:
        if probability >= floor:
            return category
    return ForecastCategory.OMITTED


class Stage(WorkspaceOwned):
    """A step of a pipeline: what it must achieve, how to get there, and what lets a deal leave."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(
        _("kind"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN
    )
    goal = models.TextField(_("goal"), blank=True, max_length=2000)
    probability = models.PositiveSmallIntegerField(
        _("default win probability (%)"), default=10, validators=PERCENT
    )
    expected_days = models.PositiveIntegerField(_("expected days in stage"), default=14)
    exit_fields = models.JSONField(_("deal fields required to leave"), default=list, blank=True)
    exit_checklist = models.JSONField(_("checklist required to leave"), default=list, blank=True)
    playbook_role = models.TextField(_("responsible role"), blank=True, max_length=2000)
    playbook_activities = models.TextField(_("key activities"), blank=True, max_length=4000)
    playbook_materials = models.TextField(_("support materials"), blank=True, max_length=4000)
    playbook_output = models.TextField(_("expected output"), blank=True, max_length=2000)

    scope_owner_path = None

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline_id", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "position"])]

    def __str__(self) -> str:
        return self.name


class LostReason(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    scope_owner_path = None

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="lost_reason_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Deal(Trashable, WorkspaceOwned):
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("contact"),
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[validate_not_negative],
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=PERCENT
    )
    probability_overridden = models.BooleanField(_("probability set by hand"), default=False)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=10,
        choices=ForecastCategory.choices,
        blank=True,
        help_text=_("Empty: follows the win probability."),
    )
    lost_reason = models.ForeignKey(
        LostReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lost reason"),
    )
    lost_note = models.TextField(_("lost note"), blank=True, max_length=2000)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)
    stage_entered_at = models.DateTimeField(_("entered stage at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Went to the trash with its customer, and comes back with it.
    trashed_with_customer = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(
                fields=["workspace", "trashed_at"],
                condition=models.Q(trashed_at__isnull=False, trashed_with_customer=False),
                name="deal_trash",
            ),
            models.Index(fields=["workspace", "owner", "id"]),
            models.Index(fields=["workspace", "pipeline", "stage", "id"]),
            models.Index(fields=["workspace", "expected_close_date"]),
            # every column the weighted forecast reads, so it is answered from the index alone
            models.Index(
                fields=[
                    "workspace",
                    "pipeline",
                    "expected_close_date",
                    "stage",
                    "owner",
                    "probability",
                    "forecast_category",
                    "amount",
                    "trashed_at",
                ],
                name="deal_closing",
            ),
            # every column the Monte Carlo forecast reads of the open deals, stage by stage and
            # in each stage by amount, then id (its largest deals are read first, in the order
            # of the index: PostgreSQL sorted a whole stage when the id was not in it)
            models.Index(
                fields=[
                    "workspace",
                    "pipeline",
                    "stage",
                    "amount",
                    "id",
                    "probability",
                    "expected_close_date",
                    "owner",
                    "trashed_at",
                ],
                name="deal_open_largest",
            ),
            models.Index(fields=["workspace", "customer"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_forecast_category(self) -> str:
        return self.forecast_category or category_for(self.probability)


class StageChange(AppendOnly):
    """One move of one deal: the raw fact every funnel report is built on."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )
    currency = models.CharField(max_length=3)
    probability = models.PositiveSmallIntegerField()

    scope_owner_path = "deal__owner"

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "at"]),
            models.Index(fields=["workspace", "pipeline", "at"]),
        ]
