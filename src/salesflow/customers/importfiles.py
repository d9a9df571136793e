"""Reading an uploaded file as a table: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX, vCard.

A file is read twice at most, never held whole in memory (but for vCards, which are small):
once to check it can be decoded and to show its headers and first rows, and once row by row
while its import runs. Rows are numbered as a spreadsheet shows them: the header is row 1;
in a vCard file each card is a row, numbered from 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from salesflow.core.errors import ValidationFailed
from salesflow.customers.vcards import Card, display_name, read_vcards

# Largest file accepted, in bytes; a million customers in CSV take about 120 MB.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
PREVIEW_ROWS = 5
CHUNK = 1 << 20
CSV, XLSX, VCARD = "csv", "xlsx", "vcard"
ZIP_MAGIC = b"PK\x03\x04"
# The contact columns a vCard fills (see `card_row`).
VCARD_COLUMNS = ("customer", "name", "title", "phones", "emails", "birthday", "notes")


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    # (row, reason) of parts of the file that could not be read as rows at all
    problems: list[tuple[int, str]] = field(default_factory=list)


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed.one("file", message)


def detect_format(name: str, head: bytes) -> str:
    """By content first (an XLSX is a zip file, a vCard begins so), then by the name."""
    if head.startswith(ZIP_MAGIC):
        return XLSX
    start = head.lstrip(codecs.BOM_UTF8).lstrip()
    if start[:11].upper() == b"BEGIN:VCARD" or name.lower().endswith((".vcf", ".vcard")):
        return VCARD
    if name.lower().endswith((".xlsx", ".xlsm")):
        return XLSX
    return CSV


def detect_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without its BOM), else GB18030, checked over the whole file.

    A file neither reads is refused, naming the line where even the more lenient reading
    failed, so the user can find the damaged text.
    """
    stream.seek(0)
    has_bom = stream.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    candidates = ("utf-8-sig",) if has_bom else ("utf-8", "gb18030")
    failed_line = 1
    for encoding in candidates:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        line = 1
        try:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as broken:
                    line += chunk[: max(broken.start, 0)].count(b"\n")
                    raise
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            failed_line = max(failed_line, line)
            continue
        return encoding
    raise file_error(
        _(
            "Line %(line)d of the file cannot be read as UTF-8 or GB18030 text. "
            "Save the file as “CSV UTF-8” and upload it again."
        )
        % {"line": failed_line}
    )


def open_table(stream: IO[bytes], file_format: str, encoding: str) -> Table:
    stream.seek(0)
    if file_format == XLSX:
        return _xlsx_table(stream)
    if file_format == VCARD:
        return _vcard_table(stream.read())
    return _csv_table(stream, encoding)


class _Borrowed(io.RawIOBase):
    """A caller's open file lent to a text reader, which closes only this when it is done."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _csv_table(stream: IO[bytes], encoding: str) -> Table:
    text = io.TextIOWrapper(io.BufferedReader(_Borrowed(stream)), encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    headers = next(reader, None)
    if headers is None:
        raise file_error(_("The file is empty."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(reader, start=2):
            if any(cell.strip() for cell in row):
                yield number, row

    return Table([h.strip() for h in headers], rows())


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV of it would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(stream: IO[bytes]) -> Table:
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as unreadable:
        raise file_error(_("The file cannot be read as an Excel workbook (.xlsx).")) from unreadable
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    first = next(cells, None)
    if first is None:
        raise file_error(_("The file is empty."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(cells, start=2):
            values = [cell_text(value) for value in row]
            if any(value.strip() for value in values):
                yield number, values
        workbook.close()

    return Table([cell_text(value).strip() for value in first], rows())


def card_row(card: Card) -> list[str]:
    """A card as a contact row in VCARD_COLUMNS order; without an organisation the person
    is their own customer."""
    name = card.formatted_name or display_name(card.name, card.organisation)
    customer = card.organisation.name if card.organisation and card.organisation.name else ""
    birthday = card.birthday.isoformat() if isinstance(card.birthday, datetime.date) else ""
    return [
        customer,
        name,
        card.title,
        "\n".join(phone.value for phone in card.phones),
        "\n".join(email.value for email in card.emails),
        birthday,
        card.note,
    ]


def _vcard_table(data: bytes) -> Table:
    result = read_vcards(data)
    skipped = [
        (problem.card_number, problem.reason)
        for problem in result.problems
        if problem.card_skipped and problem.card_number is not None
    ]
    if not result.cards and not skipped:
        raise file_error(_("The file holds no vCard."))
    rows = ((card.number, card_row(card)) for card in result.cards)
    return Table(list(VCARD_COLUMNS), rows, skipped)
