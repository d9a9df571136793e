"""Custom fields: what a custom value is, everywhere it is written, read, filtered or shown.

A record's values live in its `custom` JSON as {key: value}, in canonical JSON types:

| type            | value                                           | example              |
|-----------------|-------------------------------------------------|----------------------|
| text, long_text | string                                          | "ERP-2291"           |
| number, money   | string of a decimal, exact (money: 2 places)    | "1500000.00"         |
| date            | ISO date string                                 | "2026-11-26"         |
| single_choice   | option key                                      | "east"               |
| multiple_choice | list of option keys, in the options' order      | ["erp", "crm"]       |
| yes_no          | boolean                                         | true                 |

A field without a value has no key. The services call `clean_values` on every write, so
pages, the API, imports and the demo obey the same rules; `parse_text` reads what a
spreadsheet user types, `format_text` writes what a reader sees, and `filter_rows` turns
`cf.<key>=…`, `cf.<key>__gte=…` and `cf.<key>__lte=…` into JSON key lookups that compare
numbers as numbers on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django import forms
from django.db.models import CharField, DecimalField, Model, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import lazy_pinyin

from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.models import Workspace
from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
from salesflow.core.scoping import Actor, visible
from salesflow.customers.models import Contact, Customer, CustomField, CustomFieldType
from salesflow.pipeline.models import Deal

M = TypeVar("M", bound=Model)
T = CustomFieldType

ENTITY_MODELS: dict[str, type[Model]] = {"customer": Customer, "contact": Contact, "deal": Deal}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Longest text kept when a field sets no maximum of its own.
TEXT_LENGTH: dict[str, int] = {T.TEXT: 255, T.LONG_TEXT: 10000}
RANGE_TYPES = frozenset({T.NUMBER, T.MONEY, T.DATE})
CHOICE_TYPES = frozenset({T.SINGLE_CHOICE, T.MULTIPLE_CHOICE})
# Largest number a number or money field holds (what a money column holds too).
LARGEST = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)
MAX_DECIMAL_PLACES = 6
FILTER_PREFIX = "cf."
FORM_PREFIX = "cf_"
BABEL_LOCALES = {"zh-hans": "zh_Hans_CN", "en": "en"}

YES_WORDS = frozenset({"是", "对", "有", "√", "✓", "yes", "y", "true", "t", "1", "x"})
NO_WORDS = frozenset({"否", "不是", "错", "无", "没有", "×", "✗", "no", "n", "false", "f", "0"})
LIST_SEPARATORS = re.compile(r"[,，;；、\n]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%b %d, %Y", "%d %b %Y")
# A currency written before or after an amount: ¥ ￥ $ € £, CN¥ US$, CNY RMB USD, 元.
CURRENCY_MARKS = re.compile(r"^(?:[A-Z]{2,3})?[¥￥$€£]|^(?:CNY|RMB|USD|EUR)|(?:元|CNY|RMB)$")
CHINESE_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


@dataclass(frozen=True)
class CustomFieldError(FieldError):
    """A refused value: `message` names the field by its label, `reason` alone is for a form
    that shows it beside the field."""

    reason: str | Promise = ""


def definitions(
    workspace: Workspace | int, entity: str, *, active_only: bool = False
) -> list[CustomField]:
    """The workspace's custom fields of one entity ("customer", "contact" or "deal"), in the
    order the admin set; archived ones too unless `active_only` (forms leave them out, exports
    keep them so no value is lost). Each field's `workspace` is loaded, for the currency."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    rows = CustomField.objects.filter(workspace_id=workspace_id, entity=entity)
    if active_only:
        rows = rows.filter(archived=False)
    return list(rows.select_related("workspace").order_by("position", "id"))


def visible_definitions(actor: Actor, entity: str | None = None) -> QuerySet[CustomField]:
    """The definitions an actor reads (every member reads their workspace's)."""
    rows = visible(CustomField, actor)
    if entity:
        rows = rows.filter(entity=entity)
    return rows.order_by("position", "id")


