"""Pages of duplicates: the groups of a workspace, the merge screen, and a customer's history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import Conflict, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.customers import duplicates, queries
from salesflow.customers.duplicate_keys import KeyKind
from salesflow.customers.history import customer_history, merged_into
from salesflow.customers.merging import display, merge_customers, plan
from salesflow.customers.models import Customer
from salesflow.web.pages import PageRequest, page

GROUPS_PER_PAGE = 20
RECORDS_PER_PAGE = 50
KIND_LABELS = dict(KeyKind.choices)


@page()
def duplicate_list(request: PageRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    groups, next_cursor = duplicates.duplicate_groups(request.actor, cursor, GROUPS_PER_PAGE)
    context = {
        "groups": [
            {
                "keys": [(KIND_LABELS.get(kind, kind), key) for kind, key in group.keys],
                "customers": group.customers,
                "merge_query": "&".join(f"ids={c.pk}" for c in group.customers),
            }
            for group in groups
        ],
        "next_cursor": next_cursor,
        "first_page": bool(cursor),
    }
    return render(request, "customers/duplicates.html", context)


@dataclass(frozen=True)
class Option:
    customer: Customer
    shown: str
    checked: bool


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    options: list[Option]
    differs: bool


@page("GET", "POST")
def merge(request: PageRequest) -> HttpResponse:
    """Choose the customer that stays and, value by value, what it keeps; then merge."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _ids(source.getlist("ids"))
    customers = {pk: queries.customer(request.actor, pk) for pk in ids}
    chosen = _int(source.get("survivor"))
    survivor = chosen if chosen in customers else (ids[0] if ids else None)
    if len(customers) < 2 or survivor is None:
        context = {"too_few": True, "customers": list(customers.values())}
        return render(request, "customers/merge.html", context, status=422)
    ordered = [customers[survivor], *(c for pk, c in customers.items() if pk != survivor)]
    picked = {
        name.removeprefix("choice:"): _int(value)
        for name, value in source.items()
        if name.startswith("choice:")
    }
    if request.method == "POST":
        versions = {pk: _int(source.get(f"version_{pk}")) for pk in customers}
        try:
            merge_customers(
                request.actor,
                survivor,
                versions[survivor],
                {pk: versions[pk] for pk in customers if pk != survivor},
                {name: pk for name, pk in picked.items() if pk is not None},
            )
        except Conflict:
            return _merge_form(request, ordered, {}, status=409, conflict=True)
        except ValidationFailed as failed:
            return _merge_form(request, ordered, picked, status=422, errors=failed.errors)
        return HttpResponseRedirect(reverse("customers:detail", args=[survivor]))
    # Opened, or another survivor chosen (with HTMX): each value starts at its default.
    return _merge_form(request, ordered, {})


def _merge_form(
    request: PageRequest,
    customers: list[Customer],
    picked: dict[str, int | None],
    *,
    status: int = 200,
    conflict: bool = False,
    errors: Any = (),
) -> HttpResponse:
    choices, unions = plan(customers)
    rows = [
        Row(
            choice.name,
            choice.label,
            [
                Option(
                    customer,
                    display(customer, choice.name, choice.values[customer.pk]),
                    customer.pk == picked.get(choice.name, choice.default),
                )
                for customer in customers
            ],
            choice.differs,
        )
        for choice in choices
    ]
    context = {
        "customers": customers,
        "survivor": customers[0],
        "rows": rows,
        "unions": unions,
        "conflict": conflict,
        "errors": errors,
    }
    template = "customers/_merge_form.html" if request.htmx else "customers/merge.html"
    return render(request, template, context, status=status)


def _ids(values: list[str]) -> list[int]:
    found: list[int] = []
    for value in values:
        pk = _int(value)
        if pk is not None and pk not in found:
            found.append(pk)
    return found


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@page()
def history(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = queries.customer(request.actor, customer_id)
    cursor = request.GET.get("cursor") or None
    records, next_cursor = customer_history(request.actor, customer, cursor, RECORDS_PER_PAGE)
    context = {
        "customer": customer,
        "entries": [_entry(record) for record in records],
        "merged": sorted(merged_into(customer)),
        "next_cursor": next_cursor,
        "first_page": bool(cursor),
    }
    return render(request, "customers/history.html", context)


ACTIONS = {
    "create": _("Customer created"),
    "update": _("Values changed"),
    "delete": _("Customer deleted"),
    "merge": _("Merged others into it"),
    "merged": _("Merged into another customer"),
}


def _entry(record: AuditRecord) -> dict[str, Any]:
    """An audit record as the history shows it: each change as "old → new", else its value."""
    pairs = record.action == "update"
    return {
        "record": record,
        "action": ACTIONS.get(record.action, record.action),
        "changes": [
            (name, " → ".join(_text(v) for v in value) if pairs else _text(value))
            for name, value in record.changes.items()
        ],
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
