"""The customer search index: keeping it, rebuilding it, and reading it a page at a time.

A search reads the terms starting with the query from the B-tree index on (workspace, rank,
term, customer) — or (workspace, owner, rank, term, customer) for a rep, through `visible()`
— in index order, and stops when a page is full: it never scans the customers. Results come
best match first: whole names, e-mail addresses and phone numbers before parts of them (and
contacts), then by the matching term, which puts an exact match before longer ones. A customer
found by several terms is shown once, at its best.
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from salesflow.core.bulk import bulk_writing, insert_rows
from salesflow.core.errors import ValidationFailed
from salesflow.core.progress import Progress
from salesflow.core.scoping import Actor, visible
from salesflow.customers.models import Contact, Customer, CustomerKind, SearchTerm
from salesflow.customers.terms import (
    PART,
    WHOLE,
    ContactText,
    customer_terms,
    initial_of,
    query_term,
)

TERM_FIELDS = ("workspace", "owner", "customer", "rank", "term")
TERM_ATTRIBUTES = ("workspace_id", "owner_id", "customer_id", "rank", "term")
# Terms read per round while filling a page; grows as rounds come back short.
FIRST_ROUND = 64
LAST_ROUND = 8192
REBUILD_BATCH = 2000

TermRow = tuple[int, int | None, int, int, str]


def term_rows(
    *,
    workspace_id: int,
    owner_id: int | None,
    customer_id: int,
    kind: str,
    name: str,
    phone: str,
    email: str,
    contacts: Iterable[ContactText] = (),
) -> list[TermRow]:
    """The SearchTerm rows of one customer, as tuples in TERM_FIELDS order (for bulk writes)."""
    ranked = customer_terms(kind=kind, name=name, phone=phone, email=email, contacts=contacts)
    return [(workspace_id, owner_id, customer_id, rank, term) for term, rank in ranked.items()]


def initial(customer: Customer) -> str:
    return initial_of(customer.name, person=customer.kind == CustomerKind.PERSON)


def customer_changed(customer: Customer) -> None:
    """Bring a changed customer's A–Z letter and search terms up to date. Both are derived
    from what the audit trail already records, so they are written without an audit entry."""
    letter = initial(customer)
    if letter != customer.initial:
        customer.initial = letter
        Customer.objects.filter(pk=customer.pk).update(initial=letter)
    reindex([customer.pk])


def _rows_of(customers: Sequence[Customer]) -> list[TermRow]:
    contacts: dict[int, list[ContactText]] = defaultdict(list)
    contacts_kept = Contact.objects.filter(customer__in=customers, trashed_at__isnull=True)
    for contact in contacts_kept.order_by("id"):
        contacts[contact.customer_id].append(
            ContactText(contact.name, contact.phones, contact.emails)
        )
    return [
        row
        for c in customers
        for row in term_rows(
            workspace_id=c.workspace_id,
            owner_id=c.owner_id,
            customer_id=c.pk,
            kind=c.kind,
            name=c.name,
            phone=c.phone,
            email=c.email,
            contacts=contacts[c.pk],
        )
    ]


def reindex(customer_ids: Iterable[int]) -> None:
    """Replace the terms of these customers with those of their current name, e-mail, phone,
    owner and contacts; called by the services inside the transaction that changed them.
    A customer in the trash is found by nothing."""
    customers = list(Customer.objects.filter(pk__in=set(customer_ids)))
    rows = _rows_of([c for c in customers if c.trashed_at is None])
    SearchTerm.objects.filter(customer__in=customers).delete()
    SearchTerm.objects.bulk_create(
        [SearchTerm(**dict(zip(TERM_ATTRIBUTES, row, strict=True))) for row in rows]
    )


@transaction.atomic
def rebuild(workspace_id: int, progress: Progress | None = None) -> int:
    """Recompute every customer's A–Z initial and search terms in the workspace, from scratch.

    The result equals what the services wrote one change at a time; a restore or an import
    that bypassed them is made searchable by this. Returns how many terms were written.
    """
    total = Customer.objects.filter(workspace_id=workspace_id, trashed_at__isnull=True).count()
    written = done = 0
    SearchTerm.objects.filter(workspace_id=workspace_id).delete()
    with bulk_writing():
        for batch in _batches(workspace_id):
            stale: dict[str, list[int]] = defaultdict(list)
            for customer in batch:
                letter = initial(customer)
                if letter != customer.initial:
                    stale[letter].append(customer.pk)
            for letter, ids in stale.items():
                Customer.objects.filter(pk__in=ids).update(initial=letter)
            rows = _rows_of(batch)
            insert_rows(SearchTerm, TERM_FIELDS, rows)
            written += len(rows)
            done += len(batch)
            if progress:
                progress(done, total)
    return written


def _batches(workspace_id: int) -> Iterator[list[Customer]]:
    customers = Customer.objects.filter(workspace_id=workspace_id, trashed_at__isnull=True).only(
        "id", "workspace_id", "owner_id", "kind", "name", "phone", "email", "initial"
    )
    last = 0
    while batch := list(customers.filter(pk__gt=last).order_by("pk")[:REBUILD_BATCH]):
        yield batch
        last = batch[-1].pk


def _after(text: str) -> str:
    """The first string after every string starting with `text`, in code point order."""
    last = ord(text[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters: go past them
        last = 0xE000
    return text[:-1] + chr(last)


Position = tuple[int, str, int]  # (rank, term, customer id) of the last row read


@dataclass(frozen=True)
class CustomerSearch:
    """The customers an actor sees whose terms start with the query, best match first.

    `customers` narrows the results further (the list's other filters); it must be scoped
    by `visible()` already. Pages follow a cursor holding the last (rank, term, customer id).
    """

    actor: Actor
    text: str
    customers: QuerySet[Customer]

    @property
    def term(self) -> str:
        return query_term(self.text)

    def page(self, cursor: str | None, limit: int) -> tuple[list[Customer], str | None]:
        term = self.term
        if not term:
            return [], None
        position = self._decode(cursor, term) if cursor else (WHOLE, term, 0)
        found: list[tuple[Position, Customer]] = []
        size = FIRST_ROUND
        while len(found) <= limit:
            rows = self._terms_after(term, position, size)
            if rows:
                found.extend(self._best(term, rows))
            if len(rows) == size:
                position, size = rows[-1], min(size * 2, LAST_ROUND)
            elif position[0] == WHOLE:
                position = (PART, term, 0)
            else:
                break
        page = found[:limit]
        next_cursor = self._encode(term, page[-1][0]) if len(found) > limit else None
        return [customer for _position, customer in page], next_cursor

    def terms(self) -> QuerySet[SearchTerm]:
        """The terms searched: those of the customers the actor sees."""
        return visible(SearchTerm, self.actor)

    def _terms_after(self, term: str, position: Position, size: int) -> list[Position]:
        """The next `size` terms of one rank in index order, after the position."""
        rank, last_term, last_id = position
        later = Q(term__gt=last_term) | Q(term=last_term, customer_id__gt=last_id)
        rows = (
            self.terms()
            .filter(later, rank=rank, term__gte=last_term, term__lt=_after(term))
            .order_by("term", "customer_id")
            .values_list("rank", "term", "customer_id")
        )
        return list(rows[:size])

    def _best(self, term: str, rows: list[Position]) -> list[tuple[Position, Customer]]:
        """The rows where a customer is met at its best match, and the filters let it in."""
        ids = {customer_id for _rank, _term, customer_id in rows}
        best: dict[int, tuple[int, str]] = {}
        # These ids were just read through `visible()`. Naming only them (no workspace, no
        # owner) leaves the databases one index to read, the customer's: given more, SQLite
        # without statistics walks the workspace, PostgreSQL each of a manager's owners.
        matches = SearchTerm.objects.filter(
            customer_id__in=ids, term__gte=term, term__lt=_after(term)
        )
        for rank, matched, customer_id in matches.values_list("rank", "term", "customer_id"):
            if customer_id not in best or (rank, matched) < best[customer_id]:
                best[customer_id] = (rank, matched)
        customers = self.customers.select_related("owner").in_bulk(ids)
        return [
            ((rank, matched, customer_id), customers[customer_id])
            for rank, matched, customer_id in rows
            if customer_id in customers and best.get(customer_id) == (rank, matched)
        ]

    @staticmethod
    def _encode(term: str, position: Position) -> str:
        raw = json.dumps({"search": term, "after": list(position)})
        return urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode(cursor: str, term: str) -> Position:
        try:
            data: Any = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            rank, matched, customer_id = data["after"]
            if (
                data["search"] != term
                or rank not in (WHOLE, PART)
                or type(matched) is not str
                or type(customer_id) is not int
            ):
                raise ValueError(cursor)
        except (ValueError, TypeError, KeyError) as invalid:
            raise ValidationFailed.one(
                "cursor",
                _("This cursor does not belong to this list and ordering; start again without it."),
            ) from invalid
        return rank, matched, customer_id