def list_columns(actor: Actor, entity: str) -> list[CustomField]:
    """The active fields the admin chose to show as columns of the entity's list."""
    return [f for f in definitions(actor.workspace_id, entity, active_only=True) if f.shown_in_list]


def suggest_key(label: str) -> str:
    """A key for a label: its pinyin or letters, as a slug (客户预算 → ke_hu_yu_suan)."""
    words = "_".join(lazy_pinyin(label.strip()))
    key = slugify(words).replace("-", "_").strip("_")
    key = re.sub(r"_+", "_", key)
    if not key or not key[0].isalpha():
        key = f"field_{key}".rstrip("_")
    return key[:40].rstrip("_")


def labelled(field: CustomField, reason: str | Promise) -> CustomFieldError:
    return CustomFieldError(
        f"custom.{field.key}",
        _("%(label)s: %(reason)s") % {"label": field.label, "reason": reason},
        reason,
    )


class Invalid(ValueError):
    """A value that is not of its field's type; the message is the reason."""


# Canonical values


def canonical(field: CustomField, raw: object) -> Any:
    """The canonical JSON value of a typed value (from JSON or a form), or None for no value.
    Raises `Invalid` with the reason when the value is not of the field's type."""
    if raw is None:
        return None
    kind = field.type
    if kind in TEXT_LENGTH:
        if not isinstance(raw, str):
            raise Invalid(_("must be text"))
        return raw.strip() or None
    if kind in (T.NUMBER, T.MONEY):
        return _decimal_text(field, _as_decimal(raw))
    if kind == T.DATE:
        return _as_date(raw).isoformat() if raw != "" else None
    if kind == T.SINGLE_CHOICE:
        if not isinstance(raw, str):
            raise Invalid(_("must be the key of an option"))
        if raw == "":
            return None
        _known_options(field, [raw])
        return raw
    if kind == T.MULTIPLE_CHOICE:
        if not isinstance(raw, list | tuple) or not all(isinstance(k, str) for k in raw):
            raise Invalid(_("must be a list of option keys"))
        _known_options(field, raw)
        chosen = set(raw)
        return [o["key"] for o in field.options if o["key"] in chosen] or None
    if kind == T.YES_NO:
        if not isinstance(raw, bool):
            raise Invalid(_("must be true or false"))
        return raw
    raise Invalid(_("has an unknown type"))


def _as_decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool):
        raise Invalid(_("must be a number"))
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            value = Decimal(raw.strip())
        except InvalidOperation as bad:
            raise Invalid(_("must be a number")) from bad
    else:
        raise Invalid(_("must be a number"))
    if not value.is_finite():
        raise Invalid(_("must be a number"))
    return value


def places(field: CustomField) -> int:
    return DECIMAL_PLACES if field.type == T.MONEY else field.decimal_places


def _decimal_text(field: CustomField, value: Decimal | None) -> str | None:
    if value is None:
        return None
    step = Decimal(1).scaleb(-places(field))
    if value != value.quantize(step, rounding="ROUND_DOWN"):
        if places(field) == 0:
            raise Invalid(_("must be a whole number"))
        raise Invalid(_("must have at most %(places)s decimal places") % {"places": places(field)})
    if abs(value) >= LARGEST:
        raise Invalid(_("is too large"))
    return str(value.quantize(step))


def _as_date(raw: object) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise Invalid(_("must be a date such as 2026-11-26"))


def _known_options(field: CustomField, keys: Iterable[str]) -> None:
    known = {o["key"] for o in field.options}
    if any(k not in known for k in keys):
        names = ", ".join(o["key"] for o in field.options if not o.get("retired"))
        raise Invalid(_("must be one of the options: %(options)s") % {"options": names})


# Validation of a write


