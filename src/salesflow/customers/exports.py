"""Exports of customers, contacts and deals as CSV, XLSX or vCard, streamed a page at a time.

Rows are read through the same queries as the lists (so only what the actor may see, with
the list's filters), in keyset pages by id, and written as they come: the whole table is
never in memory. Headers are the columns' labels in the user's language and cells are what
the import reads back (customers/columns.py), so an exported file imports again unchanged.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import IO, Any

import openpyxl
from django.db.models import Model, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as PydanticError

from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.pagination import SelfPaging, page_of
from salesflow.core.scoping import Actor
from salesflow.customers import queries
from salesflow.customers.columns import Column, exported
from salesflow.customers.models import Contact, Customer, CustomerKind, ImportEntity
from salesflow.customers.vcards import Address, Card, Organisation, TypedValue, VCardVersion
from salesflow.customers.vcards import write_vcards as write_cards
from salesflow.pipeline import queries as deal_queries

PAGE = 1000
CSV, XLSX, VCARD = "csv", "xlsx", "vcard"
FORMATS = (CSV, XLSX, VCARD)
ENCODINGS = ("utf-8-sig", "gb18030")
VCARD_VERSIONS: tuple[VCardVersion, ...] = ("3.0", "4.0")
CONTENT_TYPES = {
    CSV: "text/csv",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    VCARD: "text/vcard",
}
EXTENSIONS = {CSV: "csv", XLSX: "xlsx", VCARD: "vcf"}

Filters = queries.CustomerFilter | queries.ContactFilter | deal_queries.DealFilter


def source(actor: Actor, entity: str, filters: Filters) -> QuerySet[Any] | SelfPaging:
    """The visible records of the entity that the filters let in, with what a row shows."""
    if entity == ImportEntity.CUSTOMERS:
        assert isinstance(filters, queries.CustomerFilter)
        rows = queries.customers(actor, filters)
        return rows.select_related("owner") if isinstance(rows, QuerySet) else rows
    if entity == ImportEntity.CONTACTS:
        assert isinstance(filters, queries.ContactFilter)
        return queries.contacts(actor, filters).select_related("customer")
    assert isinstance(filters, deal_queries.DealFilter)
    return deal_queries.deals(actor, filters).select_related(
        "customer", "pipeline", "stage", "owner"
    )


def records(actor: Actor, entity: str, filters: Filters) -> Iterator[Any]:
    """Every record, read in keyset pages of PAGE."""
    rows = source(actor, entity, filters)
    cursor: str | None = None
    while True:
        page, cursor = page_of(rows, "id", cursor, PAGE)
        yield from page
        if cursor is None:
            return


def _cell(column: Column, record: Model) -> Any:
    assert column.write is not None
    value = column.write(record)
    return "" if value is None else value


def _text(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def check(entity: str, file_format: str, encoding: str = ENCODINGS[0]) -> None:
    errors = []
    if entity not in ImportEntity.values:
        errors.append(("entity", _("Choose customers, contacts or deals.")))
    if file_format not in FORMATS:
        errors.append(("format", _("Choose CSV, XLSX or vCard.")))
    elif file_format == VCARD and entity == ImportEntity.DEALS:
        errors.append(("format", _("Deals cannot be exported as vCards.")))
    if encoding not in ENCODINGS:
        errors.append(("encoding", _("Choose UTF-8 or GB18030.")))
    if errors:
        field, message = errors[0]
        raise ValidationFailed.one(field, message)


def csv_chunks(
    actor: Actor, entity: str, filters: Filters, encoding: str = ENCODINGS[0]
) -> Iterator[bytes]:
    """The CSV a page of records at a time; UTF-8 starts with its BOM, which Excel needs to
    read Chinese text; GB18030 is what Excel in China writes itself."""
    columns = exported(actor.workspace_id, entity)
    encoder = codecs.getincrementalencoder(encoding)()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column.label) for column in columns])
    for count, record in enumerate(records(actor, entity, filters), start=1):
        writer.writerow([_text(_cell(column, record)) for column in columns])
        if count % PAGE == 0:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    yield encoder.encode(buffer.getvalue(), final=True)


def xlsx_file(actor: Actor, entity: str, filters: Filters) -> IO[bytes]:
    """The workbook, written row by row to a temporary file (openpyxl's write-only mode keeps
    no rows in memory); the caller streams the file and closes it."""
    columns = exported(actor.workspace_id, entity)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(ImportEntity(entity).label)[:31])
    sheet.append([str(column.label) for column in columns])
    for record in records(actor, entity, filters):
        sheet.append([_xlsx_value(_cell(column, record)) for column in columns])
    output = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response that streams it
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value  # openpyxl writes it as a number
    if isinstance(value, datetime.date | int | float):
        return value
    return str(value)


def card_of(record: Contact | Customer) -> Card:
    """A contact (at its customer) or a person customer as a vCard."""
    if isinstance(record, Contact):
        return Card(
            formatted_name=record.name,
            organisation=Organisation(record.customer.name),
            title=record.title,
            phones=[TypedValue(phone) for phone in record.phones],
            emails=[TypedValue(email) for email in record.emails],
            birthday=record.birthday,
            note=record.notes,
        )
    return Card(
        formatted_name=record.name,
        phones=[TypedValue(record.phone)] if record.phone else [],
        emails=[TypedValue(record.email)] if record.email else [],
        addresses=[Address(street=record.address)] if record.address else [],
        urls=[TypedValue(record.website)] if record.website else [],
        note=record.notes,
    )


def vcard_chunks(
    actor: Actor, entity: str, filters: Filters, version: VCardVersion = "3.0"
) -> Iterator[bytes]:
    """Contacts, or the customers that are people (a company is not a person's card)."""
    batch: list[Card] = []
    for record in records(actor, entity, filters):
        if isinstance(record, Customer) and record.kind != CustomerKind.PERSON:
            continue
        batch.append(card_of(record))
        if len(batch) == PAGE:
            yield write_cards(batch, version).encode()
            batch = []
    yield write_cards(batch, version).encode()


def file_name(entity: str, file_format: str) -> str:
    return f"{entity}-{datetime.date.today():%Y%m%d}.{EXTENSIONS[file_format]}"


def filters_from(entity: str, params: Mapping[str, Any]) -> Filters:
    """The list filters a query string names (the customer list's own, for customers)."""
    schemas: dict[str, type[Filters]] = {
        ImportEntity.CUSTOMERS: queries.CustomerFilter,
        ImportEntity.CONTACTS: queries.ContactFilter,
        ImportEntity.DEALS: deal_queries.DealFilter,
    }
    schema = schemas[entity]
    given = {k: v for k, v in params.items() if k in schema.model_fields and v not in ("", None)}
    try:
        return schema.model_validate(given)
    except PydanticError as invalid:
        raise ValidationFailed(
            [
                FieldError(".".join(map(str, e["loc"])), _("Enter a valid value."))
                for e in invalid.errors()
            ]
        ) from invalid


def response(
    actor: Actor,
    entity: str,
    file_format: str,
    filters: Filters,
    *,
    encoding: str = ENCODINGS[0],
    version: str = VCARD_VERSIONS[0],
) -> StreamingHttpResponse:
    """The export as a download, streamed as it is written."""
    check(entity, file_format, encoding)
    if file_format == VCARD and version not in VCARD_VERSIONS:
        raise ValidationFailed.one("version", _("Choose vCard 3.0 or 4.0."))
    name = file_name(entity, file_format)
    if file_format == XLSX:
        return FileResponse(
            xlsx_file(actor, entity, filters),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES[XLSX],
        )
    if file_format == VCARD:
        chunks = vcard_chunks(actor, entity, filters, "4.0" if version == "4.0" else "3.0")
        content_type = f"{CONTENT_TYPES[VCARD]}; charset=utf-8"
    else:
        chunks = csv_chunks(actor, entity, filters, encoding)
        charset = "utf-8" if encoding == "utf-8-sig" else encoding
        content_type = f"{CONTENT_TYPES[CSV]}; charset={charset}"
    streamed = StreamingHttpResponse(chunks, content_type=content_type)
    streamed["Content-Disposition"] = f'attachment; filename="{name}"'
    return streamed


PROBLEM_HEADERS = (
    gettext_lazy("Row"),
    gettext_lazy("Field"),
    gettext_lazy("Value"),
    gettext_lazy("Reason"),
)


def problems_response(
    problems: Iterable[Any], file_format: str, name: str
) -> StreamingHttpResponse:
    """An import's problems as CSV (UTF-8 with BOM) or XLSX: row, field, value, reason."""
    headers = [str(header) for header in PROBLEM_HEADERS]
    if file_format == XLSX:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(headers)
        for problem in problems:
            sheet.append([problem.row, problem.field, problem.value, problem.reason])
        output = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response
        workbook.save(output)
        output.seek(0)
        return FileResponse(
            output, as_attachment=True, filename=f"{name}.xlsx", content_type=CONTENT_TYPES[XLSX]
        )

    def chunks() -> Iterator[bytes]:
        encoder = codecs.getincrementalencoder("utf-8-sig")()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for count, problem in enumerate(problems, start=1):
            writer.writerow([problem.row, problem.field, problem.value, problem.reason])
            if count % PAGE == 0:
                yield encoder.encode(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        yield encoder.encode(buffer.getvalue(), final=True)

    streamed = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    streamed["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return streamed
