"""What every REST endpoint shares: bearer-token actors, the request language, one error shape.

Handlers only parse, call one query or service and return; the domain errors those raise
(and ninja's own input errors) become the same JSON body everywhere:
`{"detail": "…", "errors": [{"field": "…", "message": "…"}]}`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Field as ModelField
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict

from salesflow.core.errors import Conflict, DomainError, FieldError, ValidationFailed
from salesflow.core.money import DECIMAL_PLACES
from salesflow.core.scoping import Actor
from salesflow.core.services import actor_for_token


class ApiRequest(HttpRequest):
    """A request that passed bearer authentication; `auth` is the actor the token speaks for."""

    auth: Actor


def request_language(request: HttpRequest, actor: Actor) -> str:
    """The first supported Accept-Language, else the member's own language, else the workspace's."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return actor.membership.language or actor.workspace.language


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the actor it names also decides the answer's language."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        actor = actor_for_token(token)
        if actor is not None:
            translation.activate(request_language(request, actor))
        return actor


class InputSchema(Schema):
    """A request body: a field the endpoint does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class VersionedInput(InputSchema):
    """An update names the version it was based on, so a stale write is refused (409)."""

    version: int


def column(model: type[Model], name: str, *, required: bool = False, **extra: Any) -> Any:
    """An input field with the model column's own length limit and default, so the two agree."""
    field = model._meta.get_field(name)
    assert isinstance(field, ModelField)
    default = ... if required else field.get_default()
    return Field(default, max_length=field.max_length, **extra)


def changes(payload: VersionedInput) -> dict[str, Any]:
    """Only the fields the client sent: an update must not reset what it left out."""
    return payload.model_dump(exclude_unset=True, exclude={"version"})


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-DECIMAL_PLACES))


UtcDatetime = Annotated[datetime.datetime, AfterValidator(_in_utc)]
Money = Annotated[Decimal, AfterValidator(_money)]


class RecordOut(Schema):
    """What every workspace row tells a client: identity, version and who changed it when."""

    id: int
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    created_by_id: int | None
    updated_by_id: int | None


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class ConflictOut(ErrorOut):
    current_version: int


READ_ERRORS: dict[Any, type[Schema]] = {frozenset({401, 404, 422}): ErrorOut}
WRITE_ERRORS: dict[Any, type[Schema]] = {
    frozenset({400, 401, 403, 404, 422}): ErrorOut,
    409: ConflictOut,
}


def error_body(detail: str | Promise, errors: Iterable[FieldError] = ()) -> dict[str, Any]:
    return {
        "detail": str(detail),
        "errors": [{"field": e.field, "message": str(e.message)} for e in errors],
    }


def input_field(location: Sequence[str | int]) -> str:
    """The field as the client named it: without the source or the handler's body parameter."""
    source, *path = location
    if source == "body":
        path = path[1:]
    return ".".join(str(part) for part in path) or str(source)


def input_message(error: Mapping[str, Any]) -> str | Promise:
    """Pydantic's message for an input error, in the request's language where we know the kind."""
    context = error.get("ctx", {})
    match error["type"]:
        case "missing":
            return _("This field is required.")
        case "extra_forbidden":
            return _("Unknown field.")
        case "string_too_long":
            return _("Ensure this value has at most %(limit)s characters.") % {
                "limit": context["max_length"]
            }
        case "string_type":
            return _("Enter a text.")
        case "int_type" | "int_parsing" | "int_from_float":
            return _("Enter a whole number.")
        case "decimal_type" | "decimal_parsing":
            return _("Enter a number.")
        case "bool_type" | "bool_parsing":
            return _("Enter true or false.")
        case "date_type" | "date_parsing" | "date_from_datetime_parsing":
            return _("Enter a valid date.")
        case "datetime_type" | "datetime_parsing" | "datetime_from_date_parsing":
            return _("Enter a valid date/time.")
        case "timezone_aware":
            return _("Give the time with its UTC offset, e.g. 2025-01-31T09:00:00+08:00.")
        case "enum" | "literal_error":
            return _("Choose one of: %(choices)s.") % {"choices": context["expected"]}
        case "greater_than_equal":
            return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
                "limit_value": context["ge"]
            }
        case "less_than_equal":
            return _("Ensure this value is less than or equal to %(limit_value)s.") % {
                "limit_value": context["le"]
            }
        case "list_type":
            return _("Enter a list.")
        case "dict_type" | "model_type" | "model_attributes_type":
            return _("Enter an object.")
    return str(error["msg"])


def register_error_handlers(api: NinjaAPI) -> None:
    """Answer every failure in the one error shape, in the request's language."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        body = error_body(exc.detail, exc.errors if isinstance(exc, ValidationFailed) else ())
        if isinstance(exc, Conflict):
            body["current_version"] = exc.current_version
        return respond(request, exc.status, body)

    @api.exception_handler(ValidationError)
    def on_invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [FieldError(input_field(e["loc"]), input_message(e)) for e in exc.errors]
        return respond(request, 422, error_body(ValidationFailed.default_detail, errors))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = _("Send a valid API token: “Authorization: Bearer <token>”.")
        response = respond(request, 401, error_body(detail))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            message = _("The request body is not valid JSON.")
            return respond(request, 400, error_body(message, [FieldError("body", message)]))
        return respond(request, exc.status_code, error_body(exc.message))
