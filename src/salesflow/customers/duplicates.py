"""Possible duplicate customers and contacts: keeping the key index, and finding matches in it.

The customer services write a customer's keys (`customers.duplicate_keys`) in the transaction
that changes it or its contacts, and refuse a write that gives a customer or a contact a key
another one already has, unless told the duplicate is wanted (`DuplicateFound`, answered 409).

For imports: `find_duplicates(workspace_or_actor, candidate)` answers one row,
`find_duplicates_bulk(workspace_or_actor, candidates)` many rows with a fixed number of queries
per batch of keys. Both look at the whole workspace: a customer the actor may not see is still
reported, by its owner only (`Duplicate.visible` is false and `name` empty).
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from salesflow.core.bulk import bulk_writing, chunks, insert_rows
from salesflow.core.errors import DomainError, ValidationFailed
from salesflow.core.progress import Progress
from salesflow.core.scoping import Actor, require_manager, visible
from salesflow.customers.duplicate_keys import (
    CUSTOMER_KINDS,
    Candidate,
    Key,
    KeyKind,
    contact_keys,
    customer_keys,
)
from salesflow.customers.models import Contact, Customer, DuplicateKey

KEY_FIELDS = ("workspace", "customer", "contact", "kind", "key")
KEY_ATTRIBUTES = ("workspace_id", "customer_id", "contact_id", "kind", "key")
KeyRow = tuple[int, int, int | None, str, str]
REBUILD_BATCH = 2000


@dataclass(frozen=True)
class Reason:
    """One key a customer shares with what was checked; `contact_id` when it is a contact's."""

    kind: str
    key: str
    contact_id: int | None = None

    @property
    def label(self) -> str:
        return str(KeyKind(self.kind).label)


@dataclass
class Duplicate:
    """An existing customer sharing keys with what was checked.

    A customer the actor may not see is told by its owner only: `customer_id` is None, `name`
    empty, and its reasons name no contact.
    """

    customer_id: int | None
    name: str
    owner_id: int | None  # None: the customer is in the public pool
    owner_name: str
    visible: bool
    reasons: list[Reason] = field(default_factory=list)
    # A contact of the very customer checked (for a contact being written).
    same_customer: bool = False


class DuplicateFound(DomainError):
    """The write would give a customer or contact a key another one already has."""

    status = 409
    default_detail = _(
        "A customer with the same phone, e-mail or name exists already. Open it, or confirm "
        "that this is another one."
    )

    def __init__(self, duplicates: list[Duplicate]) -> None:
        self.duplicates = duplicates
        super().__init__()


def customer_rows(customer: Customer, contacts: Iterable[Contact]) -> list[KeyRow]:
    """The DuplicateKey rows of one customer and its contacts, in KEY_FIELDS order."""
    return key_rows(customer.workspace_id, customer.pk, own_keys(customer), contacts)


def key_rows(
    workspace_id: int, customer_id: int, own: set[Key], contacts: Iterable[Contact]
) -> list[KeyRow]:
    """The DuplicateKey rows of a customer's own keys and of its contacts' keys (for an
    import, which writes them in bulk with customers it has not made instances of)."""
    rows: list[KeyRow] = [(workspace_id, customer_id, None, kind, key) for kind, key in sorted(own)]
    for contact in contacts:
        rows.extend(
            (workspace_id, customer_id, contact.pk, kind, key)
            for kind, key in sorted(keys_of_contact(contact))
        )
    return rows


def own_keys(customer: Customer) -> set[Key]:
    """The keys of a customer's own name, phone and e-mail address."""
    return customer_keys(
        kind=customer.kind, name=customer.name, phones=[customer.phone], emails=[customer.email]
    )


def keys_of_contact(contact: Contact) -> set[Key]:
    return contact_keys(name=contact.name, phones=contact.phones, emails=contact.emails)


def _rows_of(customers: Sequence[Customer]) -> list[KeyRow]:
    contacts: dict[int, list[Contact]] = defaultdict(list)
    kept = Contact.objects.filter(customer__in=customers, trashed_at__isnull=True)
    for contact in kept.order_by("id"):
        contacts[contact.customer_id].append(contact)
    return [row for c in customers for row in customer_rows(c, contacts[c.pk])]


def reindex(customer_ids: Iterable[int]) -> None:
    """Replace the keys of these customers with those of their current fields and contacts
    (none in the trash); called by the services inside the transaction that changed them."""
    customers = list(Customer.objects.filter(pk__in=set(customer_ids)))
    rows = _rows_of([c for c in customers if c.trashed_at is None])
    DuplicateKey.objects.filter(customer__in=customers).delete()
    DuplicateKey.objects.bulk_create(
        [DuplicateKey(**dict(zip(KEY_ATTRIBUTES, row, strict=True))) for row in rows]
    )


