"""Money is Decimal with an ISO 4217 currency code."""

from decimal import Decimal

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CURRENCIES = frozenset(list_currencies())
MAX_DIGITS = 18
DECIMAL_PLACES = 2
ZERO = Decimal("0.00")


def validate_currency(code: str) -> None:
    if code not in CURRENCIES:
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code."), params={"code": code}
        )


def validate_not_negative(value: Decimal) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("Must not be negative."))
