"""Customers (companies or people we sell to) and their contacts."""

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import ExtractDay, ExtractMonth, Lower, Now
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from salesflow.core.encryption import ProtectedField
from salesflow.core.models import AppendOnly, Trashable, Workspace, WorkspaceOwned
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


class Customer(Trashable, WorkspaceOwned):
    kind = models.CharField(
        _("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    source_channel = models.CharField(_("source channel"), max_length=100, blank=True)
    # No owner: the customer is in the public pool (see customers/pool.py).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    # When the owner last changed (or the customer entered the pool): the pool's clock starts here.
    owner_since = models.DateTimeField(
        _("owner since"), default=now, db_default=Now(), editable=False
    )
    next_service_on = models.DateField(_("next service date"), null=True, blank=True)
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
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)
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
    # A locked customer cannot be deleted (customers.locks).
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True, editable=False)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("locked by"),
    )
    # Encrypted at rest, shown masked, revealed one at a time (customers.protected).
    id_number = ProtectedField(_("ID number"))
    bank_account = ProtectedField(_("bank account"))
    private_notes = ProtectedField(_("private notes"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(
                fields=["workspace", "trashed_at"],
                condition=models.Q(trashed_at__isnull=False),
                name="customer_trash",
            ),
            models.Index(fields=["workspace", "owner", "id"]),
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "lifecycle"]),
            models.Index(fields=["workspace", "initial", "name", "id"]),
            models.Index(fields=["workspace", "owner", "initial", "name", "id"]),
            models.Index(fields=["workspace", "tier", "name", "id"]),
            models.Index(fields=["workspace", "revenue"]),
            models.Index(fields=["workspace", "potential"]),
            models.Index(fields=["workspace", "fit"]),
            models.Index(fields=["category", "name", "id"], name="customer_by_category"),
            models.Index(fields=["workspace", "owner", "owner_since", "id"], name="customer_pool"),
            models.Index(
                fields=["workspace", "owner_since", "id"],
                condition=models.Q(owner__isnull=False),
                name="customer_owned_since",
            ),
            models.Index(
                fields=["workspace", "next_service_on"],
                condition=models.Q(next_service_on__isnull=False),
                name="customer_next_service",
            ),
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


class Contact(Trashable, WorkspaceOwned):
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
    id_number = ProtectedField(_("ID number"))
    # Went to the trash with its customer, and comes back with it.
    trashed_with_customer = models.BooleanField(default=False, editable=False)
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)

    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["workspace", "customer", "id"]),
            models.Index(
                fields=["workspace", "trashed_at"],
                condition=models.Q(trashed_at__isnull=False, trashed_with_customer=False),
                name="contact_trash",
            ),
            # Birthday reminders look contacts up by the day of the year.
            models.Index(
                "workspace",
                ExtractMonth("birthday"),
                ExtractDay("birthday"),
                condition=models.Q(birthday__isnull=False),
                name="contact_birthday",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldEntity(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    CONTACT = "contact", _("contact")
    DEAL = "deal", _("deal")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("text")
    LONG_TEXT = "long_text", _("long text")
    NUMBER = "number", _("number")
    MONEY = "money", _("money")
    DATE = "date", _("date")
    SINGLE_CHOICE = "single_choice", _("single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("multiple choice")
    YES_NO = "yes_no", _("yes/no")


class CustomField(WorkspaceOwned):
    """A field the workspace adds to its customers, contacts or deals (see `customfields`).

    The values live in the records' `custom` JSON under `key`, which never changes.
    """

    entity = models.CharField(_("record"), max_length=10, choices=CustomFieldEntity.choices)
    key = models.CharField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # [{"key": "east", "label": "华东", "retired": false}, ...] for the choice types.
    options = models.JSONField(_("options"), default=list, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    pattern = models.CharField(_("pattern"), max_length=200, blank=True)
    pattern_message = models.CharField(_("pattern message"), max_length=200, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=0)
    min_date = models.DateField(_("earliest date"), null=True, blank=True)
    max_date = models.DateField(_("latest date"), null=True, blank=True)
    shown_in_list = models.BooleanField(_("shown in lists"), default=False)
    archived = models.BooleanField(_("archived"), default=False)

    scope_owner_path = None

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "entity", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "entity", "key"], name="customfield_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.label


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

    # Keyed by the order searches read, (workspace, rank, term, customer), without an id of
    # its own: a column, a sequence and an index less to write for each of the millions of
    # terms. An import writes a batch's terms in this order, so the key's uniqueness is checked
    # on the page being filled. Keyed by (customer, term), it was checked at random places: of
    # a COPY of 435,081 terms into 8.2 million, that key alone took 2.2 to 2.5 s, the same
    # index without uniqueness 1.1 s (docs/benchmarks.md).
    pk = models.CompositePrimaryKey("workspace", "rank", "term", "customer")
    # No database constraints on workspace and customer either: the terms are derived, written
    # only beside their customer and deleted with it (Django cascades). PostgreSQL checks
    # such a constraint row by row at commit, for about twenty terms a customer: measured on
    # an import of 100,000 customers, commits took 24 % of its time with them, 5 % without.
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # No database constraint: a copy of Customer.owner, which already protects the user.
    # Empty for a customer in the public pool.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    rank = models.PositiveSmallIntegerField()
    term = TermField(max_length=64)

    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "owner", "rank", "term", "customer"],
                name="searchterm_by_owner",
            ),
            # A customer's terms: replaced when it changes, and read for a page's best matches
            # (about fifteen a customer, read from the table). Keyed by the customer alone, an
            # import's COPY of a batch's terms into 8.2 million took 0.65 s for this index
            # instead of 1.14 s with the term beside it (docs/benchmarks.md).
            models.Index(fields=["customer"], name="searchterm_by_customer"),
        ]

    def __str__(self) -> str:
        return self.term