def customer_saved(
    actor: Actor, customer: Customer, previous: set[Key], allow_duplicate: bool
) -> None:
    """Bring the customer's keys up to date; unless a duplicate is wanted, refuse the write
    when a key it did not have before (`previous`) belongs to another customer."""
    keys = own_keys(customer)
    if keys == previous:
        return
    reindex([customer.pk])
    if allow_duplicate:
        return
    added = keys - previous
    found = _matches(actor, customer.workspace_id, [added], exclude=customer.pk)[0]
    if found:
        raise DuplicateFound(found)


def contact_saved(
    actor: Actor,
    contact: Contact,
    previous: set[Key],
    allow_duplicate: bool,
    customer_ids: Iterable[int],
) -> None:
    """Bring the keys of the contact's customer (and of its former one) up to date; unless a
    duplicate is wanted, refuse the write when a key the contact did not have before belongs
    to another contact of its customer, or a phone or e-mail to another customer."""
    reindex(customer_ids)
    if allow_duplicate:
        return
    added = keys_of_contact(contact) - previous
    same = [
        (kind, key, other)
        for kind, key, other in DuplicateKey.objects.filter(
            customer_id=contact.customer_id,
            contact__isnull=False,
            key__in=[key for _kind, key in added],
        )
        .exclude(contact_id=contact.pk)
        .values_list("kind", "key", "contact_id")
        if (kind, key) in added
    ]
    found = []
    if same:
        customer = Customer.objects.select_related("owner").get(pk=contact.customer_id)
        found.append(
            Duplicate(
                customer.pk,
                customer.name,
                customer.owner_id,
                _owner_name(customer.owner),
                visible=True,
                reasons=[Reason(kind, key, other) for kind, key, other in sorted(same)],
                same_customer=True,
            )
        )
    others = {(kind, key) for kind, key in added if kind != KeyKind.CONTACT_NAME}
    found += _matches(actor, contact.workspace_id, [others], exclude=contact.customer_id)[0]
    if found:
        raise DuplicateFound(found)


def duplicates_of(actor: Actor, customer: Customer) -> list[Duplicate]:
    """The other customers sharing a key of this customer or of its contacts."""
    keys = DuplicateKey.objects.filter(customer=customer, kind__in=CUSTOMER_KINDS)
    found = set(keys.values_list("kind", "key"))
    return _matches(actor, customer.workspace_id, [found], exclude=customer.pk)[0]


def find_duplicates(
    actor_or_workspace: Actor | int, candidate: Candidate, *, exclude: int | None = None
) -> list[Duplicate]:
    """The existing customers sharing a phone, an e-mail address or the name of `candidate`."""
    return find_duplicates_bulk(actor_or_workspace, [candidate], exclude=exclude)[0]


def find_duplicates_bulk(
    actor_or_workspace: Actor | int,
    candidates: Sequence[Candidate],
    *,
    exclude: int | None = None,
) -> list[list[Duplicate]]:
    """For each candidate, in order, the existing customers sharing keys with it.

    Given a workspace id (a command, no actor), every customer counts as visible. Three
    queries per LOOKUP_BATCH distinct keys, however many candidates share them.
    """
    if isinstance(actor_or_workspace, Actor):
        actor: Actor | None = actor_or_workspace
        workspace_id = actor_or_workspace.workspace_id
    else:
        actor, workspace_id = None, actor_or_workspace
    return _matches(actor, workspace_id, [c.keys for c in candidates], exclude=exclude)


def _matches(
    actor: Actor | None,
    workspace_id: int,
    key_sets: Sequence[set[Key]],
    *,
    exclude: int | None,
) -> list[list[Duplicate]]:
    wanted = {key for keys in key_sets for kind, key in keys if kind in CUSTOMER_KINDS}
    holders: dict[Key, list[tuple[int, int | None]]] = defaultdict(list)
    for batch in chunks(sorted(wanted)):
        rows = DuplicateKey.objects.filter(
            workspace_id=workspace_id, key__in=batch, kind__in=CUSTOMER_KINDS
        ).values_list("kind", "key", "customer_id", "contact_id")
        for kind, key, holder, contact_id in rows.order_by("customer_id", "contact_id"):
            if holder != exclude:
                holders[(kind, key)].append((holder, contact_id))
    customers = _customers({cid for found in holders.values() for cid, _contact in found}, actor)
    answers: list[list[Duplicate]] = []
    for keys in key_sets:
        by_customer: dict[int, Duplicate] = {}
        for kind, key in sorted(keys):
            for customer_id, source in holders.get((kind, key), ()):
                shown = customers[customer_id]
                duplicate = by_customer.setdefault(customer_id, shown.blank())
                reason = Reason(kind, key, source if shown.visible else None)
                if reason not in duplicate.reasons:
                    duplicate.reasons.append(reason)
        answers.append([by_customer[pk] for pk in sorted(by_customer)])
    return answers