def clean_values(
    fields: Sequence[CustomField], submitted: object, current: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The record's new `custom`: `current` with each submitted key set (None or an empty value
    removes it). `current` is None when the record is being created: every active required
    field must then have a value. Raises ValidationFailed naming every refused field by its
    label, and refuses unknown keys; a value left as it was is not checked again, so tighter
    rules or a retired option never block saving the rest of a record."""
    if submitted is None:
        submitted = {}
    if not isinstance(submitted, Mapping):
        raise ValidationFailed.one(
            "custom", _("Must be an object mapping custom field keys to values.")
        )
    by_key = {f.key: f for f in fields}
    before = dict(current or {})
    result = dict(before)
    errors: list[FieldError] = []
    for key, raw in submitted.items():
        field = by_key.get(key)
        if field is None:
            errors.append(FieldError(f"custom.{key}", _("Unknown custom field.")))
            continue
        try:
            value = canonical(field, raw)
        except Invalid as invalid:
            errors.append(labelled(field, str(invalid)))
            continue
        if value == before.get(key):
            continue
        reason = _refusal(field, value, before.get(key))
        if reason:
            errors.append(labelled(field, reason))
        elif value is None:
            result.pop(key, None)
        else:
            result[key] = value
    if current is None:
        errors.extend(
            labelled(f, _("this field is required"))
            for f in fields
            if f.required and not f.archived and f.key not in result and f.key not in submitted
        )
    if errors:
        raise ValidationFailed(errors)
    return result


def _refusal(field: CustomField, value: Any, previous: Any) -> str | None:
    """Why a changed value may not be stored, or None."""
    if field.archived:
        return _("this field is archived; its value can no longer be changed")
    if value is None:
        return _("this field is required") if field.required else None
    kind = field.type
    if kind in TEXT_LENGTH:
        limit = field.max_length or TEXT_LENGTH[kind]
        if len(value) > limit:
            return _("must be at most %(limit)s characters") % {"limit": limit}
        if field.pattern and not re.fullmatch(field.pattern, value):
            return field.pattern_message or _("is not in the expected format")
    elif kind in (T.NUMBER, T.MONEY):
        return _bounds(Decimal(value), field.min_value, field.max_value, _number_text)
    elif kind == T.DATE:
        return _bounds(datetime.date.fromisoformat(value), field.min_date, field.max_date, _day)
    elif kind in CHOICE_TYPES:
        kept = set(previous if isinstance(previous, list) else [previous])
        chosen = value if isinstance(value, list) else [value]
        retired = [o for o in field.options if o.get("retired") and o["key"] in chosen]
        refused = [o["label"] for o in retired if o["key"] not in kept]
        if refused:
            return _("the option “%(option)s” is retired") % {"option": "、".join(refused)}
    return None


def _bounds(value: Any, low: Any, high: Any, text: Any) -> str | None:
    if low is not None and value < low:
        return _("must be at least %(limit)s") % {"limit": text(low)}
    if high is not None and value > high:
        return _("must be at most %(limit)s") % {"limit": text(high)}
    return None


def _babel(locale: str | None = None) -> str:
    code = locale or translation.get_language() or "zh-hans"
    return BABEL_LOCALES.get(code.lower(), code)


def _number_text(value: Decimal, locale: str | None = None) -> str:
    """1000000 → 1,000,000 and 2.50 → 2.5: thousands marked, no trailing zeros."""
    return str(format_decimal(value.normalize(), format="#,##0.######", locale=_babel(locale)))


def _day(value: datetime.date, locale: str | None = None) -> str:
    return str(format_date(value, format="medium", locale=_babel(locale)))


# Reading what people type


def parse_text(field: CustomField, raw: object) -> Any:
    """The canonical value of what a spreadsheet user typed (or a cell read by openpyxl), or
    None for an empty cell. Accepts, by type:

    - yes/no: 是 否 对 错 有 无 yes no y n true false 1 0 ✓ × (any case);
    - date: 2026-11-26, 2026/11/26, 2026.11.26, 2026年11月26日, Nov 26, 2026, or a date cell;
    - number and money: thousands separators (1,234,567.5 and 1，234), a currency before or
      after (¥ ￥ CN¥ $ CNY RMB 元), 万 and 亿 (1.5万 = 15000), spaces;
    - single and multiple choice: an option's key or label (any case), several separated by
      , ， ; ； 、 or new lines;
    - text: as typed, without surrounding spaces.

    Only the type is read here: bounds, patterns and retired options are the services' to
    check (`clean_values`). Raises ValidationFailed naming the field by its label and the
    reason when the text cannot be read as the field's type.
    """
    try:
        return canonical(field, _typed(field, raw))
    except Invalid as invalid:
        raise ValidationFailed([labelled(field, str(invalid))]) from invalid


def _typed(field: CustomField, raw: object) -> object:
    """The text read as the type's Python value, for `canonical` to check and store."""
    if raw is None:
        return None
    kind = field.type
    if not isinstance(raw, str):
        if kind in TEXT_LENGTH or kind in CHOICE_TYPES:
            return _typed(field, str(raw))
        if kind == T.YES_NO and not isinstance(raw, bool) and raw in (0, 1):
            return bool(raw)
        return raw
    text = raw.strip()
    if not text:
        return None
    if kind in TEXT_LENGTH:
        return text
    if kind == T.YES_NO:
        word = text.lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        raise Invalid(_("must be yes or no (是 or 否)"))
    if kind in (T.NUMBER, T.MONEY):
        return _read_number(text)
    if kind == T.DATE:
        return _read_date(text)
    labels = {o["label"].strip().casefold(): o["key"] for o in field.options}
    keys = {o["key"].casefold(): o["key"] for o in field.options}
    parts = [p.strip() for p in LIST_SEPARATORS.split(text) if p.strip()]
    if kind == T.SINGLE_CHOICE:
        parts = [text]
    chosen = [keys.get(p.casefold()) or labels.get(p.casefold()) or p for p in parts]
    return chosen[0] if kind == T.SINGLE_CHOICE else chosen


