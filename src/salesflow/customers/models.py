"""Customers (companies or people we sell to) and their contacts."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext_lazy as _

from salesflow.core.models import Workspace, WorkspaceOwned
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS, ZERO


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("company")
    PERSON = "person", _("person")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-99", _("10–99 employees")
    MEDIUM = "100-499", _("100–499 employees")
    LARGE = "500-999", _("500–999 employees")
    ENTERPRISE = "1000+", _("1000+ employees")


class Tier(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    CUSTOMER = "customer", _("customer")
    CHURNED = "churned", _("churned")


class Customer(WorkspaceOwned):
    kind = models.CharField(
        _("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    source_channel = models.CharField(_("source channel"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    tier = models.CharField(
        _("tier"), max_length=1, choices=Tier.choices, blank=True, editable=False
    )
    # The inputs of the tier rules, kept with the tier by `customers.tiers`.
    revenue = models.DecimalField(
        _("revenue (12 months)"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=ZERO,
        editable=False,
    )
    potential = models.DecimalField(
        _("potential"),
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=ZERO,
        editable=False,
    )
    fit = models.PositiveSmallIntegerField(_("fit"), default=0, editable=False)
    lifecycle = models.CharField(
        _("lifecycle"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    # The A–Z index letter of the name (its first pinyin letter, or "#"), kept by the services.
    initial = models.CharField(_("initial"), max_length=1, default="#", editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["workspace", "owner", "id"]),
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "lifecycle"]),
            models.Index(fields=["workspace", "initial", "name", "id"]),
            models.Index(fields=["workspace", "owner", "initial", "name", "id"]),
            models.Index(fields=["workspace", "tier", "name", "id"]),
            models.Index(fields=["workspace", "revenue"]),
            models.Index(fields=["workspace", "potential"]),
            models.Index(fields=["workspace", "fit"]),
        ]

    def __str__(self) -> str:
        return self.name


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    INFLUENCER = "influencer", _("influencer")
    CHAMPION = "champion", _("champion")
    USER = "user", _("user")
    GATEKEEPER = "gatekeeper", _("gatekeeper")
    OTHER = "other", _("other")


class Contact(WorkspaceOwned):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    emails = models.JSONField(_("emails"), default=list, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    decision_role = models.CharField(
        _("decision role"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=10000)

    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["workspace", "customer", "id"])]

    def __str__(self) -> str:
        return self.name


class TermField(models.CharField):
    """Text compared code point by code point on every database, so that the terms from `q`
    up to (not including) `q` with its last character incremented are exactly those starting
    with `q`, read from a B-tree index. SQLite compares so by default; PostgreSQL is told."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class SearchTerm(models.Model):
    """One text a customer is found by when a search starts with it (see `customers.terms`).

    Derived data: the customer services replace a customer's terms in the transaction that
    changes it or its contacts, and `salesflow rebuild_search` recomputes them all. The owner
    is copied from the customer so that `visible()` narrows a rep's search inside the index.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # No database constraint: a copy of Customer.owner, which already protects the user.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rank = models.PositiveSmallIntegerField()
    term = TermField(max_length=64)

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "rank", "term", "customer"], name="searchterm_by_term"
            ),
            models.Index(
                fields=["workspace", "owner", "rank", "term", "customer"],
                name="searchterm_by_owner",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "term"], name="searchterm_unique_term")
        ]

    def __str__(self) -> str:
        return self.term


class TierSettings(WorkspaceOwned):
    """The admin's tier rules and ideal-customer lists: one row per workspace.

    `rules` is the ordered list the tiers are decided by, each
    {"tier": "A", "min_revenue": "100000.00" | null, "min_potential": ... | null,
    "min_fit": 0–3 | null}; `customers.tiers` checks it before it is saved.
    """

    rules = models.JSONField(_("tier rules"), default=list, blank=True)
    ideal_industries = models.JSONField(_("ideal industries"), default=list, blank=True)
    ideal_sizes = models.JSONField(_("ideal sizes"), default=list, blank=True)
    ideal_regions = models.JSONField(_("ideal regions"), default=list, blank=True)

    scope_owner_path = None

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="tiersettings_one_per_workspace")
        ]

    def __str__(self) -> str:
        return str(self.workspace_id)


class CustomerUsage(models.Model):
    """How one user uses one customer: when they last opened it, how often, and whether they
    pinned it. Read for their shortcuts menu through `visible()`, so a customer they may no
    longer see drops out of it."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    last_viewed_at = models.DateTimeField(_("last viewed at"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)

    scope_owner_path: ClassVar[str | None] = "customer__owner"

    class Meta:
        verbose_name = _("customer usage")
        verbose_name_plural = _("customer usage")
        indexes = [
            models.Index(
                fields=["workspace", "user", "last_viewed_at"], name="customerusage_recent"
            ),
            models.Index(fields=["workspace", "user", "view_count"], name="customerusage_most"),
            models.Index(fields=["workspace", "user", "pinned_at"], name="customerusage_pinned"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="customerusage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.customer_id}"
