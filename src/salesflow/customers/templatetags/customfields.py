"""Custom field values in templates, written for the language being spoken."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from salesflow.customers import customfields
from salesflow.customers.models import CustomField

register = template.Library()


@register.filter
def custom_text(record: Any, field: CustomField) -> str:
    """`{{ customer|custom_text:field }}`: the record's value of the field, or ""."""
    value = (record.custom or {}).get(field.key)
    return customfields.format_text(field, value, translation.get_language() or "zh-hans")


@register.simple_tag
def custom_values(record: Any, fields: list[CustomField]) -> list[customfields.Shown]:
    """`{% custom_values contact contact_fields as shown %}`: the fields the record fills."""
    return customfields.shown(fields, record.custom)
