"""Deterministic demo data: the same seed and anchor day give the same rows, every time.

This is the one writer allowed to insert rows in bulk without the per-row services: it makes
history that no person typed, at a volume the services would take hours for. It still fills
every column the services would (workspace, created and updated at and by, version), writes
a StageChange for every move, a PoolEvent for every customer released into the public pool,
and runs in one transaction so a failure leaves nothing. Customers are drawn and written in
batches, so memory stays flat however many deals. At the end, in the same transaction, the
customers' tiers are computed by `customers.tiers` from the deals and the workspace's rules,
and the analytics aggregates are rebuilt from the new history, so lists and reports see the
seeded deals at once.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities.models import Activity
from salesflow.core.bulk import (
    bulk_writing,
    db_time,
    db_zone,
    insert_rows,
    refresh_statistics,
    reserve_ids,
)
from salesflow.core.encryption import encrypt
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Membership, Role, Workspace
from salesflow.core.progress import Progress
from salesflow.core.scoping import Actor
from salesflow.customers.duplicate_keys import contact_keys, customer_keys
from salesflow.customers.duplicates import KEY_FIELDS
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomerKind,
    DuplicateKey,
    PoolEvent,
    PoolEventKind,
    SearchTerm,
)
from salesflow.customers.search import TERM_FIELDS, term_rows
from salesflow.customers.terms import ContactText, initial_of
from salesflow.customers.tiers import recompute_workspace
from salesflow.demo import accounts, customfields
from salesflow.demo.funnel import PipelineShape, StageInfo
from salesflow.demo.people import OrganisationPlan, conflicts, plan_organisation, write_organisation
from salesflow.demo.simulation import (
    ActivityRow,
    Bundle,
    ContactRow,
    CustomerBuilder,
    CustomerRow,
    DealRow,
    World,
    probability,
)
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange

DEFAULT_PASSWORD = "salesflow-demo"
# Deals drawn before the rows are written out; bounds memory and sets the progress step.
BATCH_DEALS = 1000
MAX_NAMES_IN_MESSAGE = 5
# The fields of the rows written for each model, in the order of the tuples the writer builds.
CUSTOMER_FIELDS = (
    "id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version", "kind",
    "name", "industry", "size", "region", "source_channel", "owner", "owner_since",
    "next_service_on", "lifecycle", "phone", "email", "website", "address", "notes", "initial",
    "custom", "locked_at", "locked_by", "bank_account",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version",
    "customer", "name", "title", "phones", "emails", "birthday", "decision_role", "notes",
)  # fmt: skip
DEAL_FIELDS = (
    "id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version", "name",
    "customer", "contact", "pipeline", "stage", "owner", "amount", "currency",
    "expected_close_date", "probability", "probability_overridden", "next_step", "lost_reason",
    "lost_note", "checklist", "stage_entered_at", "closed_at", "custom",
)  # fmt: skip
STAGE_CHANGE_FIELDS = (
    "workspace", "deal", "pipeline", "from_stage", "to_stage", "at", "actor", "owner", "amount",
    "currency", "probability",
)  # fmt: skip
POOL_EVENT_FIELDS = (
    "workspace", "customer", "kind", "at", "user", "owner", "previous_owner", "reason",
)  # fmt: skip
ACTIVITY_FIELDS = (
    "workspace", "created_at", "updated_at", "created_by", "updated_by", "version", "kind",
    "subject", "body", "due_at", "done_at", "outcome", "customer", "contact", "deal", "owner",
)  # fmt: skip
Row = tuple[object, ...]


@dataclass(frozen=True)
class Scale:
    """How big a demo company is: deals in its history, teams, people, and how far back."""

    deals: int
    regions: int
    teams_per_region: int
    reps_per_team: int
    team_leads: bool
    history_days: int
    # Deals lead eventful lives (see `simulate_eventful`), start with the seasons and log
    # few activities: about ten stage changes a deal, for analytics at volume.
    eventful: bool = False


SCALES = {
    "small": Scale(
        1_000, regions=3, teams_per_region=2, reps_per_team=2, team_leads=False, history_days=365
    ),
    "medium": Scale(
        100_000, regions=5, teams_per_region=4, reps_per_team=7, team_leads=True, history_days=730
    ),
    "large": Scale(
        1_000_000,
        regions=5,
        teams_per_region=4,
        reps_per_team=13,
        team_leads=True,
        history_days=1095,
        eventful=True,
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
    aggregate_seconds: float = 0.0
    usernames: list[str] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.deals - self.won - self.lost


def today_in(workspace: Workspace) -> datetime.date:
    """The anchor a demo gets by default, so its tasks fall due around the day it is shown."""
    return timezone.now().astimezone(ZoneInfo(workspace.timezone)).date()


def seed_workspace(
    request: SeedRequest,
    progress: Progress | None = None,
    aggregate_progress: Progress | None = None,
) -> SeedSummary:
    """Fill the workspace with a sales organisation and its history up to the anchor day.

    `summary.seconds` is the whole run but the rebuilding of the analytics aggregates, which
    `summary.aggregate_seconds` counts apart: the two grow at different rates.
    """
    from salesflow.analytics.aggregates import rebuild

    started = time.monotonic()
    workspace = request.workspace
    chinese = workspace.language.startswith("zh")
    rng = random.Random(request.seed)
    # Locks, service dates and releases draw from a stream of their own: they never shift the
    # history drawn from `rng`.
    care_rng = random.Random(f"{request.seed}:accounts")
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
    with transaction.atomic(), bulk_writing():
        customfields.define_fields(admin, chinese=chinese)
        accounts.configure(admin, chinese=chinese)
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
            eventful=scale.eventful,
        )
        writer = Writer(summary, world)
        care = accounts.AccountCare(care_rng, world)
        for bundle in CustomerBuilder(rng, world).bundles(request.deal_count):
            care.tend(bundle)
            writer.add(bundle)
            if writer.pending_deals >= BATCH_DEALS:
                writer.flush()
                if progress:
                    progress(summary.deals, request.deal_count)
        writer.flush()
        # The tiers' sums look up each customer's deals. Without statistics (autovacuum cannot
        # count rows this transaction has not committed) PostgreSQL read every deal of a stage
        # for each customer: 25 s for each 2,000 customers of the large seed.
        refresh_statistics((Customer, Deal, Stage))
        recompute_workspace(workspace.pk, now=cutoff)
        generated = time.monotonic()
        rebuild(workspace.pk, aggregate_progress)
        summary.aggregate_seconds = time.monotonic() - generated
    summary.seconds = time.monotonic() - started - summary.aggregate_seconds
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
    """Collects drawn rows and inserts them parents first, each parent keyed before its children.

    Rows become tuples in the order of the `*_FIELDS` above: times as the database's own text
    (`db_time`), JSON as text, links as the parents' keys.
    """

    def __init__(self, summary: SeedSummary, world: World) -> None:
        self.summary = summary
        self.workspace_id = world.workspace_id
        self.pipeline_id = world.shape.pk
        self.currency = world.currency
        self.won_stage_ids = {s.pk for s in world.shape.won}
        stages = (*world.shape.open, *world.shape.won, world.shape.lost)
        self.probabilities = {s.pk: probability(s) for s in stages if s is not None}
        self.zone = db_zone()
        self._reset()

    def _reset(self) -> None:
        self.customers: list[CustomerRow] = []
        self.contacts: list[ContactRow] = []
        self.deals: list[DealRow] = []
        self.activities: list[ActivityRow] = []

    @property
    def pending_deals(self) -> int:
        return len(self.deals)

    def add(self, bundle: Bundle) -> None:
        self.customers.append(bundle.customer)
        self.contacts.extend(bundle.contacts)
        self.deals.extend(bundle.deals)
        self.activities.extend(bundle.activities)

    def flush(self) -> None:
        _give_keys(self.customers, Customer)
        _give_keys(self.contacts, Contact)
        _give_keys(self.deals, Deal)
        changes = [change for deal in self.deals for change in self._stage_changes(deal)]
        insert_rows(Customer, CUSTOMER_FIELDS, [self._customer(c) for c in self.customers])
        insert_rows(PoolEvent, POOL_EVENT_FIELDS, self._pool_events())
        insert_rows(Contact, CONTACT_FIELDS, [self._contact(c) for c in self.contacts])
        insert_rows(SearchTerm, TERM_FIELDS, self._search_terms())
        insert_rows(DuplicateKey, KEY_FIELDS, self._duplicate_keys())
        insert_rows(Deal, DEAL_FIELDS, [self._deal(d) for d in self.deals])
        insert_rows(StageChange, STAGE_CHANGE_FIELDS, changes)
        insert_rows(Activity, ACTIVITY_FIELDS, [self._activity(a) for a in self.activities])
        summary = self.summary
        summary.customers += len(self.customers)
        summary.contacts += len(self.contacts)
        summary.deals += len(self.deals)
        summary.won += sum(1 for d in self.deals if d.stage_id in self.won_stage_ids)
        summary.lost += sum(1 for d in self.deals if d.lost_reason_id is not None)
        summary.stage_changes += len(changes)
        summary.activities += len(self.activities)
        self._reset()

    # fmt: off
    def _customer(self, c: CustomerRow) -> Row:
        by, zone = c.owner_id, self.zone
        return (
            c.pk, self.workspace_id, db_time(c.created_at, zone),
            db_time(c.updated_at or c.created_at, zone), by, by, 1, c.kind, c.name, c.industry,
            c.size, c.region, c.source_channel, c.current_owner_id, db_time(c.owner_since, zone),
            c.next_service_on, c.lifecycle, c.phone, c.email, c.website, c.address, "",
            initial_of(c.name, person=c.kind == CustomerKind.PERSON),
            customfields.customer_values(c.size),
            db_time(c.locked_at, zone) if c.locked_at else None, by if c.locked_at else None,
            encrypt(c.bank_account),
        )

    def _pool_events(self) -> list[Row]:
        """The release of each customer its owner put into the public pool."""
        return [
            (
                self.workspace_id, c.pk, PoolEventKind.RELEASE, db_time(c.released_at, self.zone),
                c.owner_id, None, c.owner_id, c.release_reason,
            )
            for c in self.customers
            if c.released_at
        ]

    def _search_terms(self) -> list[Row]:
        """The search terms of the batch's customers and their contacts, as the services
        would write them."""
        contacts: dict[int, list[ContactText]] = {}
        for c in self.contacts:
            contacts.setdefault(c.customer.pk, []).append(ContactText(c.name, c.phones, c.emails))
        return [
            row
            for c in self.customers
            for row in term_rows(
                workspace_id=self.workspace_id, owner_id=c.current_owner_id, customer_id=c.pk,
                kind=c.kind, name=c.name, phone=c.phone, email=c.email,
                contacts=contacts.get(c.pk, ()),
            )
        ]

    def _duplicate_keys(self) -> list[Row]:
        """The duplicate keys of the batch's customers and contacts, as the services would
        write them."""
        rows: list[Row] = [
            (self.workspace_id, c.pk, None, kind, key)
            for c in self.customers
            for kind, key in sorted(
                customer_keys(kind=c.kind, name=c.name, phones=[c.phone], emails=[c.email])
            )
        ]
        rows.extend(
            (self.workspace_id, c.customer.pk, c.pk, kind, key)
            for c in self.contacts
            for kind, key in sorted(contact_keys(name=c.name, phones=c.phones, emails=c.emails))
        )
        return rows

    def _contact(self, c: ContactRow) -> Row:
        by, at = c.created_by_id, db_time(c.created_at, self.zone)
        return (
            c.pk, self.workspace_id, at, at, by, by, 1, c.customer.pk, c.name, c.title,
            json.dumps(c.phones), json.dumps(c.emails), c.birthday, c.decision_role, "",
        )

    def _deal(self, d: DealRow) -> Row:
        by, zone = d.owner_id, self.zone
        entered = db_time(d.moves[-1].at, zone)
        return (
            d.pk, self.workspace_id, db_time(d.moves[0].at, zone), entered, by, by, 1, d.name,
            d.customer.pk, d.contact.pk, self.pipeline_id, d.stage_id, d.owner_id, d.amount,
            self.currency, d.expected_close_date, d.probability, False, d.next_step,
            d.lost_reason_id, d.lost_note, json.dumps(d.checklist), entered,
            db_time(d.closed_at, zone) if d.closed_at else None,
            customfields.deal_values(d.amount),
        )

    def _stage_changes(self, d: DealRow) -> list[Row]:
        """One row a move, made by the deal's owner, carrying the deal's amount."""
        workspace_id, pipeline_id, currency, zone = (
            self.workspace_id, self.pipeline_id, self.currency, self.zone
        )
        chance = self.probabilities
        return [
            (
                workspace_id, d.pk, pipeline_id, m.from_stage.pk if m.from_stage else None,
                m.to_stage.pk, db_time(m.at, zone), d.owner_id, d.owner_id, d.amount, currency,
                chance[m.to_stage.pk],
            )
            for m in d.moves
        ]

    def _activity(self, a: ActivityRow) -> Row:
        by, zone = a.owner_id, self.zone
        at = db_time(a.created_at, zone)
        return (
            self.workspace_id, at, at, by, by, 1, a.kind, a.subject, "",
            db_time(a.due_at, zone) if a.due_at else None,
            db_time(a.done_at, zone) if a.done_at else None, a.outcome, a.customer.pk,
            a.contact.pk if a.contact else None, a.deal.pk if a.deal else None, a.owner_id,
        )
    # fmt: on


def _give_keys(rows: Sequence[CustomerRow | ContactRow | DealRow], model: type[Model]) -> None:
    for row, pk in zip(rows, reserve_ids(model, len(rows)), strict=True):
        row.pk = pk
