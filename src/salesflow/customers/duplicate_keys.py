"""What makes two customers look like one: their phones, e-mail addresses and names, normalised.

Pure functions, no database: the services, the rebuild command, the demo generator and the
import code all derive keys here, so they cannot disagree. Two customers sharing a key are
possible duplicates. Keys of different kinds never look alike: a phone key starts with "+", an
e-mail key holds "@", and a name key has neither (punctuation and symbols are dropped).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import phonenumbers
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesflow.customers.models import CustomerKind
from salesflow.customers.terms import (
    HAN_SUFFIXES,
    LATIN_SUFFIXES,
    PHONE_REGION,
    parsed_phone,
    plain_mobile,
)

# Longest key stored: an e-mail address may be 254 characters.
KEY_LENGTH = 254

# A branch (分公司) is another company than its head office: its 公司 stays.
BRANCH = "分公司"


class KeyKind(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    NAME = "name", _("name")
    # A contact's name: compared only with the other contacts of the same customer.
    CONTACT_NAME = "contact", _("contact name")


# The kinds that make two customers duplicates of each other.
CUSTOMER_KINDS = (KeyKind.PHONE, KeyKind.EMAIL, KeyKind.NAME)

Key = tuple[str, str]  # (kind, key)


@lru_cache(maxsize=65536)
def phone_key(phone: str, region: str = PHONE_REGION) -> str:
    """A phone number in E.164: +86 138 0013 8000, 13800138000 and 0086-138-0013-8000 are
    +8613800138000. Empty when the text is not a number one could dial from anywhere
    (a local-only service number such as 95588 is shared by strangers)."""
    if plain_mobile(phone, region):
        return "+86" + phone  # what phonenumbers makes of it (tests/services/test_duplicates.py)
    number = parsed_phone(phone, region)
    if number is None:
        return ""
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(email: str) -> str:
    """An e-mail address trimmed and in lower case."""
    return email.strip().lower()[:KEY_LENGTH]


def _words(text: str) -> list[str]:
    """Full-width forms folded, accents and case dropped, punctuation and symbols as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", bare).casefold()
    return "".join(" " if unicodedata.category(c)[0] in "PSZ" else c for c in folded).split()


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A name without what does not tell it apart: 华信钢铁有限公司, 华信钢铁（集团） and
    `Huaxin Steel Co., Ltd.` are 华信钢铁 and huaxinsteel. A name that is only a suffix stays."""
    words = _words(name)
    while len(words) > 1 and words[-1] in LATIN_SUFFIXES:
        words.pop()
    while words:
        last = words[-1]
        suffix = next((s for s in HAN_SUFFIXES if last.endswith(s)), None)
        if suffix is None or (suffix == "公司" and last.endswith(BRANCH)):
            break
        if last != suffix:
            words[-1] = last[: -len(suffix)]
        elif len(words) > 1:
            words.pop()
        else:
            break
        while len(words) > 1 and words[-1] in LATIN_SUFFIXES:
            words.pop()
    return "".join(words)[:KEY_LENGTH]


def _add(keys: set[Key], kind: str, key: str) -> None:
    if key:
        keys.add((kind, key))


def customer_keys(
    *, kind: str, name: str, phones: Iterable[str] = (), emails: Iterable[str] = ()
) -> set[Key]:
    """The keys of a customer's own name, phones and e-mail addresses. A company's name is a
    key; a person's is not, since many people share a name (张伟, 王芳)."""
    keys: set[Key] = set()
    if kind == CustomerKind.COMPANY:
        _add(keys, KeyKind.NAME, name_key(name))
    for phone in phones:
        _add(keys, KeyKind.PHONE, phone_key(phone))
    for email in emails:
        _add(keys, KeyKind.EMAIL, email_key(email))
    return keys


def contact_keys(*, name: str, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> set[Key]:
    """The keys of a contact: its name (compared within its customer), phones and e-mails."""
    keys: set[Key] = set()
    _add(keys, KeyKind.CONTACT_NAME, name_key(name))
    for phone in phones:
        _add(keys, KeyKind.PHONE, phone_key(phone))
    for email in emails:
        _add(keys, KeyKind.EMAIL, email_key(email))
    return keys


@dataclass(frozen=True)
class Candidate:
    """A customer that may be about to be written (an import row, a form): its name and kind,
    and the phones and e-mail addresses of it and of its contacts."""

    name: str = ""
    kind: str = CustomerKind.COMPANY
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @cached_property
    def keys(self) -> set[Key]:
        """Read once: an import asks for them to look the candidate up and again to compare it
        with the file's earlier rows."""
        return customer_keys(kind=self.kind, name=self.name, phones=self.phones, emails=self.emails)
