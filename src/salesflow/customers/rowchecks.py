"""The model's own field checks, run on an imported row's values without a model instance.

`writes.validate` runs `full_clean` on an instance; for a batch of thousands of new rows that
costs more than the checks themselves (an instance per row, the unique checks gathered anew,
every field read and set back). `FieldChecks` runs the very same `field.clean` of each field
a row gives (its type, choices, blank and null, validators such as the e-mail and URL
checks), the maximum length of text fields that `writes.validate` adds, and reports a field
left at its default by the result its default had once. It is for models whose full_clean
checks nothing else: no unique field but the id, no constraint, no `clean()` of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from salesflow.core.errors import FieldError, ValidationFailed


class FieldChecks:
    def __init__(self, model: type[models.Model], exclude: Iterable[str]) -> None:
        skipped = set(exclude)
        meta = model._meta
        assert model.clean is models.Model.clean, f"{model.__name__} has a clean() of its own"
        assert not meta.constraints, f"{model.__name__} has constraints"
        assert not meta.unique_together, f"{model.__name__} has unique fields"
        self.fields = [f for f in meta.concrete_fields if f.name not in skipped and not f.generated]
        assert not any(f.unique and not f.primary_key for f in self.fields)
        self.text_limits = {
            f.attname: MaxLengthValidator(f.max_length)
            for f in self.fields
            if isinstance(f, models.TextField) and f.max_length is not None
        }
        self.defaults: dict[str, list[str]] = {}

    def check(self, values: dict[str, Any]) -> None:
        """Check `values` (attribute name → value; a field left out has its default) as
        `writes.validate` checks a new instance holding them, and store each cleaned value
        back as full_clean does. Raises ValidationFailed naming each failing field."""
        found: dict[str, list[str]] = {}
        for field in self.fields:
            name = field.attname
            if name not in values:
                if name not in self.defaults:
                    self.defaults[name] = self._messages(field, field.get_default(), None)
                if self.defaults[name]:
                    found[_api_name(field)] = list(self.defaults[name])
                continue
            messages = self._messages(field, values[name], values)
            if messages:
                found[_api_name(field)] = messages
        for name, limit in self.text_limits.items():
            value = values.get(name)
            if isinstance(value, str):
                try:
                    limit(value)
                except ValidationError as too_long:
                    found.setdefault(name, []).extend(too_long.messages)
        if found:
            raise ValidationFailed(
                [FieldError(name, text) for name, messages in found.items() for text in messages]
            )

    @staticmethod
    def _messages(
        field: models.Field[Any, Any], value: Any, into: dict[str, Any] | None
    ) -> list[str]:
        if field.blank and value in field.empty_values:
            return []
        try:
            cleaned = field.clean(value, None)
        except ValidationError as invalid:
            return list(invalid.messages)
        if into is not None:
            into[field.attname] = cleaned
        return []


def _api_name(field: models.Field[Any, Any]) -> str:
    """Errors name fields as the API does: a foreign key `owner` as `owner_id`."""
    return field.attname if isinstance(field, models.ForeignKey) else field.name