def _read_number(text: str) -> Decimal:
    plain = CURRENCY_MARKS.sub("", text.replace(" ", "").replace("\u00a0", "")).strip()
    plain = plain.replace(",", "").replace("，", "").replace("\u2009", "")
    unit = Decimal(1)
    if plain and plain[-1] in CHINESE_UNITS:
        unit = CHINESE_UNITS[plain[-1]]
        plain = plain[:-1]
    try:
        value = Decimal(plain) * unit
    except InvalidOperation as bad:
        raise Invalid(_("must be a number")) from bad
    if not value.is_finite():
        raise Invalid(_("must be a number"))
    return value


def _read_date(text: str) -> datetime.date:
    head = text.split(" ", maxsplit=1)[0] if re.match(r"^\d{4}[-/.]", text) else text
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(head, pattern).date()
        except ValueError:
            continue
    raise Invalid(_("must be a date such as 2026-11-26"))


# Showing values


def format_text(field: CustomField, value: Any, locale: str) -> str:
    """A stored value as a reader sees it (pages, exports), in `locale`: a language code such
    as "zh-hans" or "en" (`request.LANGUAGE_CODE`), or a Babel locale. Money carries the
    workspace's currency (¥1,500,000.00), numbers their separators, dates the locale's medium
    form (2026年11月26日, Nov 26, 2026), choices their labels (retired ones too), yes/no the
    words 是/否 or Yes/No; "" for no value. `parse_text` reads every one of these back."""
    if value is None or value in ("", []):
        return ""
    kind = field.type
    try:
        if kind in (T.NUMBER, T.MONEY):
            amount = Decimal(str(value))
            if kind == T.MONEY:
                currency = field.workspace.base_currency
                return str(format_currency(amount, currency, locale=_babel(locale)))
            pattern = "#,##0" + ("." + "0" * field.decimal_places if field.decimal_places else "")
            return str(format_decimal(amount, format=pattern, locale=_babel(locale)))
        if kind == T.DATE:
            return _day(datetime.date.fromisoformat(str(value)), locale)
    except (InvalidOperation, ValueError):
        return str(value)
    if kind in CHOICE_TYPES:
        labels = {o["key"]: o["label"] for o in field.options}
        keys = value if isinstance(value, list) else [value]
        separator = "、" if _babel(locale).startswith("zh") else ", "
        return separator.join(str(labels.get(k, k)) for k in keys)
    if kind == T.YES_NO:
        with translation.override(_language(locale)):
            return _("Yes") if value else _("No")
    return str(value)


