"""Importing one batch of rows of customers, contacts or deals.

A batch is parsed and validated row by row without writing, by the same model checks and
validation functions the services use; then its existing records are found with one query
per batch (through the customers' search terms, which index whole names, e-mail addresses and
phone numbers), and the batch is written in bulk inside the caller's transaction. A row with
an error is reported and left out whole (a customer with its first contact, never one of the
two). Deals are written through the deal services, row by row, because a deal's first stage
change and the analytics aggregates belong to its creation.

Custom values and protected values are checked by the services' own code (see
`importfields`); an owner cell may name a member or the public pool (公海), and matching sees
only what `visible()` lets the actor see, so records in the trash are never matched.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.bulk import (
    chunks,
    db_time,
    db_zone,
    insert_rows,
    insert_rows_behind,
    reserve_ids,
)
from salesflow.core.encryption import encrypt
from salesflow.core.errors import DomainError, FieldError, ValidationFailed
from salesflow.core.models import Membership, Role
from salesflow.core.scoping import Actor, require_can_own, visible
from salesflow.customers import duplicates, pool, protected, search, tiers
from salesflow.customers.columns import CUSTOM_ENTITIES, Column, pool_marker
from salesflow.customers.duplicate_keys import Candidate, Key, KeyKind, customer_keys
from salesflow.customers.duplicates import find_duplicates_bulk
from salesflow.customers.importfields import CustomValues, protected_values
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomerKind,
    DuplicateKey,
    ImportEntity,
    Lifecycle,
    PoolEvent,
    PoolEventKind,
    SearchTerm,
)
from salesflow.customers.rowchecks import FieldChecks
from salesflow.customers.search import TERM_FIELDS, term_rows
from salesflow.customers.services import clean_contact_lists
from salesflow.customers.terms import (
    WHOLE,
    ContactText,
    customer_terms,
    initial_of,
    normalise,
    phone_digits,
)
from salesflow.pipeline.models import Deal, Pipeline, Stage
from salesflow.pipeline.services import deals as deal_services

ID, EMAIL, PHONE, NAME = "id", "email", "phone", "name"
MATCH_KEYS = {
    ImportEntity.CUSTOMERS: (ID, EMAIL, PHONE, NAME),
    ImportEntity.CONTACTS: (ID, EMAIL, PHONE, NAME),
    ImportEntity.DEALS: (ID, NAME),
}
UPDATE, SKIP = "update", "skip"
# Foreign keys are checked by the importer itself, once per batch, not by a query per row.
NOT_VALIDATED = ("id", "workspace", "owner", "customer", "created_by", "updated_by")
CUSTOMER_VALUES = (
    "kind", "name", "industry", "size", "region", "source_channel", "lifecycle",
    "phone", "email", "website", "address", "notes",
)  # fmt: skip
# What a new customer's row holds, after the stamps: its values, owner, custom and protected
# values (those it leaves out get their defaults), then its A–Z letter.
CUSTOMER_WRITTEN = (
    *CUSTOMER_VALUES, "owner_id", "custom", "id_number", "bank_account", "private_notes",
)  # fmt: skip
CUSTOMER_FIELDS = (
    "id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version",
    *(name.removesuffix("_id") for name in CUSTOMER_WRITTEN), "initial",
)  # fmt: skip
CUSTOMER_DEFAULTS = {
    field.attname: field.get_default()
    for field in Customer._meta.concrete_fields
    if field.attname in CUSTOMER_WRITTEN
}
TERM_RANK = itemgetter(TERM_FIELDS.index("rank"))
TERM_TEXT = itemgetter(TERM_FIELDS.index("term"))
CONTACT_FIELDS = (
    "id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version",
    "customer", "name", "title", "phones", "emails", "birthday", "decision_role", "notes",
    "custom", "id_number",
)  # fmt: skip
CONTACT_VALUES = ("name", "title", "phones", "emails", "birthday", "decision_role", "notes")
DEAL_VALUES = (
    "name", "amount", "currency", "expected_close_date", "probability", "next_step",
    "forecast_category",
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    row: int
    key: str  # the column key the problem is about, "" for the whole row
    value: str
    reason: str


@dataclass
class Row:
    """One line of the file: its number, the text of each mapped column, the parsed values."""

    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    record: Any = None  # the existing record it matched
    memo: dict[str, Any] = field(default_factory=dict)

    def fail(self, key: str, reason: str) -> None:
        self.problems.append(Problem(self.number, key, self.raw.get(key, ""), reason))

    @property
    def ok(self) -> bool:
        return not self.problems

    def given(self, key: str) -> bool:
        """A column the file maps and this row fills; an empty cell changes nothing."""
        return bool(self.raw.get(key, "").strip())


@dataclass
class Outcome:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    # rows that were to be written: a database error in the batch fails them all
    written: list[Row] = field(default_factory=list)


def parse_rows(
    batch: Sequence[tuple[int, list[str]]], mapped: Sequence[tuple[int, Column]]
) -> list[Row]:
    rows = []
    for number, cells in batch:
        row = Row(number, {})
        for index, column in mapped:
            assert column.parse is not None  # `columns` offers imports only what they read
            raw = cells[index] if index < len(cells) else ""
            row.raw[column.key] = raw
            try:
                row.values[column.key] = column.parse(raw)
            except Exception as invalid:  # a ValidationError, or a parser's own ValueError
                messages = getattr(invalid, "messages", None) or [str(invalid)]
                for message in messages:
                    row.fail(column.key, str(message))
        rows.append(row)
    return rows


def service_problems(row: Row, failed: DomainError, fields: Mapping[str, str]) -> None:
    """File a service's errors under the row's columns: `owner_id` → owner, `emails.1` → emails,
    `custom.budget` → the budget's column."""
    errors = (
        failed.errors if isinstance(failed, ValidationFailed) else [FieldError("", failed.detail)]
    )
    for error in errors:
        name = error.field if error.field in row.raw else error.field.split(".")[0]
        row.fail(fields.get(name, name if name in row.raw else ""), str(error.message))


