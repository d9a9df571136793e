"""Customer tiers: the admin's rules, the inputs they read, and keeping both up to date.

Every customer carries its tier inputs (revenue, potential, fit) and the tier the first rule
it meets gives it. The services call `customer_changed` or `customers_changed` in the
transaction that changed an input (a deal of the customer, or its industry, size or region);
`save_tier_settings` and `salesflow recompute_tiers` recompute a whole workspace in batches of
set-based statements. Inputs and tier are derived data: written without a version bump, so
they never make a user's edit of the customer conflict, while every change of tier is
recorded in the audit trail (old → new).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import writes
from salesflow.core.errors import Conflict, FieldError, ValidationFailed
from salesflow.core.models import AuditRecord, Workspace
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS, ZERO
from salesflow.core.progress import Progress
from salesflow.core.scoping import Actor, require_admin, visible
from salesflow.customers.models import CompanySize, Customer, TierSettings
from salesflow.pipeline.models import Deal, StageKind

# What a customer's own fields contribute: its fit points.
CUSTOMER_INPUTS = frozenset({"industry", "size", "region"})
# What the tier pass writes on a customer (besides nothing else).
DERIVED_FIELDS = ("revenue", "potential", "fit", "tier")
SETTINGS_FIELDS = frozenset({"rules", "ideal_industries", "ideal_sizes", "ideal_regions"})
RULE_FIELDS = ("tier", "min_revenue", "min_potential", "min_fit")
TIERS = ("A", "B", "C")
MAX_RULES = 20
MAX_IDEAL_VALUES = 200
MAX_VALUE_LENGTH = 100  # as Customer.industry and Customer.region
MAX_FIT = 3
BATCH = 2000
AUDIT_ACTION = "tier"

MONEY: DecimalField[Decimal, Decimal] = DecimalField(
    max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES
)
LARGEST_MONEY = Decimal(10 ** (MAX_DIGITS - DECIMAL_PLACES)) - Decimal("0.01")


@dataclass(frozen=True)
class TierRule:
    """Customers meeting every minimum given (None: no condition) get the tier."""

    tier: str
    min_revenue: Decimal | None = None
    min_potential: Decimal | None = None
    min_fit: int | None = None

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> TierRule:
        def money(name: str) -> Decimal | None:
            value = stored.get(name)
            return None if value is None else Decimal(value)

        return cls(
            tier=stored["tier"],
            min_revenue=money("min_revenue"),
            min_potential=money("min_potential"),
            min_fit=stored.get("min_fit"),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "min_revenue": writes.jsonable(self.min_revenue),
            "min_potential": writes.jsonable(self.min_potential),
            "min_fit": self.min_fit,
        }

    def condition(self) -> Q:
        """The rule as a filter on the stored inputs; an empty Q for a rule without minimums."""
        condition = Q()
        if self.min_revenue is not None:
            condition &= Q(revenue__gte=self.min_revenue)
        if self.min_potential is not None:
            condition &= Q(potential__gte=self.min_potential)
        if self.min_fit is not None:
            condition &= Q(fit__gte=self.min_fit)
        return condition


def rules_of(settings: TierSettings) -> list[TierRule]:
    return [TierRule.of(rule) for rule in settings.rules]


# Reading


def tier_settings(actor: Actor) -> TierSettings:
    """The workspace's tier settings; before an admin saved any, the empty ones (no rules)."""
    found = visible(TierSettings, actor).first()
    return found or TierSettings(workspace_id=actor.workspace_id)


def tier_counts(actor: Actor) -> dict[str, int]:
    """How many customers the actor sees hold each tier now ("" for no tier)."""
    rows = visible(Customer, actor).values("tier").annotate(n=Count("*")).order_by()
    counts = dict.fromkeys(("", *TIERS), 0)
    counts.update({row["tier"]: row["n"] for row in rows})
    return counts


# Changing the settings


