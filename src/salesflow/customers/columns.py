"""The columns of import and export files: one list per entity, parsed and written alike.

`columns(workspace_id, entity)` is the one place that says which fields a file may hold, so
the import's mapping, its validation and the export's headers cannot disagree. A column
parses the text of a cell into the value a service takes (or refuses it with the reason) and
writes a record's value back as text the same parser reads, in the user's language: an
exported file imports again unchanged.

Beside the model's own fields, a file holds the workspace's custom fields (read and written
as `customfields` reads and shows them) and the protected fields, which are written masked
and never read back from a mask (see `unmasked`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import ValidationFailed
from salesflow.customers import customfields, protected
from salesflow.customers.forms import split_entries
from salesflow.customers.models import (
    CompanySize,
    Contact,
    Customer,
    CustomerKind,
    CustomField,
    DecisionRole,
    ImportEntity,
    Lifecycle,
)
from salesflow.pipeline.models import Deal, ForecastCategory

Parse = Callable[[str], Any]
Write = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    """One field a file may hold. `key` names it in mappings and error files; `parse` turns a
    cell's text into a value or raises ValidationError (None: an export-only column, a value
    the rules compute, which imports leave alone); `write` reads it off a record (None: an
    import-only column); `aliases` are header names that suggest it, in any language."""

    key: str
    label: str | Promise
    parse: Parse | None
    write: Write | None = None
    aliases: tuple[str, ...] = ()


def fold(text: str) -> str:
    """A header as compared: compatibility forms folded, case folded, without spaces,
    underscores, hyphens, stars or colons (`*客户名称：` is `客户名称`)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-*:：()（）]+", "", folded)


def headers_key(headers: Sequence[str]) -> str:
    """What a remembered mapping is found by: the set of a file's headers, in any order."""
    names = sorted({fold(header) for header in headers if header.strip()})
    return hashlib.sha256(json.dumps(names, ensure_ascii=False).encode()).hexdigest()


# --------------------------------------------------------------------------- parsing


def text(raw: str) -> str:
    return raw.strip()


