"""Deterministic demo data: the same seed and anchor day give the same rows, every time.

This is the one writer allowed to insert rows in bulk without the per-row services: it makes
history that no person typed, at a volume the services would take hours for. It still fills
every column the services would (workspace, created and updated at and by, version), writes
a StageChange for every move, and runs in one transaction so a failure leaves nothing.
Customers are drawn and written in batches, so memory stays flat however many deals.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities.models import Activity
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Membership, Role, Workspace
from salesflow.core.scoping import Actor
from salesflow.customers.models import Contact, Customer
from salesflow.demo.funnel import PipelineShape, StageInfo
from salesflow.demo.people import OrganisationPlan, conflicts, plan_organisation, write_organisation
from salesflow.demo.simulation import Bundle, CustomerBuilder, World
from salesflow.pipeline.models import Deal, LostReason, Pipeline, StageChange

DEFAULT_PASSWORD = "salesflow-demo"
# Deals drawn before the rows are written out; bounds memory and sets the progress step.
BATCH_DEALS = 1000
# Rows per INSERT statement (SQLite lowers it further to its own parameter limit).
BULK_ROWS = 1000
MAX_NAMES_IN_MESSAGE = 5


@dataclass(frozen=True)
class Scale:
    """How big a demo company is: deals in its history, teams, people, and how far back."""

    deals: int
    regions: int
    teams_per_region: int
    reps_per_team: int
    team_leads: bool
    history_days: int


SCALES = {
    "small": Scale(
        1_000, regions=3, teams_per_region=2, reps_per_team=2, team_leads=False, history_days=365
    ),
    "medium": Scale(
        100_000, regions=5, teams_per_region=4, reps_per_team=7, team_leads=True, history_days=730
    ),
}


@dataclass(frozen=True)
class SeedRequest:
    workspace: Workspace
    scale: Scale
    seed: int
    anchor: datetime.date
    password: str = DEFAULT_PASSWORD
    user_prefix: str = ""
    deals: int | None = None

    @property
    def prefix(self) -> str:
        """Usernames are global; the workspace id keeps two seeded workspaces apart."""
        return self.user_prefix or f"w{self.workspace.pk}"

    @property
    def deal_count(self) -> int:
        return self.scale.deals if self.deals is None else self.deals


@dataclass
class SeedSummary:
    teams: int = 0
    users: int = 0
    customers: int = 0
    contacts: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    stage_changes: int = 0
    activities: int = 0
    seconds: float = 0.0
    usernames: list[str] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.deals - self.won - self.lost


Progress = Callable[[int, int], None]


def today_in(workspace: Workspace) -> datetime.date:
    """The anchor a demo gets by default, so its tasks fall due around the day it is shown."""
    return timezone.now().astimezone(ZoneInfo(workspace.timezone)).date()


def seed_workspace(request: SeedRequest, progress: Progress | None = None) -> SeedSummary:
    """Fill the workspace with a sales organisation and its history up to the anchor day."""
    started = time.monotonic()
    workspace = request.workspace
    chinese = workspace.language.startswith("zh")
    rng = random.Random(request.seed)
    scale = request.scale
    plan = plan_organisation(
        rng,
        chinese=chinese,
        regions=scale.regions,
        teams_per_region=scale.teams_per_region,
        reps_per_team=scale.reps_per_team,
        team_leads=scale.team_leads,
    )
    admin = _admin(workspace)
    shape = _pipeline_shape(workspace)
    reasons = tuple(
        LostReason.objects.filter(workspace=workspace, is_active=True)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    admin, shape = _check(request, admin, shape, reasons, plan)
    zone = ZoneInfo(workspace.timezone)
    cutoff = datetime.datetime.combine(request.anchor, datetime.time(0), tzinfo=zone)
    summary = SeedSummary(usernames=plan.usernames(request.prefix))
    with transaction.atomic():
        sellers = write_organisation(
            admin,
            plan,
            prefix=request.prefix,
            password_hash=make_password(request.password),
            now=timezone.now(),
        )
        summary.teams, summary.users = len(plan.teams), len(plan.people)
        world = World(
            workspace_id=workspace.pk,
            currency=workspace.base_currency,
            chinese=chinese,
            zone=zone,
            shape=shape,
            lost_reason_ids=reasons,
            sellers=tuple(sellers),
            window_start=cutoff - datetime.timedelta(days=scale.history_days),
            cutoff=cutoff,
        )
        writer = Writer(summary, won_stage_ids={s.pk for s in shape.won})
        for bundle in CustomerBuilder(rng, world).bundles(request.deal_count):
            writer.add(bundle)
            if writer.pending_deals >= BATCH_DEALS:
                writer.flush()
                if progress:
                    progress(summary.deals, request.deal_count)
        writer.flush()
    summary.seconds = time.monotonic() - started
    return summary


def _admin(workspace: Workspace) -> Actor | None:
    membership = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace=workspace, role=Role.ADMIN, is_active=True)
        .order_by("id")
        .first()
    )
    return Actor(membership) if membership else None


def _pipeline_shape(workspace: Workspace) -> PipelineShape | None:
    pipeline = Pipeline.objects.filter(workspace=workspace, is_default=True).first()
    if pipeline is None:
        return None
    stages = [
        StageInfo(
            pk=s.pk,
            position=s.position,
            kind=s.kind,
            probability=s.probability,
            expected_days=s.expected_days,
            exit_checklist=tuple(s.exit_checklist or ()),
        )
        for s in pipeline.stages.all()
    ]
    return PipelineShape.of(pipeline.pk, stages)


def _names(items: list[str]) -> str:
    shown = "、".join(items[:MAX_NAMES_IN_MESSAGE])
    return shown + ("…" if len(items) > MAX_NAMES_IN_MESSAGE else "")


def _check(
    request: SeedRequest,
    admin: Actor | None,
    shape: PipelineShape | None,
    reasons: tuple[int, ...],
    plan: OrganisationPlan,
) -> tuple[Actor, PipelineShape]:
    """Refuse, before writing anything, every input the seeding would stumble on."""
    errors: list[FieldError] = []
    if request.deal_count < 1:
        errors.append(FieldError("deals", _("Seed at least one deal.")))
    try:
        validate_password(request.password)
    except ValidationError as weak:
        errors.extend(FieldError("password", m) for m in weak.messages)
    sample = User(username=plan.usernames(request.prefix)[-1])
    try:
        sample.clean_fields(exclude=[f.name for f in User._meta.fields if f.name != "username"])
    except ValidationError as invalid:
        errors.extend(
            FieldError("user_prefix", m) for ms in invalid.message_dict.values() for m in ms
        )
    taken_users, taken_teams = conflicts(request.workspace.pk, plan, request.prefix)
    if taken_users:
        errors.append(
            FieldError(
                "user_prefix",
                _("These usernames are already taken: %(names)s.") % {"names": _names(taken_users)},
            )
        )
    if taken_teams:
        errors.append(
            FieldError(
                "workspace",
                _("The workspace already has teams named %(names)s; seed a fresh workspace.")
                % {"names": _names(taken_teams)},
            )
        )
    if admin is None:
        errors.append(FieldError("workspace", _("The workspace has no active admin.")))
    if shape is None or not shape.open:
        errors.append(
            FieldError("workspace", _("The workspace's default pipeline has no open stage."))
        )
    elif shape.lost is not None and not reasons:
        errors.append(FieldError("workspace", _("The workspace has no active lost reason.")))
    if errors or admin is None or shape is None:
        raise ValidationFailed(errors)
    return admin, shape


class Writer:
    """Collects drawn rows and inserts them parents first, so foreign keys resolve."""

    def __init__(self, summary: SeedSummary, won_stage_ids: set[int]) -> None:
        self.summary = summary
        self.won_stage_ids = won_stage_ids
        self._reset()

    def _reset(self) -> None:
        self.customers: list[Customer] = []
        self.contacts: list[Contact] = []
        self.deals: list[Deal] = []
        self.stage_changes: list[StageChange] = []
        self.activities: list[Activity] = []

    @property
    def pending_deals(self) -> int:
        return len(self.deals)

    def add(self, bundle: Bundle) -> None:
        self.customers.append(bundle.customer)
        self.contacts.extend(bundle.contacts)
        self.deals.extend(bundle.deals)
        self.stage_changes.extend(bundle.stage_changes)
        self.activities.extend(bundle.activities)

    def flush(self) -> None:
        Customer.objects.bulk_create(self.customers, batch_size=BULK_ROWS)
        Contact.objects.bulk_create(self.contacts, batch_size=BULK_ROWS)
        Deal.objects.bulk_create(self.deals, batch_size=BULK_ROWS)
        StageChange.objects.bulk_create(self.stage_changes, batch_size=BULK_ROWS)
        Activity.objects.bulk_create(self.activities, batch_size=BULK_ROWS)
        summary = self.summary
        summary.customers += len(self.customers)
        summary.contacts += len(self.contacts)
        summary.deals += len(self.deals)
        summary.won += sum(1 for d in self.deals if d.stage_id in self.won_stage_ids)
        summary.lost += sum(1 for d in self.deals if d.lost_reason_id is not None)
        summary.stage_changes += len(self.stage_changes)
        summary.activities += len(self.activities)
        self._reset()