def _language(locale: str) -> str:
    return "zh-hans" if locale.lower().replace("_", "-").startswith("zh") else "en"


@dataclass(frozen=True)
class Shown:
    field: CustomField
    text: str


def shown(fields: Iterable[CustomField], values: Mapping[str, Any] | None) -> list[Shown]:
    """The fields that have a value, with the value as the current language writes it."""
    locale = translation.get_language() or "zh-hans"
    values = values or {}
    return [Shown(f, format_text(f, values[f.key], locale)) for f in fields if f.key in values]


# Forms


def form_name(field: CustomField) -> str:
    return f"{FORM_PREFIX}{field.key}"


def form_field(field: CustomField, value: Any = None) -> forms.Field:
    """A form field of the right widget for a definition, its initial value the stored one.

    It parses the type only; the services check the rest, so the rules live in one place.
    """
    kind = field.type
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required,
        "help_text": field.help_text,
    }
    built: forms.Field
    if kind == T.TEXT:
        built = forms.CharField(**common)
    elif kind == T.LONG_TEXT:
        built = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    elif kind in (T.NUMBER, T.MONEY):
        step = "0." + "0" * (places(field) - 1) + "1" if places(field) else "1"
        built = forms.DecimalField(widget=forms.NumberInput(attrs={"step": step}), **common)
        if kind == T.MONEY and not field.help_text:
            built.help_text = _("In %(currency)s.") % {"currency": field.workspace.base_currency}
    elif kind == T.DATE:
        built = forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    elif kind == T.SINGLE_CHOICE:
        built = forms.ChoiceField(choices=[("", "—"), *_choices(field, [value])], **common)
    elif kind == T.MULTIPLE_CHOICE:
        built = forms.MultipleChoiceField(
            choices=_choices(field, value or []), widget=forms.CheckboxSelectMultiple, **common
        )
    else:
        built = forms.TypedChoiceField(
            choices=[("", "—"), ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))],
            coerce=lambda text: text == "true",
            empty_value=None,
            **common,
        )
    built.initial = _initial(field, value)
    return built


def _choices(field: CustomField, kept: Iterable[Any]) -> list[tuple[str, str]]:
    """Active options, and a retired one only where this record still holds it."""
    holding = set(kept)
    return [
        (o["key"], o["label"]) for o in field.options if not o.get("retired") or o["key"] in holding
    ]


def _initial(field: CustomField, value: Any) -> Any:
    if value is None:
        return None
    if field.type in (T.NUMBER, T.MONEY):
        return Decimal(value)
    if field.type == T.DATE:
        return datetime.date.fromisoformat(value)
    if field.type == T.YES_NO:
        return "true" if value else "false"
    return value


def add_form_fields(
    form: forms.BaseForm, fields: Iterable[CustomField], values: Mapping[str, Any] | None
) -> None:
    """Add the active fields to a form, after its own, holding the record's values."""
    values = values or {}
    for field in fields:
        if not field.archived:
            form.fields[form_name(field)] = form_field(field, values.get(field.key))