def identifier(raw: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if value.endswith(".0"):  # a number that passed through a spreadsheet
        value = value[:-2]
    if not value.isdigit():
        raise ValidationError(_("Enter a whole number."))
    return int(value)


def choice(choices: type[models.TextChoices]) -> Parse:
    """A choice by its code or by its label in any of Salesflow's languages."""
    known: dict[str, str] = {}
    for code in choices.values:
        known[fold(code)] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices.choices:
                known.setdefault(fold(str(label)), code)

    def parse(raw: str) -> str:
        value = raw.strip()
        if not value:
            return ""
        try:
            return known[fold(value)]
        except KeyError:
            names = ", ".join(str(label) for label in choices.labels)
            raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": names}) from None

    return parse


def entries(raw: str) -> list[str]:
    return split_entries(raw)


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def date(raw: str) -> datetime.date | None:
    """2025-03-31, 2025/3/31, 2025.3.31 or 2025年3月31日; a spreadsheet's date cell comes as
    its ISO text, possibly with a time of midnight."""
    value = raw.strip()
    if not value:
        return None
    match = _DATE.fullmatch(value.removesuffix(" 00:00:00").removesuffix("T00:00:00"))
    try:
        if match is None:
            raise ValueError(value)
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(_("Enter a valid date, e.g. 2025-03-31.")) from None


def decimal(raw: str) -> Decimal | None:
    """A number as people type it: thousands separators and a currency sign are allowed."""
    value = re.sub(r"[\s,，¥￥$€]", "", raw.strip())
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    return number


def percent(raw: str) -> int | None:
    value = raw.strip().removesuffix("%").strip()
    if not value:
        return None
    return identifier(value)


# --------------------------------------------------------------------------- writing


def _attribute(name: str) -> Write:
    return lambda obj: getattr(obj, name)


def _label(name: str) -> Write:
    """A choice written as its label in the user's language (which the parser reads back)."""
    return lambda obj: getattr(obj, f"get_{name}_display")() if getattr(obj, name) else ""


def _joined(name: str) -> Write:
    return lambda obj: "\n".join(getattr(obj, name) or [])


def _username(obj: Any) -> str:
    return str(obj.owner.username) if obj.owner_id else str(POOL)


def _verbose(model: type[models.Model], name: str) -> Promise:
    field = model._meta.get_field(name)
    return field.verbose_name  # type: ignore[union-attr,return-value]


# --------------------------------------------------------------------------- custom and protected

# What an owner cell says of a customer nobody owns; `pool_marker` reads it in any language.
POOL = _("Public pool")
POOL_ALIASES = ("公海", "公海客户", "pool", "public pool")
# The custom field entity of each kind of file.
CUSTOM_ENTITIES = {
    ImportEntity.CUSTOMERS: "customer",
    ImportEntity.CONTACTS: "contact",
    ImportEntity.DEALS: "deal",
}
CUSTOM_PREFIX = "custom."


def pool_marker(name: str) -> bool:
    """Whether an owner cell puts the customer in the public pool (公海, pool, Public pool)."""
    folded = fold(name)
    if folded in {fold(alias) for alias in POOL_ALIASES}:
        return True
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            if folded == fold(str(POOL)):
                return True
    return False


def custom_key(column_key: str) -> str | None:
    """The custom field key a column holds, or None for the model's own columns."""
    return column_key.removeprefix(CUSTOM_PREFIX) if column_key.startswith(CUSTOM_PREFIX) else None


def _custom_column(field: CustomField, locale: str) -> Column:
    """A custom field read as `parse_text` reads a spreadsheet's cell and written as the
    pages show it, in the language the export was asked in."""

    def parse(raw: str) -> Any:
        try:
            return customfields.parse_text(field, raw)
        except ValidationFailed as refused:
            raise ValidationError([str(error.message) for error in refused.errors]) from None

    def write(obj: Any) -> str:
        return customfields.format_text(field, (obj.custom or {}).get(field.key), locale)

    return Column(f"{CUSTOM_PREFIX}{field.key}", field.label, parse, write, (field.key,))


def unmasked(shown: protected.Protected) -> Parse:
    """A protected field's cell: None (nothing to write) when it holds a mask, as an export
    writes it, so re-importing an exported file never replaces a value with its mask. A mask
    is what masking leaves as it is (1101**********1234, **** 5678, ••••••), which no real
    ID number, account number or note is."""

    def parse(raw: str) -> str | None:
        value = raw.strip()
        return None if value and shown.mask(value) == value else value

    return parse


PROTECTED_ALIASES = {
    "id_number": ("证件号码", "身份证号", "身份证号码", "证件号", "id number", "id no"),
    "bank_account": ("银行账号", "银行卡号", "开户账号", "account number"),
    "private_notes": ("私密备注", "private notes"),
}


def _masked(name: str) -> Write:
    return lambda obj: protected.masked(obj, name)


def _protected_columns(entity: str) -> list[Column]:
    model = Customer if entity == ImportEntity.CUSTOMERS else Contact
    return [
        Column(name, shown.label, unmasked(shown), _masked(name), PROTECTED_ALIASES[name])
        for name, shown in protected.protected_of(model).items()
    ]


# --------------------------------------------------------------------------- the lists

NAME_ALIASES = ("客户名称", "公司名称", "企业名称", "单位名称", "客户", "公司", "名称")
PHONE_ALIASES = ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "座机")
PHONE_ALIASES_EN = ("phone", "mobile", "tel", "telephone", "phone number", "mobile phone")
EMAIL_ALIASES = ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail")