class Owners:
    """Who may own what this actor imports: members by username, each checked once by the
    service's own rule."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        members = Membership.objects.filter(workspace_id=actor.workspace_id, is_active=True)
        self.by_name = dict(
            User.objects.filter(pk__in=members.values("user_id")).values_list("username", "pk")
        )
        self.folded = {name.casefold(): pk for name, pk in self.by_name.items()}
        self.checked: dict[int, str] = {}

    def pool(self, row: Row) -> bool:
        """Whether the row's owner cell names the public pool (公海, pool); only managers and
        admins may put customers there, a rep's row is refused."""
        name = row.values.get("owner") or ""
        if not name or not pool_marker(name):
            return False
        if self.actor.role not in (Role.ADMIN, Role.MANAGER):
            row.fail("owner", _("Only managers and admins may put customers in the public pool."))
        return True

    def resolve(self, row: Row, key: str = "owner") -> int | None:
        """The owner the row names (None: the actor), or a problem filed on the row."""
        name = row.values.get(key) or ""
        if not name:
            return None
        user_id = self.by_name.get(name, self.folded.get(name.casefold()))
        if user_id is None:
            row.fail(key, _("No active member of this workspace has this username."))
            return None
        if user_id not in self.checked:
            try:
                require_can_own(self.actor, user_id, key)
                self.checked[user_id] = ""
            except DomainError as refused:
                errors = getattr(refused, "errors", None)
                self.checked[user_id] = str(errors[0].message if errors else refused.detail)
        if self.checked[user_id]:
            row.fail(key, self.checked[user_id])
            return None
        return user_id


def validation_problems(
    row: Row, obj: Model, fields: Mapping[str, str], exclude: Iterable[str] = ()
) -> None:
    try:
        writes.validate(obj, exclude=(*NOT_VALIDATED, *exclude))
    except ValidationFailed as invalid:
        service_problems(row, invalid, fields)


def match_text(key: str, value: str) -> str:
    """A key value as the search terms hold it."""
    return phone_digits(value) if key == PHONE else normalise(value)


def customers_by_terms(
    actor: Actor, key: str, texts: set[str], lock: bool
) -> dict[str, list[Customer]]:
    """The visible customers whose own name, e-mail address or phone number is one of `texts`,
    from the search index (a query for each LOOKUP_BATCH terms, one for the customers)."""
    texts.discard("")
    if not texts:
        return {}
    terms = visible(SearchTerm, actor).filter(rank=WHOLE)
    ids = {
        customer_id
        for batch in chunks(sorted(texts))
        for customer_id in terms.filter(term__in=batch).values_list("customer_id", flat=True)
    }
    rows = visible(Customer, actor).filter(pk__in=ids)
    if lock:
        rows = rows.select_for_update()
    found: dict[str, list[Customer]] = defaultdict(list)
    for customer in rows.order_by("pk"):
        own = getattr(customer, key)
        found[match_text(key, own)].append(customer)
    return found