def _clean_money(value: object, field: str, errors: list[FieldError]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(FieldError(field, _("Enter a number.")))
        return None
    if not amount.is_finite() or amount < 0 or amount > LARGEST_MONEY:
        errors.append(
            FieldError(field, _("Enter an amount from 0 to %(max)s.") % {"max": LARGEST_MONEY})
        )
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.append(FieldError(field, _("Enter at most two decimal places.")))
        return None
    return amount.quantize(Decimal("0.01"))


def _clean_fit(value: object, field: str, errors: list[FieldError]) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is not int or not 0 <= value <= MAX_FIT:
        errors.append(FieldError(field, _("Enter a whole number from 0 to 3.")))
        return None
    return value


def _clean_rules(rules: object, errors: list[FieldError]) -> list[dict[str, Any]]:
    if not isinstance(rules, list) or not all(isinstance(rule, Mapping) for rule in rules):
        errors.append(FieldError("rules", _("Must be a list of rules.")))
        return []
    if len(rules) > MAX_RULES:
        errors.append(
            FieldError("rules", _("At most %(count)d rules are allowed.") % {"count": MAX_RULES})
        )
        return []
    cleaned = []
    for index, rule in enumerate(rules):
        prefix = f"rules.{index}"
        for name in sorted(set(rule) - set(RULE_FIELDS)):
            errors.append(FieldError(f"{prefix}.{name}", _("Unknown field.")))
        if rule.get("tier") not in TIERS:
            errors.append(FieldError(f"{prefix}.tier", _("Choose the tier A, B or C.")))
        checked = TierRule(
            tier=str(rule.get("tier")),
            min_revenue=_clean_money(rule.get("min_revenue"), f"{prefix}.min_revenue", errors),
            min_potential=_clean_money(
                rule.get("min_potential"), f"{prefix}.min_potential", errors
            ),
            min_fit=_clean_fit(rule.get("min_fit"), f"{prefix}.min_fit", errors),
        )
        cleaned.append(checked.stored())
    return cleaned


def _clean_values(values: object, field: str, errors: list[FieldError]) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        errors.append(FieldError(field, _("Must be a list of strings.")))
        return []
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > MAX_IDEAL_VALUES:
        errors.append(
            FieldError(
                field, _("At most %(count)d values are allowed.") % {"count": MAX_IDEAL_VALUES}
            )
        )
    for value in cleaned:
        if len(value) > MAX_VALUE_LENGTH:
            message = _("“%(value)s” is longer than 100 characters.") % {"value": value}
            errors.append(FieldError(field, message))
    return cleaned


def _clean_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if "rules" in data:
        values["rules"] = _clean_rules(data["rules"], errors)
    for field in ("ideal_industries", "ideal_regions", "ideal_sizes"):
        if field in data:
            values[field] = _clean_values(data[field], field, errors)
    sizes = set(CompanySize.values)
    for size in values.get("ideal_sizes", []):
        if size not in sizes:
            errors.append(
                FieldError("ideal_sizes", _("“%(value)s” is not a company size.") % {"value": size})
            )
    if errors:
        raise ValidationFailed(errors)
    return values


def _locked_settings(actor: Actor, version: int | None) -> TierSettings:
    """The workspace's settings row, locked, at the version the client read (created the
    first time: an unsaved workspace reads as version 1, as the new row starts)."""
    found = visible(TierSettings, actor).select_for_update().first()
    if found is None:
        try:
            with transaction.atomic():
                found = writes.create(actor, TierSettings())
        except IntegrityError:  # another admin saved the first settings meanwhile
            found = visible(TierSettings, actor).select_for_update().get()
    if version is not None and found.version != version:
        raise Conflict(found.version)
    return found


@transaction.atomic
def save_tier_settings(
    actor: Actor, version: int | None, data: Mapping[str, Any], now: datetime.datetime | None = None
) -> TierSettings:
    """Replace the rules and ideal lists; every customer of the workspace is re-tiered in the
    same transaction."""
    require_admin(actor)
    writes.only(data, SETTINGS_FIELDS)
    values = _clean_settings(data)
    settings = _locked_settings(actor, version)
    changes = writes.apply(settings, values)
    writes.update(actor, settings, changes)
    if changes:
        recompute_workspace(actor.workspace_id, actor=actor, now=now)
    return settings


# Recomputing


def revenue_since(now: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """The start of the revenue window: midnight in the workspace's zone, a year before
    today's date (28 February for 29 February)."""
    today = now.astimezone(zone).date()
    try:
        first = today.replace(year=today.year - 1)
    except ValueError:
        first = today.replace(year=today.year - 1, day=28)
    return datetime.datetime.combine(first, datetime.time(0), tzinfo=zone)


def _deal_sum(deals: QuerySet[Deal], total: Combinable | Sum) -> Coalesce:
    per_customer = (
        deals.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(total=total)
        .values("total")
    )
    return Coalesce(Subquery(per_customer, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _fit(settings: TierSettings | None) -> Combinable | Value:
    """One point each for an industry, a size and a region in the ideal lists."""
    points: list[Case] = []
    for field, values in (
        ("industry", settings.ideal_industries if settings else []),
        ("size", settings.ideal_sizes if settings else []),
        ("region", settings.ideal_regions if settings else []),
    ):
        if values:
            points.append(
                Case(
                    When(**{f"{field}__in": values}, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
    if not points:
        return Value(0)
    total: Any = points[0]
    for point in points[1:]:
        total = total + point
    return total


def _tier(rules: Sequence[TierRule]) -> Case | Value:
    """The first rule met decides; a rule without minimums is met by every customer left."""
    whens: list[When] = []
    for rule in rules:
        condition = rule.condition()
        if not condition:
            return Case(*whens, default=Value(rule.tier)) if whens else Value(rule.tier)
        whens.append(When(condition, then=Value(rule.tier)))
    return Case(*whens, default=Value("")) if whens else Value("")


@dataclass(frozen=True)
class _Pass:
    """The statements one recompute runs on each batch of customers."""

    workspace_id: int
    actor_id: int | None
    inputs: dict[str, Any]
    tier: Case | Value

    # Customers written in this very transaction: no deal can name them yet and no one else
    # sees them, so their sums stay the zero they were written with and no row is locked.
    created: bool = False

    @classmethod
    def prepare(
        cls,
        workspace_id: int,
        actor: Actor | None,
        now: datetime.datetime | None,
        *,
        created: bool = False,
    ) -> _Pass:
        zone = ZoneInfo(Workspace.objects.values_list("timezone", flat=True).get(pk=workspace_id))
        settings = TierSettings.objects.filter(workspace_id=workspace_id).first()
        since = revenue_since(now or timezone.now(), zone)
        won = Deal.objects.filter(
            stage__kind=StageKind.WON, closed_at__gte=since, trashed_at__isnull=True
        )
        open_deals = Deal.objects.filter(stage__kind=StageKind.OPEN, trashed_at__isnull=True)
        weighted = _deal_sum(open_deals, Sum(F("amount") * F("probability")))
        sums = {
            "revenue": _deal_sum(won, Sum("amount")),
            # ×0.01 rather than ÷100: SQLite divides whole numbers without a remainder.
            "potential": Round(weighted * Value(Decimal("0.01")), DECIMAL_PLACES),
        }
        return cls(
            workspace_id=workspace_id,
            actor_id=actor.user_id if actor else None,
            inputs={**({} if created else sums), "fit": _fit(settings)},
            tier=_tier(rules_of(settings) if settings else []),
            created=created,
        )

    @transaction.atomic
    def run(self, customers: QuerySet[Customer]) -> int:
        """Recompute these customers; return how many changed tier.

        The rows are locked first, so the sums below read every deal committed before the
        lock was granted (PostgreSQL gives each statement a fresh snapshot).
        """
        if not self.created:
            list(customers.select_for_update().order_by("pk").values_list("pk", flat=True))
        # Only the rows whose inputs change are written: most of an import's new customers
        # (no deals yet) and most customers of a recompute keep theirs.
        stale = customers.alias(**{f"new_{name}": value for name, value in self.inputs.items()})
        stale.exclude(**{name: F(f"new_{name}") for name in self.inputs}).update(**self.inputs)
        changed = list(
            customers.annotate(new_tier=self.tier)
            .exclude(tier=F("new_tier"))
            .values_list("pk", "tier", "new_tier")
        )
        by_tier: dict[str, list[int]] = defaultdict(list)
        for pk, _old, new in changed:
            by_tier[new].append(pk)
        for new, ids in by_tier.items():
            Customer.objects.filter(pk__in=ids).update(tier=new)
        AuditRecord.objects.bulk_create(
            AuditRecord(
                workspace_id=self.workspace_id,
                actor_id=self.actor_id,
                entity=Customer._meta.label_lower,
                entity_id=pk,
                action=AUDIT_ACTION,
                changes={"tier": [old, new]},
            )
            for pk, old, new in changed
        )
        return len(changed)


def customers_changed(
    actor: Actor | None,
    customer_ids: Iterable[int],
    now: datetime.datetime | None = None,
    *,
    created: bool = False,
) -> None:
    """Recompute the inputs and tier of these customers (of the actor's workspace); `created`:
    all of them were written in this transaction (an import's new customers)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    workspace_id = Customer.objects.filter(pk=ids[0]).values_list("workspace_id", flat=True)
    prepared = _Pass.prepare(workspace_id.get(), actor, now, created=created)
    prepared.run(Customer.objects.filter(workspace_id=prepared.workspace_id, pk__in=ids))


def customer_changed(actor: Actor, customer: Customer) -> None:
    """Recompute one customer and bring the instance's inputs and tier up to date."""
    customers_changed(actor, [customer.pk])
    customer.refresh_from_db(fields=DERIVED_FIELDS)


def _batches(workspace_id: int) -> Iterator[QuerySet[Customer]]:
    """The workspace's customers in ranges of ids, BATCH at a time."""
    customers = Customer.objects.filter(workspace_id=workspace_id)
    last = 0
    while True:
        rest = customers.filter(pk__gt=last)
        bound = rest.order_by("pk").values_list("pk", flat=True)[BATCH - 1 : BATCH].first()
        if bound is None:
            yield rest
            return
        yield rest.filter(pk__lte=bound)
        last = bound


def recompute_workspace(
    workspace_id: int,
    *,
    actor: Actor | None = None,
    now: datetime.datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Recompute every customer of the workspace; return how many changed tier.

    Each batch is its own transaction when called outside one (the daily command: a rerun
    finishes the job), and part of the caller's when inside (a change of the rules).
    """
    prepared = _Pass.prepare(workspace_id, actor, now)
    total = Customer.objects.filter(workspace_id=workspace_id).count()
    done = changed = 0
    for batch in _batches(workspace_id):
        changed += prepared.run(batch)
        done = min(done + BATCH, total)
        if progress:
            progress(done, total)
    return changed
