"""What an imported row holds beside the model's own fields: custom values and protected ones.

Both are checked by the code the services use: custom values by `customfields.clean_values`
(types, required fields, limits, archived fields and retired options, each refusal naming the
field by its label), protected values by `protected.split` (their length) before they are
encrypted. A protected cell holding a mask was left out when it was read (see
`columns.unmasked`), so the stored value stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.db.models import Model

from salesflow.customers import customfields, protected
from salesflow.customers.columns import CUSTOM_PREFIX


class Cells(Protocol):
    """An imported row as these helpers read it (importers.Row)."""

    values: dict[str, Any]

    def given(self, key: str) -> bool: ...


class CustomValues:
    """The workspace's custom fields of one record type, and a row's values of them."""

    def __init__(self, workspace_id: int, entity: str) -> None:
        # Archived fields too, as the services check against them: a value may not change.
        self.fields = customfields.definitions(workspace_id, entity)
        self.columns = [(f"{CUSTOM_PREFIX}{field.key}", field.key) for field in self.fields]

    def submitted(self, row: Cells) -> dict[str, Any]:
        """The values of the row's filled custom columns, by field key (an empty cell changes
        nothing, like every other empty cell)."""
        return {key: row.values[column] for column, key in self.columns if row.given(column)}

    def required(self) -> dict[str, Any]:
        """The `custom` of a record a row creates without custom columns of its own (a
        customer's first contact, a vCard's company): empty, or ValidationFailed naming each
        field the workspace requires."""
        return customfields.clean_values(self.fields, {}, None)

    def clean(self, row: Cells, current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The record's new `custom`, as the services would store it; `current` is None for a
        new record (whose required fields must then be given). Raises ValidationFailed."""
        return customfields.clean_values(self.fields, self.submitted(row), current)


def protected_values(row: Cells, model: type[Model]) -> dict[str, str]:
    """The row's filled protected cells in clear, checked as the services check them
    (raises ValidationFailed naming the field); masks were read as nothing."""
    given = {
        name: row.values[name]
        for name in protected.protected_of(model)
        if row.given(name) and row.values.get(name)
    }
    if not given:
        return {}
    _plain, clear = protected.split(model, given)
    return clear
