"""Protected fields: values encrypted at rest with the keys in `settings.FIELD_KEYS`.

A protected column holds a Fernet token, never the clear text, and model instances carry the
token too: code that forgets to mask shows ciphertext, not a secret. Tokens are made with the
newest key and read with any configured key (MultiFernet), so a new key can be put first while
Salesflow runs and `salesflow rotate_field_key` re-encrypts the old values afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from salesflow.core.progress import Progress

ROTATE_BATCH = 500


class ProtectedField(models.TextField):
    """A text column holding an encrypted value; the audit trail records only that it changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_KEYS))


def encrypt(clear: str) -> str:
    """The token of a clear value ("" stays "": an empty field has nothing to hide)."""
    return _keys().encrypt(clear.encode()).decode() if clear else ""


def decrypt(token: str) -> str:
    """The clear value of a token made with any configured key."""
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as unreadable:
        raise UnreadableValue() from unreadable


class UnreadableValue(Exception):
    """No configured key opens this value: a key was removed before rotation finished."""


def protected_columns() -> Iterator[tuple[type[models.Model], list[str]]]:
    """Every model with protected fields, and the attribute names of those fields."""
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, ProtectedField)]
        if names:
            yield model, names


@dataclass
class Rotated:
    rows: int = 0
    values: int = 0
    skipped: int = 0


def rotate(progress: Progress | None = None) -> Rotated:
    """Re-encrypt every protected value with the newest key, a batch of rows at a time.

    Each value is written only if it is still the token that was read, so an edit made
    meanwhile (already encrypted with the newest key) is kept, and counted as skipped.
    """
    result = Rotated()
    tables = list(protected_columns())
    total = sum(model._default_manager.count() for model, _names in tables)
    done = 0
    for model, names in tables:
        rows = model._default_manager.order_by("pk").values_list("pk", *names)
        last = None
        while batch := list((rows.filter(pk__gt=last) if last else rows)[:ROTATE_BATCH]):
            with transaction.atomic():
                for pk, *tokens in batch:
                    result.rows += 1
                    for name, token in zip(names, tokens, strict=True):
                        if not token:
                            continue
                        try:
                            fresh = _keys().rotate(token.encode()).decode()
                        except InvalidToken as unreadable:
                            raise UnreadableValue(
                                f"{model._meta.label} {pk} {name}"
                            ) from unreadable
                        still = model._default_manager.filter(pk=pk, **{name: token})
                        if still.update(**{name: fresh}):
                            result.values += 1
                        else:
                            result.skipped += 1
            last = batch[-1][0]
            done += len(batch)
            if progress:
                progress(done, total)
    return result