class Importer:
    """What the three importers share: the actor, the options, the keys seen so far."""

    entity: str
    # service field name → column key, for the errors the model checks report
    fields: Mapping[str, str] = {}
    # The tables an import of this kind grows (and whose statistics it keeps up to date).
    tables: tuple[type[Model], ...] = ()

    def __init__(
        self, actor: Actor, match_key: str, on_match: str, *, create_customers: bool = False
    ) -> None:
        self.actor = actor
        self.match_key = match_key
        self.on_match = on_match
        self.create_customers = create_customers
        self.owners = Owners(actor)
        self.custom = CustomValues(actor.workspace_id, CUSTOM_ENTITIES[ImportEntity(self.entity)])
        self.zone = db_zone()
        # match key → row number, so a file naming one record twice cannot create it twice
        self.seen: dict[Any, int] = {}
        # the batch's writes left for last (see `writing_behind`)
        self.behind: list[tuple[type[Model], Sequence[str], list[tuple[Any, ...]]]] = []

    def run(self, rows: list[Row], lock: bool) -> Outcome:
        """Import a batch in the caller's transaction; what `write_behind` was given is not
        written yet: the caller runs it with `writing_behind` before the transaction ends."""
        raise NotImplementedError

    def prepare(self, rows: list[Row]) -> None:
        """Work out ahead, without the database, what `run` will read of these rows."""

    def write_behind(
        self, model: type[Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Rows the batch writes last, which nothing else in the batch reads (search terms)."""
        self.behind.append((model, fields, rows))

    @contextmanager
    def writing_behind(self) -> Iterator[None]:
        """Write what was left for last in a thread while the block runs (it must not use this
        connection: it prepares the next batch, or lets it run on a connection of its own), and
        wait for it on leaving the block: the database fills the indexes while Python works on
        the next rows."""
        behind, self.behind = self.behind, []
        written = insert_rows_behind(behind)
        try:
            yield
        finally:
            written.result()

    def forgetting(self) -> Callable[[], None]:
        """A function that forgets what the batch just run would have created, for when the
        database refuses the batch after all. Taken before the next batch runs: by the time
        it is called, the next batch may be running already (see `imports._overlapped`)."""
        behind = self.behind
        return behind.clear

    def first_time(self, row: Row, key: Any, column: str) -> bool:
        """Whether no earlier row of the file was to create a record with this key, which
        this row now is; a repeat is reported."""
        if not _keyed(key):
            return True
        earlier = self.seen.setdefault(key, row.number)
        if earlier == row.number:
            return True
        self._repeat(row, column, earlier)
        return False

    def repeats(self, row: Row, key: Any, column: str) -> bool:
        """Whether an earlier row of the file was to create a record with this key; if so,
        the row is reported. Asked before the rows are matched, so that such a row is refused
        in whichever batch it comes, whether or not the earlier row's batch has committed
        yet (batches overlap on PostgreSQL: see `imports._overlapped`)."""
        earlier = self.seen.get(key) if _keyed(key) else None
        if earlier is None or earlier == row.number:
            return False
        self._repeat(row, column, earlier)
        return True

    @staticmethod
    def _repeat(row: Row, column: str, earlier: int) -> None:
        row.fail(
            column,
            _("Row %(row)d of this file has the same value; this row was left out.")
            % {"row": earlier},
        )

    def stamp(self) -> tuple[str, int, int]:
        now = db_time(timezone.now(), self.zone)
        return now, self.actor.user_id, self.actor.workspace_id


@dataclass(eq=False)
class NewCustomer:
    """A customer a batch creates: its checked values by attribute name (those left out get
    their defaults), and its id once reserved. Lighter than a model instance per row."""

    values: dict[str, Any]
    pk: int | None = None

    @property
    def pooled(self) -> bool:
        return self.values.get("owner_id") is None


# A row's customer: one that exists, or one the same batch creates (for a vCard).
Linked = Customer | NewCustomer


class CustomerImporter(Importer):
    entity = ImportEntity.CUSTOMERS
    tables = (Customer, Contact, SearchTerm, DuplicateKey)
    fields = {"owner_id": "owner"}
    contact_fields = {name: f"contact_{name}" for name in CONTACT_VALUES} | {
        "custom": "contact_name"
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks = FieldChecks(Customer, NOT_VALIDATED)
        self.contact_custom = CustomValues(self.actor.workspace_id, "contact")
        # duplicate key → number of the row of this file that creates a customer with it, and
        # the keys the batch being written added (forgotten if the database refuses it)
        self.new_keys: dict[Key, int] = {}
        self.batch_keys: list[Key] = []

    def forgetting(self) -> Callable[[], None]:
        forget_rest, keys = super().forgetting(), self.batch_keys

        def forget() -> None:
            forget_rest()
            for key in keys:
                del self.new_keys[key]

        return forget

    def prepare(self, rows: list[Row]) -> None:
        """The match keys, the field checks of a new customer, and the names' readings, own
        search terms and duplicate keys (which the functions computing them remember, while
        they are reused; the A–Z letter reads the same reading)."""
        for row in rows:
            if not row.ok:
                continue
            self.key_of(row)
            self.checked(row)
            values = CUSTOMER_DEFAULTS | row.values
            kind, name, phone, email = (values[k] for k in ("kind", "name", "phone", "email"))
            if isinstance(name, str) and isinstance(kind, str):
                customer_terms(kind=kind, name=name, phone=phone, email=email)
                customer_keys(kind=kind, name=name, phones=(phone,), emails=(email,))

    def key_of(self, row: Row) -> Any:
        """The row's match key, read once (a phone number's parse is not cheap)."""
        if "key" not in row.memo:
            if self.match_key == ID:
                row.memo["key"] = row.values.get("id")
            else:
                row.memo["key"] = match_text(self.match_key, row.values.get(self.match_key) or "")
        return row.memo["key"]

    def checked(self, row: Row) -> tuple[dict[str, Any], ValidationFailed | None]:
        """The row's values of a new customer, checked by the model's field rules as
        `create_customer` checks them (the values cleaned, and what is wrong), worked out once."""
        if "checked" not in row.memo:
            values = {name: row.values[name] for name in CUSTOMER_VALUES if row.given(name)}
            try:
                self.checks.check(values)
                row.memo["checked"] = values, None
            except ValidationFailed as invalid:
                row.memo["checked"] = values, invalid
        checked: tuple[dict[str, Any], ValidationFailed | None] = row.memo["checked"]
        return checked

    def run(self, rows: list[Row], lock: bool) -> Outcome:
        outcome = Outcome()
        self.batch_keys = []
        wanted = [
            row
            for row in rows
            if row.ok and not self.repeats(row, self.key_of(row), self.match_key)
        ]
        self._match(wanted, lock)
        mapped = rows[0].raw.keys() if rows else set()
        given = [name for name in CUSTOMER_VALUES if name in mapped]
        new: list[tuple[Row, NewCustomer, Contact | None]] = []
        changed: list[tuple[Row, Customer, dict[str, list[Any]]]] = []
        for row in wanted:
            if row.record is not None and self.on_match == SKIP:
                outcome.skipped += 1
                continue
            pooled = self.owners.pool(row)
            owner_id = None if pooled else self.owners.resolve(row)
            try:
                clear = protected_values(row, Customer)
            except ValidationFailed as invalid:
                service_problems(row, invalid, self.fields)
                continue
            if not row.ok:
                continue
            if row.record is not None:
                values = {name: row.values[name] for name in given if row.given(name)}
                changes = self._change(
                    row, row.record, values, clear, pooled=pooled, owner_id=owner_id
                )
                if row.ok:
                    changed.append((row, row.record, changes))
                continue
            if not self.first_time(row, self.key_of(row), self.match_key):
                continue
            customer = self._new(row, None if pooled else owner_id or self.actor.user_id)
            contact = self._first_contact(row)
            if row.ok:
                customer.values.update({name: encrypt(text) for name, text in clear.items()})
                new.append((row, customer, contact))
        new = self._not_duplicates(new)
        outcome.problems = [p for row in rows for p in row.problems]
        self._create(new, outcome)
        self._update(changed, outcome)
        # What the services keep beside each customer they write: its duplicate keys (those
        # of new customers went in with them), and its tier inputs (fit reads the industry,
        # size and region), one pass for the batch.
        duplicates.reindex(outcome.updated)
        tiers.customers_changed(self.actor, outcome.created, created=True)
        tiers.customers_changed(self.actor, outcome.updated)
        return outcome

    def _not_duplicates(
        self, new: list[tuple[Row, NewCustomer, Contact | None]]
    ) -> list[tuple[Row, NewCustomer, Contact | None]]:
        """The new customers that share no phone, e-mail address or company name with an
        existing customer; each other row is refused naming what it matched, as
        `create_customer` refuses a duplicate (match on that key to update the customer)."""
        candidates = [
            Candidate(
                name=customer.values["name"],
                kind=customer.values.get("kind") or CustomerKind.COMPANY,
                phones=(customer.values.get("phone") or "", *(contact.phones if contact else ())),
                emails=(customer.values.get("email") or "", *(contact.emails if contact else ())),
            )
            for _row, customer, contact in new
        ]
        kept = []
        found = find_duplicates_bulk(self.actor, candidates) if candidates else []
        for (row, customer, contact), matches, candidate in zip(
            new, found, candidates, strict=True
        ):
            if not matches:
                if self._first_of_file(row, candidate.keys):
                    kept.append((row, customer, contact))
                continue
            match = matches[0]
            reasons = ", ".join(sorted({str(reason.label) for reason in match.reasons}))
            if match.visible:
                row.fail(
                    "name",
                    _("Possible duplicate of the customer “%(name)s” (same %(keys)s): match "
                      "on that column to update it instead.")
                    % {"name": match.name, "keys": reasons},
                )  # fmt: skip
            else:
                row.fail(
                    "name",
                    _("Possible duplicate of a customer of %(owner)s (same %(keys)s).")
                    % {"owner": match.owner_name, "keys": reasons},
                )
        return kept

    def _first_of_file(self, row: Row, keys: set[Key]) -> bool:
        """Whether no earlier row of the file creates a customer sharing a key with this one;
        a later one is refused naming that row, as a customer already there would be."""
        earlier = sorted({(self.new_keys[key], key[0]) for key in keys if key in self.new_keys})
        if earlier:
            first = earlier[0][0]
            kinds = sorted(
                {str(KeyKind(kind).label) for number, kind in earlier if number == first}
            )
            row.fail(
                "name",
                _("Possible duplicate of row %(row)d of this file (same %(keys)s).")
                % {"row": first, "keys": ", ".join(kinds)},
            )
            return False
        for key in keys:
            self.new_keys[key] = row.number
            self.batch_keys.append(key)
        return True

    def _new(self, row: Row, owner_id: int | None) -> NewCustomer:
        """A new customer of the row's values, checked by the model's field rules and the
        workspace's custom fields as `create_customer` checks them."""
        checked, invalid = self.checked(row)
        if invalid is not None:
            service_problems(row, invalid, self.fields)
        values = {**checked, "owner_id": owner_id}
        try:
            values["custom"] = self.custom.clean(row, None)
        except ValidationFailed as invalid:
            service_problems(row, invalid, self.fields)
        return NewCustomer(values)

    def _change(
        self,
        row: Row,
        customer: Customer,
        values: dict[str, Any],
        clear: dict[str, str],
        *,
        pooled: bool,
        owner_id: int | None,
    ) -> dict[str, list[Any]]:
        """Apply the row to a matched customer as `update_customer` would: only release,
        claim and assignment move a customer into or out of the public pool."""
        if pooled != (customer.owner_id is None) and (pooled or owner_id is not None):
            row.fail("owner", str(pool.THROUGH_POOL))
            return {}
        if owner_id is not None and owner_id != customer.owner_id:
            values["owner_id"] = owner_id
            values["owner_since"] = timezone.now()
        if self.custom.submitted(row):
            try:
                values["custom"] = self.custom.clean(row, customer.custom)
            except ValidationFailed as invalid:
                service_problems(row, invalid, self.fields)
                return {}
        changes = writes.apply(customer, values) | protected.seal(customer, clear)
        validation_problems(row, customer, self.fields)
        return changes

    def _match(self, rows: list[Row], lock: bool) -> None:
        if self.match_key == ID:
            ids = {row.values["id"] for row in rows if row.values.get("id") is not None}
            existing = visible(Customer, self.actor).filter(pk__in=ids)
            if lock:
                existing = existing.select_for_update()
            found = existing.in_bulk()
            for row in rows:
                pk = row.values.get("id")
                if pk is not None and pk not in found:
                    row.fail("id", _("No customer visible to you has this id."))
                row.record = found.get(pk)
            return
        texts = {self.key_of(row) for row in rows}
        found_by_text = customers_by_terms(self.actor, self.match_key, texts, lock)
        for row in rows:
            candidates = found_by_text.get(self.key_of(row), [])
            if len(candidates) > 1:
                row.fail(
                    self.match_key, _("Several customers match this value; match by id instead.")
                )
            elif candidates:
                row.record = candidates[0]

    def _first_contact(self, row: Row) -> Contact | None:
        values = {
            name: row.values[f"contact_{name}"]
            for name in CONTACT_VALUES
            if row.given(f"contact_{name}")
        }
        if not values:
            return None
        if not values.get("name"):
            row.fail("contact_name", _("A contact needs a name."))
            return None
        try:
            clean_contact_lists(values)
            values["custom"] = self.contact_custom.required()
        except ValidationFailed as invalid:
            service_problems(row, invalid, self.contact_fields)
            return None
        contact = Contact(workspace_id=self.actor.workspace_id, **values)
        validation_problems(row, contact, self.contact_fields)
        return contact

    def _create(self, new: list[tuple[Row, NewCustomer, Contact | None]], outcome: Outcome) -> None:
        if not new:
            return
        customers = [customer for _row, customer, _contact in new]
        contacts = [(customer, contact) for _row, customer, contact in new if contact is not None]
        write_customers(self, customers, contacts)
        outcome.created.extend(pk_of(customer) for customer in customers)
        outcome.written.extend(row for row, _customer, _contact in new)

    def _update(
        self, changed: list[tuple[Row, Customer, dict[str, list[Any]]]], outcome: Outcome
    ) -> None:
        really = [(row, customer, changes) for row, customer, changes in changed if changes]
        outcome.skipped += len(changed) - len(really)
        if not really:
            return
        now = timezone.now()
        names: set[str] = {"version", "updated_at", "updated_by"}
        for _row, customer, changes in really:
            customer.version += 1
            customer.updated_at = now
            customer.updated_by_id = self.actor.user_id
            customer.initial = search.initial(customer)
            names |= {name.removesuffix("_id") for name in changes} | {"initial"}
        Customer.objects.bulk_update([customer for _r, customer, _c in really], sorted(names))
        for _row, customer, changes in really:
            aggregates.customer_changed(customer.pk, {k: getattr(customer, k) for k in changes})
        search.reindex([customer.pk for _r, customer, _c in really])
        outcome.updated.extend(customer.pk for _r, customer, _c in really)
        outcome.written.extend(row for row, _customer, _changes in really)


def write_customers(
    importer: Importer,
    customers: list[NewCustomer],
    contacts: list[tuple[NewCustomer, Contact]],
) -> None:
    """New customers and their contacts in bulk, with their search terms, as the services
    would have written them one by one; a customer created in the public pool gets the pool
    event that says how it came there."""
    now, by, workspace_id = importer.stamp()
    rows = []
    for customer, pk in zip(customers, reserve_ids(Customer, len(customers)), strict=True):
        customer.pk = pk
        values = customer.values = CUSTOMER_DEFAULTS | customer.values
        letter = initial_of(values["name"], person=values["kind"] == CustomerKind.PERSON)
        rows.append((
            pk, workspace_id, now, now, by, by, 1,
            *(json.dumps(values[name]) if name == "custom" else values[name]
              for name in CUSTOMER_WRITTEN),
            letter,
        ))  # fmt: skip
    insert_rows(Customer, CUSTOMER_FIELDS, rows)
    texts: dict[int, list[ContactText]] = defaultdict(list)
    for (customer, contact), pk in zip(contacts, reserve_ids(Contact, len(contacts)), strict=True):
        contact.pk = pk
        contact.customer_id = pk_of(customer)
        texts[contact.customer_id].append(ContactText(contact.name, contact.phones, contact.emails))
    insert_rows(
        Contact, CONTACT_FIELDS, [contact_row(c, now, by, workspace_id) for _c, c in contacts]
    )
    terms = [
        term
        for c in customers
        for term in term_rows(
            workspace_id=workspace_id, owner_id=c.values["owner_id"], customer_id=pk_of(c),
            kind=c.values["kind"], name=c.values["name"], phone=c.values["phone"],
            email=c.values["email"], contacts=texts.get(pk_of(c), ()),
        )
    ]  # fmt: skip
    # In the order of the terms' indexes (rank, then term), which then fill page after page
    # instead of at random places all over (the batch's terms took 40 % longer to write in
    # the order of their customers). Two stable sorts, by term and then by rank, take half
    # the time of one by (rank, term).
    terms.sort(key=TERM_TEXT)
    terms.sort(key=TERM_RANK)
    importer.write_behind(SearchTerm, TERM_FIELDS, terms)
    contacts_of: dict[int, list[Contact]] = defaultdict(list)
    for customer, contact in contacts:
        contacts_of[pk_of(customer)].append(contact)
    keys = [
        row
        for c in customers
        for row in duplicates.key_rows(
            workspace_id, pk_of(c), customer_keys(kind=c.values["kind"], name=c.values["name"],
            phones=[c.values["phone"]], emails=[c.values["email"]]), contacts_of[pk_of(c)],
        )
    ]  # fmt: skip
    insert_rows(DuplicateKey, duplicates.KEY_FIELDS, keys)
    PoolEvent.objects.bulk_create(
        PoolEvent(
            workspace_id=workspace_id,
            customer_id=pk_of(c),
            kind=PoolEventKind.RELEASE,
            user_id=by,
            reason=_("Imported into the public pool."),
        )
        for c in customers
        if c.pooled
    )


def _keyed(key: Any) -> bool:
    """Whether a match key names a record: not empty, nor empty under its customer."""
    return bool(key) and not (isinstance(key, tuple) and not key[-1])


def _in_turn(*functions: Callable[[], None]) -> Callable[[], None]:
    """A function calling each of these in turn."""

    def call() -> None:
        for function in functions:
            function()

    return call


def pk_of(customer: Linked) -> int:
    """The id of a customer that exists, or was just written."""
    assert customer.pk is not None
    return customer.pk


def contact_row(contact: Contact, now: str, by: int, workspace_id: int) -> tuple[Any, ...]:
    c = contact
    return (c.pk, workspace_id, now, now, by, by, 1, c.customer_id, c.name, c.title,
            json.dumps(c.phones), json.dumps(c.emails), c.birthday, c.decision_role, c.notes,
            json.dumps(c.custom), c.id_number)  # fmt: skip


class CustomerLinks:
    """The customer each row of contacts or deals belongs to: by id or by exact name, found
    for the whole batch at once; for vCards, a customer missing by name is created."""

    def __init__(self, importer: Importer) -> None:
        self.importer = importer
        # customers created in this job by name, so two cards of one company share it
        self.created: dict[str, NewCustomer] = {}
        self.batch: list[str] = []
        if importer.create_customers:
            self.checks = FieldChecks(Customer, NOT_VALIDATED)
            self.custom = CustomValues(importer.actor.workspace_id, "customer")

    def forgetting(self) -> Callable[[], None]:
        texts = self.batch

        def forget() -> None:
            for text in texts:
                self.created.pop(text, None)

        return forget

    def resolve(self, rows: list[Row], lock: bool) -> tuple[dict[int, Linked], list[NewCustomer]]:
        """Each row's customer (by row number) and the customers to create for them."""
        actor = self.importer.actor
        ids = {row.values["customer_id"] for row in rows if row.values.get("customer_id")}
        by_id = visible(Customer, actor).filter(pk__in=ids).in_bulk() if ids else {}
        names = {
            normalise(row.values.get("customer") or "")
            for row in rows
            if not row.values.get("customer_id")
        }
        by_name = customers_by_terms(actor, NAME, names, lock=False)
        linked: dict[int, Linked] = {}
        new: list[NewCustomer] = []
        self.batch = []
        for row in rows:
            pk = row.values.get("customer_id")
            if pk:
                if pk in by_id:
                    linked[row.number] = by_id[pk]
                else:
                    row.fail("customer_id", _("No customer visible to you has this id."))
                continue
            name = (row.values.get("customer") or "").strip()
            if not name and self.importer.create_customers:
                name = row.values.get("name") or ""
            text = normalise(name)
            found: list[Linked] = [*by_name.get(text, [])]
            if not found and text in self.created:
                found = [self.created[text]]
            if len(found) > 1:
                row.fail(
                    "customer", _("Several customers have this name; give the customer id instead.")
                )
            elif found:
                linked[row.number] = found[0]
            elif not name:
                row.fail("customer", _("Give the customer's name or id."))
            elif not self.importer.create_customers:
                row.fail("customer", _("No customer visible to you has this name."))
            else:
                # A card without an organisation is a person buying for themselves.
                own = not (row.values.get("customer") or "").strip()
                customer = NewCustomer(
                    {
                        "owner_id": actor.user_id,
                        "name": name,
                        "kind": CustomerKind.PERSON if own else CustomerKind.COMPANY,
                        "lifecycle": Lifecycle.PROSPECT,
                    }
                )
                try:
                    self.checks.check(customer.values)
                    customer.values["custom"] = self.custom.required()
                except ValidationFailed as invalid:
                    service_problems(row, invalid, {"name": "customer", "custom": "customer"})
                if row.ok:
                    self.created[text] = customer
                    self.batch.append(text)
                    new.append(customer)
                    linked[row.number] = customer
        return linked, new


class ContactImporter(Importer):
    entity = ImportEntity.CONTACTS
    tables = (Contact, Customer, SearchTerm, DuplicateKey)
    fields = {"customer_id": "customer_id"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = CustomerLinks(self)

    def forgetting(self) -> Callable[[], None]:
        return _in_turn(super().forgetting(), self.links.forgetting())

    def run(self, rows: list[Row], lock: bool) -> Outcome:
        outcome = Outcome()
        wanted = [row for row in rows if row.ok]
        linked, new_customers = self.links.resolve(wanted, lock)
        wanted = [
            row
            for row in wanted
            if row.ok and not self.repeats(row, self._key_of(row, linked), self._column())
        ]
        self._match(wanted, linked, lock)
        new: list[tuple[Row, Contact, Linked]] = []
        changed: list[tuple[Row, Contact, dict[str, list[Any]]]] = []
        for row in wanted:
            if not row.ok:
                continue
            values = {name: row.values[name] for name in CONTACT_VALUES if row.given(name)}
            try:
                clean_contact_lists(values)
                clear = protected_values(row, Contact)
                custom = self.custom.clean(row, None if row.record is None else row.record.custom)
            except ValidationFailed as invalid:
                service_problems(row, invalid, self.fields)
                continue
            if self.custom.submitted(row) or row.record is None:
                values["custom"] = custom
            customer = linked[row.number]
            if row.record is not None:
                if self.on_match == SKIP:
                    outcome.skipped += 1
                    continue
                contact = row.record
                if contact.customer_id != customer.pk:
                    assert isinstance(customer, Customer)  # only existing customers match
                    values["customer"] = customer
                changes = writes.apply(contact, values) | protected.seal(contact, clear)
                validation_problems(row, contact, self.fields)
                if row.ok:
                    changed.append((row, contact, changes))
                continue
            if not self.first_time(row, self._key_of(row, linked), self._column()):
                continue
            contact = Contact(workspace_id=self.actor.workspace_id, **values)
            protected.seal(contact, clear)
            validation_problems(row, contact, self.fields)
            if row.ok:
                new.append((row, contact, customer))
        outcome.problems = [p for row in rows for p in row.problems]
        used = {id(customer) for _row, _contact, customer in new}
        creating = [
            customer for customer in new_customers if id(customer) in used and customer.pk is None
        ]
        if creating or new:
            write_new_contacts(self, creating, [(c, customer) for _r, c, customer in new])
            outcome.created.extend(contact.pk for _row, contact, _customer in new)
            outcome.written.extend(row for row, _contact, _customer in new)
        self._update(changed, outcome)
        self._derived(new, changed, creating)
        return outcome

    def _derived(
        self,
        new: list[tuple[Row, Contact, Linked]],
        changed: list[tuple[Row, Contact, dict[str, list[Any]]]],
        creating: list[NewCustomer],
    ) -> None:
        """The customers' duplicate keys hold their contacts' phones and e-mail addresses; a
        customer the batch created gets its tier inputs, as `create_customer` gives them."""
        customers = {pk_of(customer) for _row, _contact, customer in new}
        customers |= {contact.customer_id for _row, contact, _changes in changed}
        duplicates.reindex(customers)
        tiers.customers_changed(self.actor, [pk_of(c) for c in creating], created=True)

    def _column(self) -> str:
        return self.match_key if self.match_key in (ID, NAME) else f"{self.match_key}s"

    def _key_of(self, row: Row, linked: Mapping[int, Linked]) -> tuple[int, Any]:
        """The row's match key under its customer (one the batch creates has no id yet)."""
        customer = linked[row.number]
        return customer.pk or id(customer), self._key(row)

    def _key(self, row: Row) -> Any:
        if self.match_key == ID:
            return row.values.get("id")
        if self.match_key == NAME:
            return normalise(row.values.get("name") or "")
        items = row.values.get(f"{self.match_key}s") or []
        return match_text(self.match_key, items[0]) if items else ""

    def _match(self, rows: list[Row], linked: Mapping[int, Linked], lock: bool) -> None:
        contacts = visible(Contact, self.actor)
        if self.match_key == ID:
            ids = {row.values["id"] for row in rows if row.values.get("id")}
            found = (
                (contacts.select_for_update() if lock else contacts).filter(pk__in=ids).in_bulk()
            )
            for row in rows:
                pk = row.values.get("id")
                if pk and pk not in found:
                    row.fail("id", _("No contact visible to you has this id."))
                row.record = found.get(pk)
            return
        customer_ids = {c.pk for c in linked.values() if c.pk is not None}
        existing = contacts.filter(customer_id__in=customer_ids).order_by("pk")
        if lock:
            existing = existing.select_for_update()
        index: dict[tuple[int, str], list[Contact]] = defaultdict(list)
        for contact in existing:
            if self.match_key == NAME:
                texts = [normalise(contact.name)]
            else:
                texts = [
                    match_text(self.match_key, v) for v in getattr(contact, f"{self.match_key}s")
                ]
            for text in set(texts):
                index[(contact.customer_id, text)].append(contact)
        for row in rows:
            customer = linked.get(row.number)
            if customer is None or customer.pk is None:
                continue
            candidates = index.get((customer.pk, self._key(row)), [])
            if len(candidates) > 1:
                row.fail(
                    self.match_key, _("Several contacts match this value; match by id instead.")
                )
            elif candidates:
                row.record = candidates[0]

    def _update(
        self, changed: list[tuple[Row, Contact, dict[str, list[Any]]]], outcome: Outcome
    ) -> None:
        really = [(row, contact, changes) for row, contact, changes in changed if changes]
        outcome.skipped += len(changed) - len(really)
        if not really:
            return
        now = timezone.now()
        names: set[str] = {"version", "updated_at", "updated_by"}
        customer_ids: set[int] = set()
        for _row, contact, changes in really:
            contact.version += 1
            contact.updated_at = now
            contact.updated_by_id = self.actor.user_id
            names |= {name.removesuffix("_id") for name in changes}
            customer_ids |= {contact.customer_id, *(changes.get("customer_id") or [])}
        Contact.objects.bulk_update([contact for _r, contact, _c in really], sorted(names))
        search.reindex(customer_ids)
        outcome.updated.extend(contact.pk for _r, contact, _c in really)
        outcome.written.extend(row for row, _contact, _changes in really)


def write_new_contacts(
    importer: Importer, customers: list[NewCustomer], contacts: list[tuple[Contact, Linked]]
) -> None:
    """Customers created for contacts (from vCards), written with their contacts; and the new
    contacts of customers already there, whose search terms are recomputed with them in."""
    creating = {id(customer) for customer in customers}
    theirs = [
        (customer, contact)
        for contact, customer in contacts
        if isinstance(customer, NewCustomer) and id(customer) in creating
    ]
    if customers:
        write_customers(importer, customers, theirs)
    existing = [(contact, customer) for contact, customer in contacts
                if id(customer) not in creating]  # fmt: skip
    if not existing:
        return
    now, by, workspace_id = importer.stamp()
    for (contact, customer), pk in zip(existing, reserve_ids(Contact, len(existing)), strict=True):
        contact.pk = pk
        contact.customer_id = pk_of(customer)
    insert_rows(
        Contact, CONTACT_FIELDS, [contact_row(c, now, by, workspace_id) for c, _c in existing]
    )
    search.reindex({contact.customer_id for contact, _customer in existing})


class DealImporter(Importer):
    entity = ImportEntity.DEALS
    tables = (Deal,)
    fields = {
        "customer_id": "customer_id",
        "owner_id": "owner",
        "pipeline_id": "pipeline",
        "stage_id": "stage",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = CustomerLinks(self)
        self.pipelines = {normalise(p.name): p for p in visible(Pipeline, self.actor)}
        self.stages: dict[tuple[int, str], Stage] = {
            (s.pipeline_id, normalise(s.name)): s for s in visible(Stage, self.actor)
        }

    def forgetting(self) -> Callable[[], None]:
        return _in_turn(super().forgetting(), self.links.forgetting())

    def run(self, rows: list[Row], lock: bool) -> Outcome:
        outcome = Outcome()
        wanted = [row for row in rows if row.ok]
        linked, _new = self.links.resolve(wanted, lock)
        wanted = [
            row
            for row in wanted
            if row.ok
            and not self.repeats(row, (linked[row.number].pk, self._key(row)), self.match_key)
        ]
        self._match(wanted, linked, lock)
        for row in wanted:
            if not row.ok:
                continue
            data = {name: row.values[name] for name in DEAL_VALUES if row.given(name)}
            data["customer_id"] = linked[row.number].pk
            custom = self.custom.submitted(row)
            if custom:
                data["custom"] = custom
            owner_id = self.owners.resolve(row)
            if owner_id is not None:
                data["owner_id"] = owner_id
            if not row.ok:
                continue
            if row.record is not None:
                if self.on_match == SKIP:
                    outcome.skipped += 1
                    continue
                self._write(row, outcome, data, row.record)
                continue
            if not self.first_time(row, (data["customer_id"], self._key(row)), self.match_key):
                continue
            self._place(row, data)
            if row.ok:
                self._write(row, outcome, data, None)
        outcome.problems = [p for row in rows for p in row.problems]
        return outcome

    def _place(self, row: Row, data: dict[str, Any]) -> None:
        """The pipeline and stage the row names, by name (the default pipeline's first stage
        when it names none)."""
        pipeline_name = normalise(row.values.get("pipeline") or "")
        if pipeline_name:
            pipeline = self.pipelines.get(pipeline_name)
            if pipeline is None:
                row.fail("pipeline", _("No pipeline has this name."))
                return
            data["pipeline_id"] = pipeline.pk
        stage_name = normalise(row.values.get("stage") or "")
        if stage_name:
            pipeline_id = data.get("pipeline_id") or next(
                (p.pk for p in self.pipelines.values() if p.is_default), None
            )
            stage = self.stages.get((pipeline_id or 0, stage_name))
            if stage is None:
                row.fail("stage", _("The pipeline has no stage with this name."))
                return
            data["stage_id"] = stage.pk

    def _write(self, row: Row, outcome: Outcome, data: dict[str, Any], deal: Deal | None) -> None:
        try:
            with transaction.atomic():
                if deal is None:
                    written = deal_services.create_deal(self.actor, data)
                    outcome.created.append(written.pk)
                else:
                    before = deal.version
                    written = deal_services.update_deal(self.actor, deal.pk, None, data)
                    if written.version == before:
                        outcome.skipped += 1
                        return
                    outcome.updated.append(written.pk)
        except DomainError as refused:
            service_problems(row, refused, self.fields)
            return
        outcome.written.append(row)

    def _key(self, row: Row) -> Any:
        if self.match_key == ID:
            return row.values.get("id")
        return normalise(row.values.get("name") or "")

    def _match(self, rows: list[Row], linked: Mapping[int, Linked], lock: bool) -> None:
        deals = visible(Deal, self.actor)
        if self.match_key == ID:
            ids = {row.values["id"] for row in rows if row.values.get("id")}
            found = deals.filter(pk__in=ids).in_bulk()
            for row in rows:
                pk = row.values.get("id")
                if pk and pk not in found:
                    row.fail("id", _("No deal visible to you has this id."))
                row.record = found.get(pk)
            return
        customer_ids = {c.pk for c in linked.values() if c.pk is not None}
        index: dict[tuple[int, str], list[Deal]] = defaultdict(list)
        for deal in deals.filter(customer_id__in=customer_ids).order_by("pk"):
            index[(deal.customer_id, normalise(deal.name))].append(deal)
        for row in rows:
            customer = linked.get(row.number)
            if customer is None or customer.pk is None:
                continue
            candidates = index.get((customer.pk, self._key(row)), [])
            if len(candidates) > 1:
                row.fail(
                    "name", _("Several deals of this customer have this name; match by id instead.")
                )
            elif candidates:
                row.record = candidates[0]


IMPORTERS: dict[str, type[Importer]] = {
    ImportEntity.CUSTOMERS: CustomerImporter,
    ImportEntity.CONTACTS: ContactImporter,
    ImportEntity.DEALS: DealImporter,
}
