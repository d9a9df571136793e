"""Domain errors: raised by services and queries, turned into HTTP answers at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str | Promise


class DomainError(Exception):
    status = 400
    default_detail: str | Promise = _("The request could not be processed.")

    def __init__(self, detail: str | Promise | None = None) -> None:
        self.detail = detail if detail is not None else self.default_detail
        super().__init__(str(self.detail))


class NotFound(DomainError):
    """The record does not exist or lies outside what the actor may see (never tell which)."""

    status = 404
    default_detail = _("Not found.")


class Forbidden(DomainError):
    status = 403
    default_detail = _("You are not allowed to do this.")


class Conflict(DomainError):
    """The record changed since the client read it: nothing was written."""

    status = 409
    default_detail = _("This record was changed by someone else. Reload it and try again.")

    def __init__(self, current_version: int, detail: str | Promise | None = None) -> None:
        self.current_version = current_version
        super().__init__(detail)


class ValidationFailed(DomainError):
    status = 422
    default_detail = _("Some fields are not valid.")

    def __init__(self, errors: list[FieldError], detail: str | Promise | None = None) -> None:
        self.errors = errors
        super().__init__(detail)

    @classmethod
    def one(cls, field: str, message: str | Promise) -> ValidationFailed:
        return cls([FieldError(field, message)])
