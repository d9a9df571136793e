"""Defining custom fields: an admin adds, changes, orders, archives and deletes them.

What a value of a field may be is `customfields`' to say; these services keep the
definitions themselves sound: a key is a stable slug, unique per entity, never reused while
records hold values under it; a field holding values keeps its type; options are retired,
never removed, so every stored option key keeps its label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, require_admin, visible
from salesflow.customers.customfields import (
    CHOICE_TYPES,
    ENTITY_MODELS,
    KEY_PATTERN,
    MAX_DECIMAL_PLACES,
    TEXT_LENGTH,
    suggest_key,
)
from salesflow.customers.models import CustomField, CustomFieldType

T = CustomFieldType
UPDATE_FIELDS = frozenset(
    {
        "label",
        "type",
        "required",
        "help_text",
        "position",
        "options",
        "max_length",
        "pattern",
        "pattern_message",
        "min_value",
        "max_value",
        "decimal_places",
        "min_date",
        "max_date",
        "shown_in_list",
        "archived",
    }
)
CREATE_FIELDS = UPDATE_FIELDS | {"entity", "key"}
# What each type's validation uses; the rest is cleared when a field takes the type.
SETTINGS_OF_TYPE = {
    T.TEXT: {"max_length", "pattern", "pattern_message"},
    T.LONG_TEXT: {"max_length"},
    T.NUMBER: {"min_value", "max_value", "decimal_places"},
    T.MONEY: {"min_value", "max_value"},
    T.DATE: {"min_date", "max_date"},
    T.SINGLE_CHOICE: {"options"},
    T.MULTIPLE_CHOICE: {"options"},
    T.YES_NO: set(),
}
CLEARED: dict[str, Any] = {
    "max_length": None,
    "pattern": "",
    "pattern_message": "",
    "min_value": None,
    "max_value": None,
    "decimal_places": 0,
    "min_date": None,
    "max_date": None,
    "options": [],
}


def records_holding(field: CustomField) -> int:
    """How many records of the workspace hold a value of this field."""
    model = ENTITY_MODELS[field.entity]
    holding = model._default_manager.filter(
        workspace_id=field.workspace_id, custom__has_key=field.key
    )
    return holding.count()


@transaction.atomic
def create_field(actor: Actor, data: Mapping[str, Any]) -> CustomField:
    """A new field after the entity's last one; the key is made from the label if not given."""
    require_admin(actor)
    writes.only(data, CREATE_FIELDS)
    values = dict(data)
    if values.get("entity") not in ENTITY_MODELS:
        raise ValidationFailed.one("entity", _("Choose customer, contact or deal."))
    label = str(values.get("label") or "").strip()
    values["label"] = label
    values["key"] = str(values.get("key") or "").strip() or (suggest_key(label) if label else "")
    if values.get("position") is None:
        siblings = visible(CustomField, actor).filter(entity=values["entity"])
        last = siblings.aggregate(last=Max("position"))["last"]
        values["position"] = 0 if last is None else last + 1
    field = CustomField(**values)
    field.workspace_id = actor.workspace_id
    errors = _key_errors(field) + _definition_errors(field, [])
    if errors:
        raise ValidationFailed(errors)
    _clear_other_settings(field)
    return writes.create(actor, field)


@transaction.atomic
def update_field(
    actor: Actor, field_id: int, version: int | None, data: Mapping[str, Any]
) -> CustomField:
    """Change anything but the entity and the key; a field holding values keeps its type."""
    require_admin(actor)
    writes.only(data, UPDATE_FIELDS)
    field = writes.lock(actor, CustomField, field_id, version)
    previous_type, previous_options = field.type, list(field.options)
    values = dict(data)
    if "label" in values:
        values["label"] = str(values["label"] or "").strip()
    changes = writes.apply(field, values)
    if field.type != previous_type:
        holding = records_holding(field)
        if holding:
            raise ValidationFailed.one(
                "type",
                _(
                    "%(count)s records hold values of this field, so its type cannot change. "
                    "Archive it and add a new field instead."
                )
                % {"count": holding},
            )
    errors = _definition_errors(field, previous_options if field.type == previous_type else [])
    if errors:
        raise ValidationFailed(errors)
    changes.update(_clear_other_settings(field))
    return writes.update(actor, field, changes)


@transaction.atomic
def reorder_fields(actor: Actor, entity: str, field_ids: Sequence[int]) -> list[CustomField]:
    """Put the entity's fields in the order given, which must name each of them once."""
    require_admin(actor)
    rows = {f.pk: f for f in visible(CustomField, actor).filter(entity=entity).select_for_update()}
    if sorted(field_ids) != sorted(rows):
        raise ValidationFailed.one(
            "field_ids", _("Name every field of this record type once, in the new order.")
        )
    ordered = [rows[pk] for pk in field_ids]
    for position, field in enumerate(ordered):
        writes.update(actor, field, writes.apply(field, {"position": position}))
    return ordered


