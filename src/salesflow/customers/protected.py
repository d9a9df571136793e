"""Protected fields of customers and contacts: written encrypted, read masked, revealed on demand.

Pages, the API and exports show only the mask. Revealing one value asks for the member's
password again, and every attempt, refused or not, is written to the audit trail; after
REVEAL_TRIES refused attempts, revealing pauses for the member.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesflow.core import writes
from salesflow.core.encryption import decrypt, encrypt
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor, get_visible
from salesflow.customers.models import Contact, Customer

# Refused attempts a member may make to reveal within REVEAL_PAUSE: the next is refused without
# reading its password (and recorded), so a password cannot be guessed here, however fast.
REVEAL_TRIES = 5
REVEAL_PAUSE = datetime.timedelta(minutes=15)


def mask_id_number(clear: str) -> str:
    """1101**********1234: the region and the last four, as on a printed receipt."""
    if len(clear) <= 8:
        return "*" * len(clear)
    return clear[:4] + "*" * (len(clear) - 8) + clear[-4:]


def mask_bank_account(clear: str) -> str:
    """**** 5678: the last four digits, which a customer uses to tell its accounts apart."""
    digits = re.sub(r"\s", "", clear)
    return "**** " + digits[-4:] if len(digits) > 4 else "****"


def mask_notes(clear: str) -> str:
    return "••••••"


@dataclass(frozen=True)
class Protected:
    name: str
    label: str | Promise
    max_length: int
    mask: Callable[[str], str]


ID_NUMBER = Protected("id_number", _("ID number"), 40, mask_id_number)
BANK_ACCOUNT = Protected("bank_account", _("Bank account"), 40, mask_bank_account)
PRIVATE_NOTES = Protected("private_notes", _("Private notes"), 10000, mask_notes)

CUSTOMER_PROTECTED = {p.name: p for p in (ID_NUMBER, BANK_ACCOUNT, PRIVATE_NOTES)}
CONTACT_PROTECTED = {ID_NUMBER.name: ID_NUMBER}


def protected_of(model: type[models.Model]) -> Mapping[str, Protected]:
    return CUSTOMER_PROTECTED if model is Customer else CONTACT_PROTECTED


def masked(obj: Customer | Contact, name: str) -> str:
    """The field as everyone who may see the record sees it ("" when it is empty)."""
    token = getattr(obj, name)
    return protected_of(type(obj))[name].mask(decrypt(token)) if token else ""


def split(
    model: type[models.Model], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The input's ordinary fields, and its protected ones in clear (checked, stripped)."""
    fields = protected_of(model)
    plain = {k: v for k, v in data.items() if k not in fields}
    clear: dict[str, str] = {}
    errors = []
    for name, given in data.items():
        if name not in fields:
            continue
        if not isinstance(given, str):
            errors.append(FieldError(name, _("Enter a text.")))
            continue
        value = given.strip()
        if len(value) > fields[name].max_length:
            errors.append(
                FieldError(
                    name,
                    _("Ensure this value has at most %(limit)s characters.")
                    % {"limit": fields[name].max_length},
                )
            )
        clear[name] = value
    if errors:
        raise ValidationFailed(errors)
    return plain, clear


def seal(obj: Customer | Contact, clear: Mapping[str, str]) -> dict[str, list[Any]]:
    """Encrypt the protected values that really change onto `obj`; their changes, for the audit.

    Compared in clear: encrypting the same text twice gives different tokens.
    """
    changes: dict[str, list[Any]] = {}
    for name, value in clear.items():
        old = getattr(obj, name)
        if decrypt(old) != value:
            new = encrypt(value)
            setattr(obj, name, new)
            changes[name] = [old, new]
    return changes


REVEAL_KINDS: dict[str, type[Customer] | type[Contact]] = {
    "customer": Customer,
    "contact": Contact,
}


def _refused_lately(actor: Actor) -> int:
    """The member's refused attempts to reveal in this workspace within the last REVEAL_PAUSE."""
    return AuditRecord.objects.filter(
        actor_id=actor.user_id,
        action="reveal_refused",
        at__gte=timezone.now() - REVEAL_PAUSE,
        workspace_id=actor.workspace_id,
    ).count()


def reveal(actor: Actor, kind: str, pk: int, field: str, password: str | None) -> str:
    """The clear value of one protected field, for a member who has just typed their password.

    Not one transaction: a refused attempt must stay in the audit trail after the refusal.
    """
    model = REVEAL_KINDS.get(kind)
    if model is None:
        raise ValidationFailed.one("kind", _("Choose one of: customer, contact."))
    obj = get_visible(model, actor, pk)
    assert isinstance(obj, Customer | Contact)
    if field not in protected_of(model):
        raise ValidationFailed.one(
            "field",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(protected_of(model))},
        )
    paused = _refused_lately(actor) >= REVEAL_TRIES
    if paused or not password or not actor.user.check_password(password):
        with transaction.atomic():
            writes.audit(actor, obj, "reveal_refused", {"field": field})
        message: str | Promise
        if paused:
            message = _(
                "Too many refused attempts: revealing is paused for %(minutes)d minutes after "
                "the last one. The attempt was recorded."
            ) % {"minutes": REVEAL_PAUSE.seconds // 60}
        elif not password:
            message = _("Enter your password to see this value.")
        else:
            message = _("This is not your password. The attempt was recorded.")
        raise ValidationFailed.one("password", message)
    with transaction.atomic():
        writes.audit(actor, obj, "reveal", {"field": field})
    return decrypt(getattr(obj, field))
