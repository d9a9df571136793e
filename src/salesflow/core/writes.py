"""The mechanics every service shares: validate, save with a version check, audit."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models, router
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.encryption import ProtectedField
from salesflow.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from salesflow.core.models import AuditRecord, WorkspaceOwned
from salesflow.core.scoping import Actor, visible

M = TypeVar("M", bound=WorkspaceOwned)

AUDIT_SKIP = {"created_at", "updated_at", "created_by", "updated_by", "version", "workspace"}
# What the audit trail holds for a protected value: that there is one, never the value.
PROTECTED_MARK = "••••••"


def jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _redacted(value: Any) -> Any:
    """A protected value as audited: whether it was set, and not even its ciphertext."""
    if isinstance(value, list):
        return [PROTECTED_MARK if v else "" for v in value]
    return PROTECTED_MARK if value else ""


def audit(
    actor: Actor | None,
    obj: WorkspaceOwned,
    action: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    protected = {f.attname for f in obj._meta.concrete_fields if isinstance(f, ProtectedField)}
    AuditRecord.objects.create(
        workspace_id=obj.workspace_id,
        actor_id=actor.user_id if actor else None,
        entity=obj._meta.label_lower,
        entity_id=obj.pk,
        action=action,
        changes={
            k: _redacted(v) if k in protected else jsonable(v) for k, v in (changes or {}).items()
        },
    )


def validate(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    """Run the model's own field and constraint checks; report each failing field."""
    skipped = set(exclude)
    found: dict[str, list[str]] = {}
    try:
        obj.full_clean(exclude=skipped, validate_unique=True, validate_constraints=False)
    except ValidationError as invalid:
        found = invalid.message_dict
    for name, message in _text_too_long(obj, skipped) + _constraint_errors(obj, skipped | {*found}):
        found.setdefault(name, []).append(message)
    if found:
        errors = [
            FieldError(_api_field(obj, name), message)
            for name, messages in found.items()
            for message in messages
        ]
        raise ValidationFailed(errors)


def _constraint_errors(obj: models.Model, exclude: set[str]) -> list[tuple[str, str]]:
    """The model's constraints, each violation filed under the field it is about.

    Django files a constraint over several fields under "__all__"; but within a workspace a
    clash of (workspace, name) is a fact about the name, and the client should hear so.
    """
    using = router.db_for_write(type(obj), instance=obj)
    errors: list[tuple[str, str]] = []
    for model, constraints in obj.get_constraints():
        for constraint in constraints:
            try:
                # django-stubs does not declare BaseConstraint.validate (Django >= 4.1 has it).
                constraint.validate(model, obj, exclude=exclude, using=using)  # type: ignore[attr-defined]
            except ValidationError as violated:
                fields = [f for f in getattr(constraint, "fields", ()) if f != "workspace"]
                name = fields[0] if len(fields) == 1 else NON_FIELD_ERRORS
                errors.extend((name, message) for message in violated.messages)
    return errors


def _text_too_long(obj: models.Model, exclude: set[str]) -> list[tuple[str, str]]:
    """Django enforces a TextField's max_length only in forms; our writes must enforce it too."""
    errors: list[tuple[str, str]] = []
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if (
            isinstance(field, models.TextField)
            and field.max_length is not None
            and field.name not in exclude
            and isinstance(value, str)
        ):
            try:
                MaxLengthValidator(field.max_length)(value)
            except ValidationError as too_long:
                errors.extend((field.name, message) for message in too_long.messages)
    return errors


def _api_field(obj: models.Model, name: str) -> str:
    """Errors name fields as the API does: a foreign key `customer` is sent as `customer_id`."""
    if name == "__all__":
        return name
    try:
        field = obj._meta.get_field(name)
    except Exception:  # a non-field key reported by clean()
        return name
    return field.attname if isinstance(field, models.ForeignKey) else name


def lock(actor: Actor, model: type[M], pk: object, expected_version: int | None) -> M:
    """The visible row, locked for this transaction, at the version the client last read."""
    try:
        obj = visible(model, actor).select_for_update().get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as missing:
        raise NotFound() from missing
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(obj.version)
    return obj


def apply(obj: models.Model, data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the given attributes; return {field: [old, new]} for those that really changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in data.items():
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        old = getattr(obj, attname)
        value = new.pk if isinstance(new, models.Model) else new
        if old != value:
            changes[attname] = [jsonable(old), jsonable(value)]
            setattr(obj, attname, value)
            if isinstance(new, models.Model):
                setattr(obj, name, new)
    return changes


def create(actor: Actor | None, obj: M, *, exclude: Iterable[str] = ()) -> M:
    """Insert a new workspace row after validation and record it in the audit trail."""
    if actor is not None:
        obj.workspace_id = actor.workspace_id
        obj.created_by_id = obj.updated_by_id = actor.user_id
    validate(obj, exclude)
    obj.save(force_insert=True)
    snapshot = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.name not in AUDIT_SKIP and f.name != "id"
    }
    audit(actor, obj, "create", snapshot)
    return obj


def update(
    actor: Actor | None,
    obj: M,
    changes: Mapping[str, list[Any]],
    *,
    action: str = "update",
    exclude: Iterable[str] = (),
) -> M:
    """Write changed fields only if nobody bumped the version meanwhile; audit the change."""
    if not changes:
        return obj
    validate(obj, exclude)
    now = timezone.now()
    values = {attname: getattr(obj, attname) for attname in changes}
    current = obj.version
    written = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, version=current)
        .update(
            **values,
            version=F("version") + 1,
            updated_at=now,
            updated_by_id=actor.user_id if actor else None,
        )
    )
    if written != 1:
        latest = type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise Conflict(latest.first() or current)
    obj.version = current + 1
    obj.updated_at = now
    obj.updated_by_id = actor.user_id if actor else None
    audit(actor, obj, action, dict(changes))
    return obj


def delete(actor: Actor | None, obj: M, *, action: str = "delete") -> None:
    snapshot = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.name not in AUDIT_SKIP
    }
    try:
        obj.delete()
    except models.ProtectedError as protected:
        raise ValidationFailed.one(
            "id", _("This record is still used by other records and cannot be deleted.")
        ) from protected
    obj.pk = snapshot["id"]
    audit(actor, obj, action, snapshot)


def reference(actor: Actor, model: type[M], pk: object, field_name: str) -> M:
    """A row named by id in the input: it must exist and be visible, or the field is invalid."""
    try:
        return visible(model, actor).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as missing:
        raise ValidationFailed.one(
            field_name,
            _("No %(entity)s visible to you has this id.") % {"entity": model._meta.verbose_name},
        ) from missing


def only(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse input naming a field the service does not accept, rather than ignore it."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed([FieldError(k, _("Unknown field.")) for k in unknown])
