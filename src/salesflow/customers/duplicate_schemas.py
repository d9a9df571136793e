"""What the API tells of possible duplicates, shared by the customer and contact endpoints."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema

from salesflow.core.api import ErrorOut, InputSchema, error_body
from salesflow.customers.duplicates import Duplicate, DuplicateFound


class AllowDuplicate(InputSchema):
    allow_duplicate: bool = Field(
        False,
        description=(
            "Save even when another customer (or another contact of the customer) has the "
            "same phone, e-mail or name; without it such a write answers 409 with `duplicates`."
        ),
    )


class ReasonOut(Schema):
    kind: str = Field(description="phone, email, name, or contact (a contact's name).")
    key: str = Field(description="The value compared: E.164 phone, lower-case e-mail, name.")
    contact_id: int | None = Field(description="The contact it belongs to, if any.")


class DuplicateOut(Schema):
    customer_id: int | None = Field(description="Empty for a customer you may not see.")
    name: str = Field(description="Empty for a customer you may not see.")
    visible: bool
    owner_id: int | None
    owner_name: str
    same_customer: bool = Field(description="Another contact of the very customer written.")
    reasons: list[ReasonOut]


class DuplicatesOut(ErrorOut):
    duplicates: list[DuplicateOut] = []
    current_version: int | None = None


def duplicate_body(duplicates: list[Duplicate]) -> list[dict[str, object]]:
    return [DuplicateOut.from_orm(d).model_dump() for d in duplicates]


def register_duplicate_handler(api: NinjaAPI) -> None:
    """A write refused as a duplicate answers 409 with the customers it matched."""

    @api.exception_handler(DuplicateFound)
    def on_duplicate(request: HttpRequest, exc: DuplicateFound) -> HttpResponse:
        body = {**error_body(exc.detail), "duplicates": duplicate_body(exc.duplicates)}
        return api.create_response(request, body, status=exc.status)
