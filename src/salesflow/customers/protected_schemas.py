"""The protected fields and the lock as the API shows them: masked on read, clear on write."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from salesflow.core.api import InputSchema, UtcDatetime
from salesflow.customers.protected import BANK_ACCOUNT, ID_NUMBER, PRIVATE_NOTES, masked

MASKED = "Masked; POST …/reveal with your password for the value."


def _input(field: Any) -> Any:
    return Field("", max_length=field.max_length, description="Stored encrypted; shown masked.")


class CustomerProtectionOut(Schema):
    locked_at: UtcDatetime | None = Field(description="Set while the customer may not be deleted.")
    locked_by_id: int | None
    id_number: str = Field(description=MASKED)
    bank_account: str = Field(description=MASKED)
    private_notes: str = Field(description=MASKED)

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return masked(obj, "id_number")

    @staticmethod
    def resolve_bank_account(obj: Any) -> str:
        return masked(obj, "bank_account")

    @staticmethod
    def resolve_private_notes(obj: Any) -> str:
        return masked(obj, "private_notes")


class CustomerProtectedIn(InputSchema):
    id_number: str = _input(ID_NUMBER)
    bank_account: str = _input(BANK_ACCOUNT)
    private_notes: str = _input(PRIVATE_NOTES)


class ContactProtectionOut(Schema):
    id_number: str = Field(description=MASKED)

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return masked(obj, "id_number")


class ContactProtectedIn(InputSchema):
    id_number: str = _input(ID_NUMBER)