def form_values(
    form: forms.BaseForm, fields: Iterable[CustomField], *, changed_only: bool = False
) -> dict[str, Any]:
    """{key: value} of the custom fields of a valid form, for a service's `custom`."""
    data: dict[str, Any] = {}
    for field in fields:
        name = form_name(field)
        if name in form.fields and (not changed_only or name in form.changed_data):
            data[field.key] = form.cleaned_data.get(name)
    return data


def bound_fields(form: forms.BaseForm) -> list[forms.BoundField]:
    """The custom fields of a form, to render after its own."""
    return [form[name] for name in form.fields if name.startswith(FORM_PREFIX)]


def form_error_target(error: FieldError) -> tuple[str, str | Promise] | None:
    """The form field a service's error about a custom value belongs to, and what to say
    beside it (the reason alone: the field's label is already there)."""
    if not error.field.startswith("custom."):
        return None
    key = error.field.removeprefix("custom.")
    reason = error.reason if isinstance(error, CustomFieldError) else error.message
    return f"{FORM_PREFIX}{key}", reason


# Filters


def filter_form_fields(fields: Iterable[CustomField]) -> dict[str, forms.Field]:
    """Inputs narrowing a list page by these fields: from/to for numbers, money and dates,
    one choice for options and yes/no, a text box for text. Named as the API's parameters."""
    built: dict[str, forms.Field] = {}
    anything = [("", gettext_lazy("Any"))]
    for field in fields:
        name, kind = f"{FILTER_PREFIX}{field.key}", field.type
        if kind in (T.NUMBER, T.MONEY, T.DATE):
            for operator, text in (("gte", gettext_lazy("from")), ("lte", gettext_lazy("to"))):
                label = f"{field.label} {text}"
                built[f"{name}__{operator}"] = (
                    forms.DateField(
                        label=label,
                        required=False,
                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    )
                    if kind == T.DATE
                    else forms.DecimalField(label=label, required=False)
                )
        elif kind in CHOICE_TYPES:
            options = [(o["key"], o["label"]) for o in field.options]
            built[name] = forms.ChoiceField(
                label=field.label, required=False, choices=anything + options
            )
        elif kind == T.YES_NO:
            answers = [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]
            built[name] = forms.ChoiceField(
                label=field.label, required=False, choices=anything + answers
            )
        elif kind == T.TEXT:
            built[name] = forms.CharField(label=field.label, required=False, max_length=255)
    return built


def filter_params(cleaned: Mapping[str, Any]) -> dict[str, str]:
    """The chosen custom filters of a valid filter form, as `cf.` parameters."""
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else str(value)
        for name, value in cleaned.items()
        if name.startswith(FILTER_PREFIX) and value not in (None, "")
    }


@dataclass(frozen=True)
class Condition:
    field: CustomField
    operator: str  # "", "gte" or "lte"
    value: Any


def conditions(fields: Sequence[CustomField], params: Mapping[str, str]) -> list[Condition]:
    """The `cf.<key>`, `cf.<key>__gte` and `cf.<key>__lte` parameters of a request, read with
    `parse_text` (so 1,000 and ¥1000 and 是 work). Ranges are for number, money and date
    fields; equality for the others. Raises ValidationFailed naming the parameter."""
    by_key = {f.key: f for f in fields}
    found: list[Condition] = []
    errors: list[FieldError] = []
    for name, raw in params.items():
        if not name.startswith(FILTER_PREFIX) or raw == "":
            continue
        key, _sep, operator = name.removeprefix(FILTER_PREFIX).partition("__")
        field = by_key.get(key)
        if field is None:
            errors.append(FieldError(name, _("Unknown custom field.")))
            continue
        if operator not in ("", "gte", "lte") or (operator and field.type not in RANGE_TYPES):
            errors.append(
                FieldError(
                    name,
                    _("%(label)s: use cf.%(key)s=, or __gte and __lte for numbers, money and dates")
                    % {"label": field.label, "key": key},
                )
            )
            continue
        if field.type == T.LONG_TEXT:
            errors.append(
                FieldError(
                    name, _("%(label)s: long text cannot be filtered on") % {"label": field.label}
                )
            )
            continue
        try:
            value = parse_text(field, raw)
        except ValidationFailed as failed:
            errors.extend(FieldError(name, e.message) for e in failed.errors)
            continue
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
            if value is None:
                errors.append(FieldError(name, _("Give one option.")))
                continue
        found.append(Condition(field, operator, value))
    if errors:
        raise ValidationFailed(errors)
    return found


