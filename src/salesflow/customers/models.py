"""Customers (companies or people we sell to) and their contacts."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from salesflow.core.models import Workspace, WorkspaceOwned


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
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
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
    # Indexed by customer_by_category, which starts with it.
    category = models.ForeignKey(
        "Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,
        verbose_name=_("customer category"),
    )
    tags: "models.ManyToManyField[Tag, CustomerTag]" = models.ManyToManyField(
        "Tag", through="CustomerTag", blank=True, related_name="customers", verbose_name=_("tags")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["workspace", "owner", "id"]),
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "lifecycle"]),
            models.Index(fields=["workspace", "initial", "name", "id"]),
            models.Index(fields=["workspace", "owner", "initial", "name", "id"]),
            models.Index(fields=["category", "name", "id"], name="customer_by_category"),
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


class Category(WorkspaceOwned):
    """A node of the workspace's customer category tree.

    `path` holds the ids from the top down ("/1/4/9/"), so a whole subtree is one prefix
    read from an index, and a move under itself or a descendant is a prefix test.
    """

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    path = TermField(max_length=255, editable=False)

    scope_owner_path = None

    class Meta:
        verbose_name = _("customer category")
        verbose_name_plural = _("customer categories")
        indexes = [models.Index(fields=["workspace", "path"], name="category_by_path")]
        constraints = [
            models.UniqueConstraint(
                "parent",
                Lower("name"),
                condition=models.Q(parent__isnull=False),
                name="category_unique_child_name",
                violation_error_message=_("A category with this name is already here."),
            ),
            models.UniqueConstraint(
                "workspace",
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="category_unique_top_name",
                violation_error_message=_("A category with this name is already here."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        """0 for a top-level category, 1 for its children, and so on."""
        return self.path.count("/") - 2


class TagColour(models.TextChoices):
    GREY = "grey", _("grey")
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    GREEN = "green", _("green")
    TEAL = "teal", _("teal")
    BLUE = "blue", _("blue")
    PURPLE = "purple", _("purple")


class Tag(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=10, choices=TagColour.choices, blank=True)

    scope_owner_path = None

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        # A customer's tags read alike everywhere: on the page, in the API, in exports.
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("name"),
                name="tag_unique_name",
                violation_error_message=_("A tag with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    """A tag on a customer. Written by the tag services only, which audit it on the customer."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False)

    class Meta:
        indexes = [models.Index(fields=["tag", "customer"], name="customertag_by_tag")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customertag_unique_tag")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"