class ImportEntity(models.TextChoices):
    CUSTOMERS = "customers", _("customers")
    CONTACTS = "contacts", _("contacts")
    DEALS = "deals", _("deals")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    FINISHED = "finished", _("finished")
    FAILED = "failed", _("stopped")


class ImportJob(WorkspaceOwned):
    """One uploaded file on its way in: how it reads, how its columns map, and how its runs went.

    A dry run and the real run use the same job; each run starts its counts afresh. The ids
    written are kept here, and the job's single audit record stands for all its rows.
    """

    entity = models.CharField(_("records"), max_length=10, choices=ImportEntity.choices)
    # Where the file is kept in the default storage (MEDIA_ROOT on one machine).
    file = models.CharField(_("file"), max_length=255)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=5)
    encoding = models.CharField(_("encoding"), max_length=12, blank=True)
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    match_key = models.CharField(_("match key"), max_length=12, blank=True)
    on_match = models.CharField(_("when a row matches"), max_length=6, default="skip")
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_ids = models.JSONField(default=list, blank=True)
    updated_ids = models.JSONField(default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    message = models.TextField(_("message"), blank=True)

    scope_owner_path = "created_by"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["workspace", "created_by", "id"])]

    def __str__(self) -> str:
        return self.file_name


class ImportProblem(models.Model):
    """A row of an import that was not written: where, which field, what value, and why."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=100, blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        indexes = [models.Index(fields=["job", "row", "id"])]

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"


class ImportMapping(WorkspaceOwned):
    """The column mapping last confirmed for files of one entity with these very headers."""

    entity = models.CharField(_("records"), max_length=10, choices=ImportEntity.choices)
    headers_key = models.CharField(max_length=64)
    mapping = models.JSONField(_("mapping"), default=dict)

    scope_owner_path = None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "entity", "headers_key"], name="import_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.headers_key[:8]}"


class CustomerRules(WorkspaceOwned):
    """A workspace's rules for the public pool and for reminders (one row, made on first save)."""

    return_after_days = models.PositiveSmallIntegerField(
        _("return to the pool after days without follow-up"),
        default=0,
        validators=[MaxValueValidator(3650)],
        help_text=_("0 turns the automatic return off."),
    )
    warn_days_before = models.PositiveSmallIntegerField(
        _("warn the owner days before"), default=3, validators=[MaxValueValidator(365)]
    )
    claim_limit = models.PositiveSmallIntegerField(
        _("claims per member per day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Counted per calendar day in the workspace's time zone."),
    )
    exempt_open_deals = models.BooleanField(
        _("customers with open deals stay with their owner"), default=True
    )
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind days before birthdays and service dates"),
        default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("Owners are reminded this many days before and on the day."),
    )

    scope_owner_path = None

    class Meta:
        verbose_name = _("customer rules")
        verbose_name_plural = _("customer rules")
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="customer_rules_one_per_workspace")
        ]

    def __str__(self) -> str:
        return f"rules of {self.workspace_id}"


class PoolEventKind(models.TextChoices):
    RELEASE = "release", _("released")
    CLAIM = "claim", _("claimed")
    ASSIGN = "assign", _("assigned")
    RETURN = "return", _("returned automatically")


class PoolEvent(AppendOnly):
    """One customer entering or leaving the public pool, and who did it (none: the sweep).

    Readable by every member, like the pool itself.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="pool_events",
        verbose_name=_("customer"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PoolEventKind.choices)
    at = models.DateTimeField(_("at"), default=now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new owner"),
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous owner"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    scope_owner_path: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        indexes = [
            models.Index(fields=["workspace", "id"], name="poolevent_history"),
            models.Index(fields=["customer", "id"], name="poolevent_customer"),
            # The claims a member made today, for the daily limit.
            models.Index(fields=["workspace", "user", "kind", "at"], name="poolevent_claims"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} @ {self.at:%Y-%m-%d %H:%M}"


class DuplicateKey(models.Model):
    """One normalised phone, e-mail address or name of a customer or of one of its contacts
    (see `customers.duplicate_keys`); two customers sharing a key may be one.

    Derived data: the customer services replace a customer's keys in the transaction that
    changes it or its contacts, and `salesflow rebuild_duplicate_keys` recomputes them all.
    """

    # No database constraints, as for SearchTerm: the keys are derived, written only beside
    # their customer or contact and deleted with it (Django cascades). PostgreSQL checks each
    # constraint row by row at commit: on an import of 100,000 customers, about 200,000 key
    # rows, two checks each.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # The contact the key comes from; empty for the customer's own name, phone and e-mail.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField(max_length=10)
    key = models.CharField(max_length=254)

    scope_owner_path: ClassVar[str | None] = "customer__owner"

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "key", "kind", "customer"], name="duplicatekey_by_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


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