@transaction.atomic
def delete_field(actor: Actor, field_id: int, version: int | None = None) -> None:
    """Only a field no record holds a value of: its key could otherwise come back meaning
    something else. A field in use is archived instead."""
    require_admin(actor)
    field = writes.lock(actor, CustomField, field_id, version)
    holding = records_holding(field)
    if holding:
        raise ValidationFailed.one(
            "id",
            _("%(count)s records hold values of this field: archive it instead of deleting it.")
            % {"count": holding},
        )
    writes.delete(actor, field)


def _key_errors(field: CustomField) -> list[FieldError]:
    if not KEY_PATTERN.match(field.key):
        return [
            FieldError(
                "key",
                _(
                    "Use 1 to 40 lower-case letters, digits and underscores, starting with a "
                    "letter."
                ),
            )
        ]
    taken = CustomField.objects.filter(
        workspace_id=field.workspace_id, entity=field.entity, key=field.key
    ).exists()
    if taken:
        return [FieldError("key", _("Another field of this record type has this key."))]
    return []


def _definition_errors(
    field: CustomField, previous_options: list[dict[str, Any]]
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not field.label:
        errors.append(FieldError("label", _("This field is required.")))
    if field.type not in SETTINGS_OF_TYPE:
        choices = ", ".join(CustomFieldType.values)
        return [
            *errors,
            FieldError("type", _("Choose one of: %(choices)s.") % {"choices": choices}),
        ]
    if field.type in TEXT_LENGTH:
        limit = TEXT_LENGTH[field.type]
        if field.max_length is not None and not 1 <= field.max_length <= limit:
            errors.append(
                FieldError("max_length", _("Must be from 1 to %(limit)s.") % {"limit": limit})
            )
    if field.type == T.TEXT and field.pattern:
        try:
            re.compile(field.pattern)
        except re.error as bad:
            errors.append(
                FieldError(
                    "pattern",
                    _("Not a valid regular expression: %(error)s") % {"error": str(bad)},
                )
            )
    if field.type == T.NUMBER and not 0 <= field.decimal_places <= MAX_DECIMAL_PLACES:
        errors.append(
            FieldError(
                "decimal_places", _("Must be from 0 to %(limit)s.") % {"limit": MAX_DECIMAL_PLACES}
            )
        )
    for low, high in (("min_value", "max_value"), ("min_date", "max_date")):
        low_value, high_value = getattr(field, low), getattr(field, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            errors.append(FieldError(high, _("Must not be below the minimum.")))
    if field.type in CHOICE_TYPES:
        errors.extend(_option_errors(field, previous_options))
    return errors


def _option_errors(field: CustomField, previous: list[dict[str, Any]]) -> list[FieldError]:
    """Options are [{key, label, retired}]: keys slugs, unique, none of the old ones dropped."""
    raw = field.options
    if not isinstance(raw, list) or not all(isinstance(o, Mapping) for o in raw):
        return [FieldError("options", _("Give a list of options, each with a key and a label."))]
    options: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for index, option in enumerate(raw):
        label = str(option.get("label") or "").strip()
        key = str(option.get("key") or "").strip() or (suggest_key(label) if label else "")
        if not label:
            errors.append(FieldError(f"options.{index}", _("Each option needs a label.")))
        elif not KEY_PATTERN.match(key):
            errors.append(
                FieldError(
                    f"options.{index}",
                    _("“%(key)s”: an option key is lower-case letters, digits and underscores.")
                    % {"key": key},
                )
            )
        options.append({"key": key, "label": label, "retired": bool(option.get("retired"))})
    keys = [o["key"] for o in options]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        errors.append(
            FieldError(
                "options", _("Option keys must differ: %(keys)s.") % {"keys": ", ".join(repeated)}
            )
        )
    dropped = [o["label"] for o in previous if o["key"] not in keys]
    if dropped:
        errors.append(
            FieldError(
                "options",
                _(
                    "Options cannot be removed, so that stored values keep their label; retire "
                    "%(labels)s instead."
                )
                % {"labels": "、".join(dropped)},
            )
        )
    if not any(not o["retired"] for o in options):
        errors.append(FieldError("options", _("Give at least one option that is not retired.")))
    field.options = options
    return errors


def _clear_other_settings(field: CustomField) -> dict[str, list[Any]]:
    """Settings another type used are cleared, so they cannot surprise after a type change."""
    kept = SETTINGS_OF_TYPE[CustomFieldType(field.type)]
    cleared = {name: value for name, value in CLEARED.items() if name not in kept}
    return writes.apply(field, cleared)
