"""Merging duplicate customers into one, field by field, with everything that points at them.

Which values can be chosen comes from the model itself, so a field added later is offered
without a change here: every editable column is a choice between the customers' values, each
key of a JSON object (such as custom fields) a choice of its own, and a JSON list (phones,
e-mail addresses) the union of all. The rows moved to the survivor are found through the
model's relations, so a model that points at customers later is moved too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.analytics import aggregates
from salesflow.core import writes
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import WorkspaceOwned
from salesflow.core.scoping import Actor, require_can_own
from salesflow.customers import duplicates, search
from salesflow.customers.models import Customer, DuplicateKey, SearchTerm
from salesflow.pipeline.models import Deal

# Columns that say who wrote a row and when; a merge does not choose them.
NOT_CHOSEN = frozenset(
    {"id", "workspace", "created_at", "updated_at", "created_by", "updated_by", "version"}
)
# Rows derived from a customer: rebuilt for the survivor, not moved.
DERIVED: tuple[type[models.Model], ...] = (SearchTerm, DuplicateKey)
EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class Choice:
    """One value to choose: a column (`name` is its attname) or a key of a JSON object
    (`name` is "column.key"), with each record's value and the default choice."""

    name: str
    label: str
    values: dict[int, Any]
    default: int

    @property
    def differs(self) -> bool:
        return len({_comparable(v) for v in self.values.values()}) > 1


@dataclass(frozen=True)
class Union:
    """A JSON list whose entries are all kept: the survivor's first, then each other's new ones."""

    name: str
    label: str
    values: dict[int, list[Any]]

    @property
    def united(self) -> list[Any]:
        result: list[Any] = []
        for items in self.values.values():
            result.extend(item for item in items if item not in result)
        return result


def _comparable(value: Any) -> Any:
    return repr(value)


def _label(field: models.Field[Any, Any]) -> str:
    return str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:]


def plan(records: Sequence[models.Model]) -> tuple[list[Choice], list[Union]]:
    """What a merge of `records` (the survivor first) chooses and what it unites.

    A choice defaults to the survivor's value, or when that is empty to the first other
    record's non-empty one.
    """
    model = type(records[0])
    choices: list[Choice] = []
    unions: list[Union] = []
    for field in model._meta.concrete_fields:
        if field.name in NOT_CHOSEN or not field.editable or field.primary_key:
            continue
        values = {r.pk: getattr(r, field.attname) for r in records}
        if isinstance(field, models.JSONField) and all(
            isinstance(v, list) for v in values.values()
        ):
            unions.append(Union(field.attname, _label(field), values))
        elif isinstance(field, models.JSONField) and all(
            isinstance(v, dict) for v in values.values()
        ):
            keys = sorted({key for value in values.values() for key in value})
            for key in keys:
                inner = {pk: value.get(key) for pk, value in values.items()}
                choices.append(Choice(f"{field.attname}.{key}", key, inner, _default(inner)))
        else:
            choices.append(Choice(field.attname, _label(field), values, _default(values)))
    return choices, unions


def _default(values: Mapping[int, Any]) -> int:
    first = next(iter(values))
    return next((pk for pk, value in values.items() if value not in EMPTY), first)


def display(customer: Customer, name: str, value: Any) -> str:
    """A value as the merge screen shows it: a choice's label, an owner's name."""
    if value in EMPTY:
        return ""
    if "." in name:
        return str(value)
    field = Customer._meta.get_field(name.removesuffix("_id"))
    if isinstance(field, models.ForeignKey):
        related = getattr(customer, field.name)
        return str(getattr(related, "get_full_name", lambda: "")() or related)
    if isinstance(field, models.Field) and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


@transaction.atomic
def merge_customers(
    actor: Actor,
    survivor_id: int,
    survivor_version: int | None,
    merged: Mapping[int, int | None],
    choices: Mapping[str, int],
) -> Customer:
    """Merge the customers `merged` ({id: version read}) into the survivor, keeping for each
    value the customer named in `choices` (by default the survivor's non-empty value).

    Contacts, deals, activities and every other row pointing at the merged customers move to
    the survivor; the survivor's audit record lists the merged ids, the values chosen and the
    rows moved, and the merged customers are deleted (their history stays reachable from the
    survivor). Whoever may edit every one of them may merge them.
    """
    _check_ids(survivor_id, merged)
    versions = {survivor_id: survivor_version, **merged}
    # Locked in id order, so two merges of overlapping customers cannot deadlock.
    locked = {pk: writes.lock(actor, Customer, pk, versions[pk]) for pk in sorted(versions)}
    survivor = locked[survivor_id]
    records = [survivor, *(locked[pk] for pk in merged)]
    offered, unions = plan(records)
    values = _chosen_values(offered, unions, choices, survivor)
    if values.get("owner_id", survivor.owner_id) != survivor.owner_id:
        require_can_own(actor, values["owner_id"])
    changes = writes.apply(survivor, values)
    _save(actor, survivor)
    aggregates.customer_changed(survivor.pk, {k: getattr(survivor, k) for k in changes})
    moved = _move_related(actor, survivor, list(merged))
    for deal in Deal.objects.filter(pk__in=moved.get(Deal._meta.label_lower, [])):
        aggregates.deal_changed(deal)
    writes.audit(
        actor,
        survivor,
        "merge",
        {
            "merged_ids": list(merged),
            "choices": {c.name: choices.get(c.name, c.default) for c in offered if c.differs},
            "changes": changes,
            "moved": moved,
        },
    )
    for pk in merged:
        writes.audit(actor, locked[pk], "merged", {"into": survivor.pk})
        writes.delete(actor, locked[pk])
    search.customer_changed(survivor)
    duplicates.reindex([survivor.pk])
    return survivor