@dataclass(frozen=True)
class _Shown:
    customer_id: int
    name: str
    owner_id: int | None
    owner_name: str
    visible: bool

    def blank(self) -> Duplicate:
        if not self.visible:
            return Duplicate(None, "", self.owner_id, self.owner_name, visible=False)
        return Duplicate(self.customer_id, self.name, self.owner_id, self.owner_name, True)


def _customers(ids: set[int], actor: Actor | None) -> dict[int, _Shown]:
    """What may be told of each customer: all of it if visible, else its owner."""
    if not ids:
        return {}
    seen = (
        set(visible(Customer, actor).filter(pk__in=ids).values_list("pk", flat=True))
        if actor is not None
        else ids
    )
    return {
        c.pk: _Shown(c.pk, c.name, c.owner_id, _owner_name(c.owner), c.pk in seen)
        for c in Customer.objects.filter(pk__in=ids)
        .select_related("owner")
        .only("id", "name", "owner__username", "owner__first_name", "owner__last_name")
    }


def _owner_name(user: User | None) -> str:
    if user is None:
        return str(_("Public pool"))
    return user.get_full_name() or user.username


@transaction.atomic
def rebuild(workspace_id: int, progress: Progress | None = None) -> int:
    """Recompute every customer's keys in the workspace, from scratch; returns how many.

    The result equals what the services wrote one change at a time.
    """
    total = Customer.objects.filter(workspace_id=workspace_id, trashed_at__isnull=True).count()
    written = done = 0
    DuplicateKey.objects.filter(workspace_id=workspace_id).delete()
    with bulk_writing():
        for batch in _batches(workspace_id):
            rows = _rows_of(batch)
            insert_rows(DuplicateKey, KEY_FIELDS, rows)
            written += len(rows)
            done += len(batch)
            if progress:
                progress(done, total)
    return written


def _batches(workspace_id: int) -> Iterator[list[Customer]]:
    customers = Customer.objects.filter(workspace_id=workspace_id, trashed_at__isnull=True)
    last = 0
    while batch := list(customers.filter(pk__gt=last).order_by("pk")[:REBUILD_BATCH]):
        yield batch
        last = batch[-1].pk


@dataclass
class Group:
    """Customers sharing one or more keys; `keys` are (kind, key) pairs, in key order."""

    keys: list[Key]
    customers: list[Customer]


def duplicate_groups(
    actor: Actor, cursor: str | None, limit: int
) -> tuple[list[Group], str | None]:
    """One page of the keys shared by two or more customers the manager or admin sees, in key
    order, each with its customers; keys shared by the same customers make one group.

    The page is read from the index on (workspace, key): the keys after the cursor are grouped
    in index order until `limit` shared ones are found.
    """
    require_manager(actor)
    keys = visible(DuplicateKey, actor).filter(kind__in=CUSTOMER_KINDS)
    shared = keys.filter(key__gt=_decode(cursor)) if cursor else keys
    found = list(
        shared.values("key")
        .annotate(customers=Count("customer", distinct=True))
        .filter(customers__gt=1)
        .order_by("key")
        .values_list("key", flat=True)[: limit + 1]
    )
    page = found[:limit]
    members: dict[str, set[int]] = defaultdict(set)
    kinds: dict[str, str] = {}
    for kind, key, customer_id in keys.filter(key__in=page).values_list(
        "kind", "key", "customer_id"
    ):
        members[key].add(customer_id)
        kinds[key] = kind
    customers = (
        visible(Customer, actor)
        .filter(pk__in={pk for ids in members.values() for pk in ids})
        .select_related("owner")
        .in_bulk()
    )
    groups: dict[frozenset[int], Group] = {}
    for key in page:
        ids = frozenset(members[key])
        group = groups.setdefault(ids, Group([], [customers[pk] for pk in sorted(ids)]))
        group.keys.append((kinds[key], key))
    next_cursor = _encode(page[-1]) if len(found) > limit else None
    return list(groups.values()), next_cursor


def _encode(key: str) -> str:
    raw = json.dumps({"after": key})
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        data: Any = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
        if type(after) is not str:
            raise ValueError(cursor)
    except (ValueError, TypeError, KeyError) as invalid:
        raise ValidationFailed.one(
            "cursor",
            _("This cursor does not belong to this list and ordering; start again without it."),
        ) from invalid
    return after
