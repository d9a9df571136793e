"""REST endpoints for imports (upload, run, follow, problems) and exports."""

from __future__ import annotations

from typing import Literal

from django.http.response import HttpResponseBase
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesflow.core.api import READ_ERRORS, WRITE_ERRORS, ApiRequest, InputSchema, RecordOut
from salesflow.customers import exports, imports, queries
from salesflow.customers.models import ImportEntity, ImportJob, ImportStatus
from salesflow.pipeline import queries as deal_queries

imports_router = Router(tags=["imports"])
exports_router = Router(tags=["exports"])


class ImportOut(RecordOut):
    entity: ImportEntity
    file_name: str
    file_format: str
    encoding: str
    headers: list[str]
    mapping: dict[str, str]
    match_key: str
    on_match: str
    dry_run: bool
    status: ImportStatus
    total: int
    processed: int
    created: int
    updated: int
    skipped: int
    failed: int
    message: str


class UploadOut(ImportOut):
    suggested_mapping: dict[str, str] = Field(
        description="Header → column key: the mapping remembered for these headers, or a guess."
    )
    preview: list[list[str]] = Field(description="The first rows, one cell per header.")


class RunIn(InputSchema):
    mapping: dict[str, str] = Field(
        description="Header → column key; headers left out (or mapped to '') are not imported."
    )
    match_key: Literal["id", "email", "phone", "name"] = Field(
        description="Which records a row matches: `name` is the name with its customer "
        "(for contacts and deals); deals match by `id` or `name` only."
    )
    on_match: Literal["update", "skip"] = "skip"
    dry_run: bool = Field(False, description="Check every row and count, writing nothing.")


@imports_router.post("", response={201: UploadOut, **WRITE_ERRORS})
def upload(
    request: ApiRequest, entity: Form[ImportEntity], file: File[UploadedFile]
) -> Status[UploadOut]:
    """Upload a CSV, XLSX or vCard file (up to 200 MB): it is checked and kept, not imported."""
    job = imports.upload(request.auth, entity, file)
    return Status(201, _with_preview(request, job))


def _with_preview(request: ApiRequest, job: ImportJob) -> UploadOut:
    return UploadOut.model_validate(
        {
            **ImportOut.model_validate(job, from_attributes=True).model_dump(),
            "suggested_mapping": imports.suggested_mapping(request.auth, job),
            "preview": imports.preview(job),
        }
    )


@imports_router.get("/{job_id}", response={200: UploadOut, **READ_ERRORS})
def read_import(request: ApiRequest, job_id: int) -> UploadOut:
    """The import with its progress (`processed` of `total`) and counts; poll while it runs."""
    return _with_preview(request, imports.job(request.auth, job_id))


@imports_router.post("/{job_id}/run", response={202: ImportOut, **WRITE_ERRORS})
def run_import(request: ApiRequest, job_id: int, payload: RunIn) -> Status[ImportJob]:
    """Queue a dry run or the real run; a background worker runs it."""
    job = imports.start(
        request.auth,
        job_id,
        mapping=payload.mapping,
        match_key=payload.match_key,
        on_match=payload.on_match,
        dry_run=payload.dry_run,
    )
    return Status(202, job)


@imports_router.get("/{job_id}/problems", response={200: None, **READ_ERRORS})
def import_problems(
    request: ApiRequest, job_id: int, format: Literal["csv", "xlsx"] = "csv"
) -> HttpResponseBase:
    """The rows of the last run that were not written: row, field (the file's header),
    value and reason, in the caller's language."""
    job = imports.job(request.auth, job_id)
    rows = imports.problems(request.auth, job.pk)
    return exports.problems_response(rows, format, f"import-{job.pk}-problems")


class ExportOptions(Schema):
    format: Literal["csv", "xlsx", "vcard"] = "csv"
    encoding: Literal["utf-8-sig", "gb18030"] = Field(
        "utf-8-sig", description="CSV only: UTF-8 with BOM, or GB18030."
    )
    version: Literal["3.0", "4.0"] = Field("3.0", description="vCard only.")


@exports_router.get("/customers", response={200: None, **READ_ERRORS})
def export_customers(
    request: ApiRequest, options: Query[ExportOptions], filters: Query[queries.CustomerFilter]
) -> HttpResponseBase:
    """Every visible customer the filters let in (vCard: the customers that are people)."""
    return _export(request, ImportEntity.CUSTOMERS, options, filters)


@exports_router.get("/contacts", response={200: None, **READ_ERRORS})
def export_contacts(
    request: ApiRequest, options: Query[ExportOptions], filters: Query[queries.ContactFilter]
) -> HttpResponseBase:
    return _export(request, ImportEntity.CONTACTS, options, filters)


@exports_router.get("/deals", response={200: None, **READ_ERRORS})
def export_deals(
    request: ApiRequest, options: Query[ExportOptions], filters: Query[deal_queries.DealFilter]
) -> HttpResponseBase:
    """CSV or XLSX only."""
    return _export(request, ImportEntity.DEALS, options, filters)


def _export(
    request: ApiRequest, entity: str, options: ExportOptions, filters: exports.Filters
) -> HttpResponseBase:
    return exports.response(
        request.auth,
        entity,
        options.format,
        filters,
        encoding=options.encoding,
        version=options.version,
    )