def _check_ids(survivor_id: int, merged: Mapping[int, int | None]) -> None:
    if not merged:
        raise ValidationFailed.one("merged", _("Choose at least one customer to merge."))
    if survivor_id in merged:
        raise ValidationFailed.one(
            "merged", _("The customer that stays cannot also be merged into itself.")
        )


def _chosen_values(
    offered: Sequence[Choice],
    unions: Sequence[Union],
    choices: Mapping[str, int],
    survivor: Customer,
) -> dict[str, Any]:
    """The survivor's new values, from each choice (or its default) and each union."""
    by_name = {c.name: c for c in offered}
    errors = [
        FieldError(f"choices.{name}", _("Unknown field."))
        for name in choices
        if name not in by_name
    ]
    errors += [
        FieldError(f"choices.{name}", _("Choose one of the customers being merged."))
        for name, source in choices.items()
        if name in by_name and source not in by_name[name].values
    ]
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {u.name: u.united for u in unions}
    for choice in offered:
        value = choice.values[choices.get(choice.name, choice.default)]
        column, dot, key = choice.name.partition(".")
        if not dot:
            values[column] = value
            continue
        inner = values.setdefault(column, dict(getattr(survivor, column)))
        if value is None:
            inner.pop(key, None)
        else:
            inner[key] = value
    return values


def _save(actor: Actor, survivor: Customer) -> None:
    """Write every chosen value and a new version, even when no value changed: the survivor
    gains rows, so a form or merge opened before must be refused."""
    writes.validate(survivor)
    now = timezone.now()
    columns = {
        f.attname: getattr(survivor, f.attname)
        for f in Customer._meta.concrete_fields
        if f.name not in NOT_CHOSEN
    }
    Customer.objects.filter(pk=survivor.pk).update(
        **columns, version=F("version") + 1, updated_at=now, updated_by_id=actor.user_id
    )
    survivor.version += 1
    survivor.updated_at = now
    survivor.updated_by_id = actor.user_id


def _move_related(actor: Actor, survivor: Customer, merged: list[int]) -> dict[str, list[int]]:
    """Point every row of another model at the survivor instead of the merged customers;
    returns the ids moved by model label. Rows of many-to-many relations are united."""
    moved: dict[str, list[int]] = {}
    now = timezone.now()
    for relation in _relations():
        model = relation.related_model
        assert isinstance(model, type)
        assert issubclass(model, models.Model)
        # The links of a many-to-many field of Customer's own are united below.
        if model in DERIVED or model._meta.auto_created:
            continue
        field = relation.field
        if isinstance(field, models.ManyToManyField):
            _unite_links(field, survivor, merged, customer_is_source=False)
            continue
        rows = model._base_manager.filter(**{f"{field.attname}__in": merged})
        ids = sorted(rows.values_list("pk", flat=True))
        if not ids:
            continue
        taken = model._base_manager.filter(**{field.attname: survivor.pk})
        if relation.one_to_one and taken.exists():
            raise ValidationFailed.one(
                "merged",
                _("Both customers have a %(record)s; only one can stay.")
                % {"record": model._meta.verbose_name},
            )
        update: dict[str, Any] = {field.attname: survivor.pk}
        if issubclass(model, WorkspaceOwned):
            update.update(version=F("version") + 1, updated_at=now, updated_by_id=actor.user_id)
        model._base_manager.filter(pk__in=ids).update(**update)
        moved[model._meta.label_lower] = ids
    for own in Customer._meta.many_to_many:
        assert isinstance(own, models.ManyToManyField)
        _unite_links(own, survivor, merged, customer_is_source=True)
    return moved


def _relations() -> list[models.ForeignObjectRel]:
    """Every relation of another model to customers, those without a reverse name too."""
    return [
        field
        for field in Customer._meta.get_fields(include_hidden=True)
        if isinstance(field, models.ForeignObjectRel)
    ]


def _unite_links(
    field: models.ManyToManyField[Any, Any],
    survivor: Customer,
    merged: list[int],
    *,
    customer_is_source: bool,
) -> None:
    """Link the survivor to everything a merged customer is linked to (many-to-many)."""
    through = field.remote_field.through
    assert through is not None
    names = (field.m2m_field_name(), field.m2m_reverse_field_name())
    mine, theirs = names if customer_is_source else names[::-1]
    own = through._meta.get_field(mine).attname  # type: ignore[union-attr]
    other = through._meta.get_field(theirs).attname  # type: ignore[union-attr]
    links = through._base_manager.values_list(other, flat=True)
    wanted = set(links.filter(**{f"{own}__in": merged}))
    have = set(links.filter(**{own: survivor.pk}))
    through._base_manager.bulk_create(
        [through(**{own: survivor.pk, other: pk}) for pk in sorted(wanted - have)]
    )