def _customer_columns() -> list[Column]:
    def model(name: str) -> Promise:
        return _verbose(Customer, name)

    return [
        Column("id", _("Customer ID"), identifier, _attribute("pk"), ("客户编号", "客户id", "id")),
        Column(
            "name",
            model("name"),
            text,
            _attribute("name"),
            (*NAME_ALIASES, "name", "company", "customer", "customer name", "company name"),
        ),
        Column(
            "kind", model("kind"), choice(CustomerKind), _label("kind"), ("类型", "kind", "type")
        ),
        Column("industry", model("industry"), text, _attribute("industry"), ("行业", "industry")),
        Column(
            "size", model("size"), choice(CompanySize), _label("size"), ("规模", "公司规模", "size")
        ),
        Column(
            "region",
            model("region"),
            text,
            _attribute("region"),
            ("地区", "区域", "省份", "城市", "region"),
        ),
        Column(
            "source_channel",
            model("source_channel"),
            text,
            _attribute("source_channel"),
            ("来源", "客户来源", "来源渠道", "source", "channel"),
        ),
        Column(
            "owner",
            model("owner"),
            text,
            _username,
            ("负责人", "所有者", "销售", "owner", "sales rep", "username"),
        ),
        # The tier and its inputs are the tier rules' to set: exported, never imported.
        Column("tier", model("tier"), None, _label("tier")),
        Column("revenue", model("revenue"), None, _attribute("revenue")),
        Column("potential", model("potential"), None, _attribute("potential")),
        Column("fit", model("fit"), None, _attribute("fit")),
        Column(
            "lifecycle",
            model("lifecycle"),
            choice(Lifecycle),
            _label("lifecycle"),
            ("生命周期", "阶段", "状态", "lifecycle", "status"),
        ),
        Column(
            "phone", model("phone"), text, _attribute("phone"), (*PHONE_ALIASES, *PHONE_ALIASES_EN)
        ),
        Column("email", model("email"), text, _attribute("email"), EMAIL_ALIASES),
        Column(
            "website",
            model("website"),
            text,
            _attribute("website"),
            ("网站", "网址", "官网", "website", "web", "url"),
        ),
        Column(
            "address",
            model("address"),
            text,
            _attribute("address"),
            ("地址", "公司地址", "详细地址", "address"),
        ),
        Column(
            "notes",
            model("notes"),
            text,
            _attribute("notes"),
            ("备注", "说明", "notes", "note", "remarks"),
        ),
        Column(
            "contact_name",
            _("Contact name"),
            text,
            None,
            ("联系人", "联系人姓名", "姓名", "contact", "contact name"),
        ),
        Column(
            "contact_title", _("Contact title"), text, None, ("职位", "职务", "title", "job title")
        ),
        Column(
            "contact_phones",
            _("Contact phones"),
            entries,
            None,
            ("联系人电话", "联系人手机", "contact phone"),
        ),
        Column(
            "contact_emails", _("Contact emails"), entries, None, ("联系人邮箱", "contact email")
        ),
    ]


def _contact_columns() -> list[Column]:
    def model(name: str) -> Promise:
        return _verbose(Contact, name)

    return [
        Column(
            "id", _("Contact ID"), identifier, _attribute("pk"), ("联系人编号", "联系人id", "id")
        ),
        Column(
            "customer_id",
            _("Customer ID"),
            identifier,
            _attribute("customer_id"),
            ("客户编号", "客户id"),
        ),
        Column(
            "customer",
            model("customer"),
            text,
            lambda contact: contact.customer.name,
            (*NAME_ALIASES, "customer", "company", "organisation", "organization", "customer name"),
        ),
        Column(
            "name",
            model("name"),
            text,
            _attribute("name"),
            ("姓名", "联系人", "联系人姓名", "name", "contact", "full name"),
        ),
        Column(
            "title",
            model("title"),
            text,
            _attribute("title"),
            ("职位", "职务", "头衔", "title", "job title"),
        ),
        Column(
            "phones",
            model("phones"),
            entries,
            _joined("phones"),
            (*PHONE_ALIASES, *PHONE_ALIASES_EN, "phones"),
        ),
        Column("emails", model("emails"), entries, _joined("emails"), (*EMAIL_ALIASES, "emails")),
        Column(
            "birthday",
            model("birthday"),
            date,
            _attribute("birthday"),
            ("生日", "出生日期", "birthday", "date of birth"),
        ),
        Column(
            "decision_role",
            model("decision_role"),
            choice(DecisionRole),
            _label("decision_role"),
            ("角色", "决策角色", "decision role", "role"),
        ),
        Column(
            "notes", model("notes"), text, _attribute("notes"), ("备注", "说明", "notes", "note")
        ),
    ]


