"""The tables of the analytics pages, shown formatted for the reader and exported as raw numbers.

A `Table` is built once per request: the page shows each cell's text (money, percentages and
days as the reader's language writes them) and the CSV or XLSX download gets each cell's value
(numbers as numbers), so what is downloaded always matches what is on the screen.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from babel.numbers import format_decimal, format_percent
from django.http import HttpResponse
from django.utils import formats
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from salesflow.web.templatetags import salesflow as formatting
from salesflow.web.templatetags.salesflow import babel_locale

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Value = int | Decimal | str | datetime.date | None
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ONE_DECIMAL = Decimal("0.1")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Cell:
    """What the page shows (`text`) and what an export writes (`value`) for one figure."""

    value: Value
    text: str
    numeric: bool = True


@dataclass(frozen=True)
class Column:
    label: StrOrPromise
    unit: str = ""

    @property
    def export_label(self) -> str:
        """Exports carry no formatting, so a unit (%, CNY) moves into the header."""
        return f"{self.label} ({self.unit})" if self.unit else str(self.label)


@dataclass
class Table:
    name: str
    title: StrOrPromise
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    note: StrOrPromise = ""
    # Rows that share their first cell (a week of the plan) are shown as one group.
    grouped: bool = False

    def export(self, file_format: str, filename: str) -> HttpResponse:
        headers = [column.export_label for column in self.columns]
        rows = [[cell.value for cell in row] for row in self.rows]
        return export(file_format, headers, rows, filename, sheet_title=str(self.title))


def _one_decimal(value: Fraction | Decimal) -> Decimal:
    exact = Fraction(value)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(ONE_DECIMAL)


def text(value: object) -> Cell:
    return Cell(str(value), str(value), numeric=False)


def count(value: int | None) -> Cell:
    if value is None:
        return Cell(None, "–")
    return Cell(value, formatting.number(value))


def money(value: Decimal | None, currency: str) -> Cell:
    if value is None:
        return Cell(None, "–")
    amount = Decimal(value).quantize(CENTS)
    return Cell(amount, formatting.money(amount, currency))


def percent(ratio: Fraction | None) -> Cell:
    """A share shown with one decimal (37.5%); exported as the same percentage number."""
    if ratio is None:
        return Cell(None, "–")
    value = _one_decimal(ratio * 100)
    return Cell(value, str(format_percent(value / 100, "#,##0.0%", locale=babel_locale())))


def days(value: Fraction | None) -> Cell:
    if value is None:
        return Cell(None, "–")
    rounded = _one_decimal(value)
    return Cell(rounded, str(format_decimal(rounded, "#,##0.0", locale=babel_locale())))


def _signed(value: int | Decimal, decimals: int = 0) -> str:
    """A change with its sign: +3, −1.5; no change is a plain 0."""
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    pattern = f"+{number};−{number}" if value else number
    return str(format_decimal(value, pattern, locale=babel_locale()))


def signed_count(change: int | None) -> Cell:
    if change is None:
        return Cell(None, "–")
    return Cell(change, _signed(change))


def signed_money(change: Decimal | None, currency: str) -> Cell:
    if change is None:
        return Cell(None, "–")
    amount = Decimal(change).quantize(CENTS)
    shown = formatting.money(abs(amount), currency)
    return Cell(amount, ("+" if amount > 0 else "−" if amount < 0 else "") + shown)


def points(change: Fraction | None) -> Cell:
    """A change of a share in percentage points: 40% → 50% is +10.0 points."""
    if change is None:
        return Cell(None, "–")
    value = _one_decimal(change * 100)
    return Cell(value, str(_("%(value)s pp") % {"value": _signed(value, 1)}))


def signed_days(change: Fraction | None) -> Cell:
    if change is None:
        return Cell(None, "–")
    value = _one_decimal(change)
    return Cell(value, _signed(value, 1))


def date(day: datetime.date) -> Cell:
    return Cell(day, formats.date_format(day, "SHORT_DATE_FORMAT"), numeric=False)


def export(
    file_format: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Value]],
    filename: str,
    *,
    sheet_title: str = "",
) -> HttpResponse:
    """A download of one table: CSV (UTF-8 with a BOM, which Excel needs) or XLSX."""
    if file_format == "xlsx":
        content = _xlsx(headers, rows, sheet_title or filename)
        response = HttpResponse(content, content_type=XLSX_TYPE)
    else:
        response = HttpResponse(_csv(headers, rows), content_type="text/csv; charset=utf-8")
    disposition = content_disposition_header(True, f"{filename}.{file_format}")
    response.headers["Content-Disposition"] = disposition or "attachment"
    return response


def _csv(headers: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else _plain(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(value: Value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _xlsx(headers: Sequence[str], rows: Iterable[Sequence[Value]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = re.sub(r"[\[\]:*?/\\]", "-", title)[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for row in rows:
        sheet.append(list(row))
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(_plain(value)) if value is not None else 0)
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            cell.number_format = _number_format(value)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 50)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _number_format(value: Value) -> str:
    """As many decimals as the value was given with: 12.5 days, 1,200.00 yuan, 4 deals."""
    if isinstance(value, Decimal):
        places = -int(value.as_tuple().exponent)
        return "#,##0." + "0" * places if places > 0 else "#,##0"
    if isinstance(value, datetime.date):
        return "yyyy-mm-dd"
    if isinstance(value, int):
        return "#,##0"
    return "General"
