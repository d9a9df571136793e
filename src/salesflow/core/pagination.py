"""Keyset pagination for every list endpoint: `?ordering=&limit=&cursor=`.

Rows are ordered by (field, id) with NULLs last in both directions, which is a total order,
so "the rows after the last one seen" is a plain WHERE clause: pages stay exact while rows
are added or removed, and the database never counts or skips rows (no OFFSET).
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import F, Field, OrderBy, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.pagination import PaginationBase
from pydantic import Field as SchemaField
from pydantic import create_model

from salesflow.core.errors import ValidationFailed
from salesflow.core.writes import jsonable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class KeysetPagination(PaginationBase):
    """Use as `@paginate(KeysetPagination, orderings=(...), default="name")` on a list endpoint.

    `orderings` are the model fields a client may sort by; each may be prefixed with "-".
    The cursor is opaque to clients: urlsafe base64 of JSON naming the ordering and the last
    row's (value, id).
    """

    items_attribute = "items"

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None

    def __init__(self, *, orderings: Sequence[str], default: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        choices = tuple(choice for name in orderings for choice in (name, f"-{name}"))
        ordering: Any = Literal[choices]
        self.Input = create_model(
            "KeysetPage",
            __base__=PaginationBase.Input,
            ordering=(ordering, SchemaField(default, description="Sort field; '-' sorts down.")),
            limit=(int, SchemaField(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)),
            cursor=(str | None, SchemaField(None, description="next_cursor of the last page.")),
        )

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page, next_cursor = page_of(
            queryset, pagination.ordering, pagination.cursor, pagination.limit
        )
        return {"items": page, "next_cursor": next_cursor}


@runtime_checkable
class SelfPaging(Protocol):
    """Rows in an order of their own (a search's best matches first), paged by their own
    cursor; a list endpoint may answer with these instead of a queryset."""

    def page(self, cursor: str | None, limit: int) -> tuple[list[Any], str | None]: ...


def page_of(
    rows: QuerySet[Any] | SelfPaging, ordering: str, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of a queryset in `ordering`, or of rows that page themselves."""
    if isinstance(rows, SelfPaging):
        return rows.page(cursor, limit)
    return keyset_page(rows, ordering, cursor, limit)


def keyset_page(
    queryset: QuerySet[Any], ordering: str, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of rows after `cursor` in `ordering`, and the cursor of the next page."""
    descending = ordering.startswith("-")
    field = queryset.model._meta.get_field(ordering.removeprefix("-"))
    assert isinstance(field, Field)
    rows = queryset.order_by(*_order(field, descending))
    if cursor:
        value, last_id = _decode(cursor, ordering, field)
        rows = rows.filter(_after(field, descending, value, last_id))
    page = list(rows[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        next_cursor = _encode(ordering, getattr(last, field.attname), last.pk)
    return page, next_cursor


def _order(field: Field[Any, Any], descending: bool) -> tuple[OrderBy, OrderBy]:
    column = F(field.attname)
    key = (
        column.desc(nulls_last=True if field.null else None)
        if descending
        else column.asc(nulls_last=True if field.null else None)
    )
    return key, F("pk").desc() if descending else F("pk").asc()


def _after(field: Field[Any, Any], descending: bool, value: Any, last_id: int) -> Q:
    """Rows that sort after (value, last_id) in the order `_order` gives."""
    beyond = "lt" if descending else "gt"
    name = field.attname
    if value is None:
        return Q(**{f"{name}__isnull": True, f"pk__{beyond}": last_id})
    later = Q(**{f"{name}__{beyond}": value}) | Q(**{name: value, f"pk__{beyond}": last_id})
    return later | Q(**{f"{name}__isnull": True}) if field.null else later


def _encode(ordering: str, value: Any, last_id: int) -> str:
    raw = json.dumps({"ordering": ordering, "after": [jsonable(value), last_id]})
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, ordering: str, field: Field[Any, Any]) -> tuple[Any, int]:
    """The (value, id) a cursor points after; refused if forged or made for another ordering."""
    try:
        data = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, last_id = data["after"]
        if data["ordering"] != ordering or type(last_id) is not int:
            raise ValueError(ordering)
        return (None if value is None else field.to_python(value)), last_id
    except (ValueError, TypeError, KeyError, ModelValidationError) as invalid:
        raise ValidationFailed.one(
            "cursor",
            _("This cursor does not belong to this list and ordering; start again without it."),
        ) from invalid