def _deal_columns() -> list[Column]:
    def model(name: str) -> Promise:
        return _verbose(Deal, name)

    return [
        Column("id", _("Deal ID"), identifier, _attribute("pk"), ("商机编号", "商机id", "id")),
        Column(
            "name",
            model("name"),
            text,
            _attribute("name"),
            ("商机名称", "商机", "项目名称", "name", "deal", "deal name"),
        ),
        Column(
            "customer_id",
            _("Customer ID"),
            identifier,
            _attribute("customer_id"),
            ("客户编号", "客户id"),
        ),
        Column(
            "customer",
            model("customer"),
            text,
            lambda deal: deal.customer.name,
            (*NAME_ALIASES, "customer", "company", "customer name"),
        ),
        Column(
            "pipeline",
            model("pipeline"),
            text,
            lambda deal: deal.pipeline.name,
            ("销售流程", "流程", "pipeline"),
        ),
        Column(
            "stage",
            model("stage"),
            text,
            lambda deal: deal.stage.name,
            ("销售阶段", "阶段", "stage"),
        ),
        Column("owner", model("owner"), text, _username, ("负责人", "所有者", "销售", "owner")),
        Column(
            "amount",
            model("amount"),
            decimal,
            _attribute("amount"),
            ("金额", "预计金额", "商机金额", "amount", "value"),
        ),
        Column(
            "currency",
            model("currency"),
            text,
            _attribute("currency"),
            ("币种", "货币", "currency"),
        ),
        Column(
            "expected_close_date",
            model("expected_close_date"),
            date,
            _attribute("expected_close_date"),
            ("预计成交日期", "预计签单日期", "成交日期", "close date", "expected close"),
        ),
        Column(
            "probability",
            model("probability"),
            percent,
            _attribute("probability"),
            ("赢率", "成交概率", "probability"),
        ),
        Column(
            "next_step",
            model("next_step"),
            text,
            _attribute("next_step"),
            ("下一步", "下一步计划", "next step"),
        ),
        Column(
            "forecast_category",
            model("forecast_category"),
            choice(ForecastCategory),
            _label("forecast_category"),
            ("预测类别", "forecast category"),
        ),
    ]


_LISTS: dict[str, Callable[[], list[Column]]] = {
    ImportEntity.CUSTOMERS: _customer_columns,
    ImportEntity.CONTACTS: _contact_columns,
    ImportEntity.DEALS: _deal_columns,
}


def columns(workspace_id: int, entity: str, *, export: bool = False) -> list[Column]:
    """Every column a file of this entity may hold in this workspace, in export order: the
    model's fields, the protected ones, then the custom fields. An export also has the
    export-only columns and the archived custom fields; imports may not change those."""
    found = [column for column in _LISTS[entity]() if export or column.parse is not None]
    if entity != ImportEntity.DEALS:
        found += _protected_columns(entity)
    locale = translation.get_language() or settings.LANGUAGE_CODE
    fields = customfields.definitions(
        workspace_id, CUSTOM_ENTITIES[ImportEntity(entity)], active_only=not export
    )
    return found + [_custom_column(field, locale) for field in fields]


def exported(workspace_id: int, entity: str) -> list[Column]:
    return [
        column for column in columns(workspace_id, entity, export=True) if column.write is not None
    ]


def suggest(headers: Iterable[str], available: Sequence[Column]) -> dict[str, str]:
    """A column for each header that names one: by its label in any language or an alias.

    Each column is offered once, to the first header naming it; a header naming none is left
    out (not imported).
    """
    names: dict[str, str] = {}
    for column in available:
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.setdefault(fold(str(column.label)), column.key)
    for column in available:
        for alias in (column.key, *column.aliases):
            names.setdefault(fold(alias), column.key)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = names.get(fold(header))
        if key is not None and key not in taken and header not in mapping:
            mapping[header] = key
            taken.add(key)
    return mapping