def filter_rows(rows: QuerySet[M], found: Iterable[Condition]) -> QuerySet[M]:
    """Narrow `rows` by the conditions, as JSON key lookups on `custom`."""
    for condition in found:
        field, key = condition.field, condition.field.key
        lookup = f"__{condition.operator}" if condition.operator else ""
        if field.type in (T.NUMBER, T.MONEY):
            # Cast, so that 9 < 10 on both databases (as text, "9" > "10").
            alias = f"cf_{key}_number"
            number = Cast(KT(f"custom__{key}"), DecimalField(max_digits=30, decimal_places=6))
            rows = rows.alias(**{alias: number}).filter(
                **{f"{alias}{lookup or '__exact'}": Decimal(condition.value)}
            )
        elif field.type == T.DATE:
            # ISO dates sort as text in date order.
            alias = f"cf_{key}_date"
            day = Cast(KT(f"custom__{key}"), CharField(max_length=10))
            rows = rows.alias(**{alias: day}).filter(
                **{f"{alias}{lookup or '__exact'}": condition.value}
            )
        elif field.type == T.MULTIPLE_CHOICE:
            # An option key is a slug, so its quoted form appears in the list only as itself.
            alias = f"cf_{key}_text"
            rows = rows.alias(**{alias: KT(f"custom__{key}")}).filter(
                **{f"{alias}__contains": f'"{condition.value}"'}
            )
        elif field.type == T.TEXT:
            rows = rows.filter(**{f"custom__{key}__iexact": condition.value})
        else:
            rows = rows.filter(**{f"custom__{key}": condition.value})
    return rows


def values_for(
    actor: Actor, entity: str, submitted: object, current: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`clean_values` against the actor's workspace's fields of the entity."""
    return clean_values(definitions(actor.workspace_id, entity), submitted, current)


def filtered(
    actor: Actor, entity: str, rows: QuerySet[M], params: Mapping[str, str]
) -> QuerySet[M]:
    """`rows` narrowed by the request's custom field filters (see `conditions`)."""
    if not any(name.startswith(FILTER_PREFIX) for name in params):
        return rows
    return filter_rows(rows, conditions(definitions(actor.workspace_id, entity), params))


def describe_filters() -> str:
    """How a list endpoint filters by custom fields, for its OpenAPI description."""
    return (
        "Custom fields filter too (keys from GET /custom-fields): `cf.<key>=<value>` keeps "
        "records whose value equals it (text ignoring case; an option by key or label, a "
        "multiple choice holding it; yes/no as true/false, yes/no or 是/否); "
        "`cf.<key>__gte=` and `cf.<key>__lte=` bound number, money and date fields, compared "
        "as numbers and dates. Values are read as an import reads them, so `1,000`, `¥1000` "
        "and `2026/11/26` work. Example: `?cf.budget__gte=1000&cf.vip=true`."
    )


def describe_types() -> str:
    """The value types, for API descriptions."""
    return (
        "Custom field values by key (see GET /custom-fields): text and long_text a string; "
        'number and money a decimal string such as "1500000.00" (money in the workspace\'s '
        'currency); date "YYYY-MM-DD"; single_choice an option key; multiple_choice a list '
        "of option keys; yes_no true or false. null removes a value; keys left out stay."
    )
