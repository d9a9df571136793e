"""Money, numbers and durations formatted for the language being spoken."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_compact_currency, format_currency, format_decimal
from django import template
from django.utils import translation

register = template.Library()

BABEL_LOCALES = {"zh-hans": "zh_Hans_CN", "en": "en"}


def babel_locale() -> str:
    return BABEL_LOCALES.get(translation.get_language() or "", "zh_Hans_CN")


@register.filter
def money(amount: Decimal | int | None, currency: str = "CNY") -> str:
    """`161000, "CNY"` → ¥161,000.00 (zh) or CN¥161,000.00 (en); empty for no amount."""
    if amount is None or amount == "":
        return ""
    return str(format_currency(amount, currency, locale=babel_locale()))


@register.filter
def money_short(amount: Decimal | int | None, currency: str = "CNY") -> str:
    """Totals on crowded screens: ¥16万 (zh) or CN¥161K (en)."""
    if amount is None or amount == "":
        return ""
    return str(format_compact_currency(amount, currency, locale=babel_locale(), fraction_digits=1))


@register.filter
def number(value: int | Decimal | float | None) -> str:
    if value is None:
        return ""
    return str(format_decimal(value, locale=babel_locale()))
