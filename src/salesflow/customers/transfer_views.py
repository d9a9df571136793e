"""Import and export pages: upload, map and run an import with its progress; download exports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.customers import exports, importfiles, imports
from salesflow.customers.columns import columns
from salesflow.customers.forms import show_service_errors
from salesflow.customers.importers import MATCH_KEYS, SKIP, UPDATE
from salesflow.customers.models import ImportEntity, ImportJob, ImportStatus
from salesflow.web.pages import PageRequest, page

# Problems shown on the page; the downloadable file holds them all.
SHOWN_PROBLEMS = 20


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("Import"), choices=ImportEntity.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GB18030), Excel .xlsx or vCard .vcf; at most %(size)d MB.")
        % {"size": importfiles.MAX_UPLOAD_BYTES // (1024 * 1024)},
    )


@page("GET", "POST")
def import_upload(request: PageRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.upload(
                request.actor, form.cleaned_data["entity"], form.cleaned_data["file"]
            )
        except ValidationFailed as failed:
            show_service_errors(form, failed)
        else:
            return HttpResponseRedirect(reverse("customers:import_job", args=[job.pk]))
    context = {"form": form, "jobs": imports.recent_jobs(request.actor)}
    status = 422 if form.errors else 200
    return render(request, "customers/import_upload.html", context, status=status)


def _can_start(job: ImportJob) -> bool:
    return job.status in (ImportStatus.UPLOADED, ImportStatus.FAILED) or (
        job.status == ImportStatus.FINISHED and job.dry_run
    )


@page("GET", "POST")
def import_job(request: PageRequest, job_id: int) -> HttpResponse:
    job = imports.job(request.actor, job_id)
    errors: list[FieldError] = []
    mapping = job.mapping or imports.suggested_mapping(request.actor, job)
    match_key = job.match_key or MATCH_KEYS[ImportEntity(job.entity)][-1]
    on_match = job.on_match
    if request.method == "POST":
        mapping = {
            header: request.POST.get(f"map-{index}", "") for index, header in enumerate(job.headers)
        }
        match_key = request.POST.get("match_key", "")
        on_match = request.POST.get("on_match", "")
        try:
            imports.start(
                request.actor,
                job.pk,
                mapping=mapping,
                match_key=match_key,
                on_match=on_match,
                dry_run="dry_run" in request.POST,
            )
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            return HttpResponseRedirect(reverse("customers:import_job", args=[job.pk]))
    preview = imports.preview(job)
    context = {
        "job": job,
        "errors": errors,
        "headers": [
            (index, header, mapping.get(header, ""), [row[index] for row in preview])
            for index, header in enumerate(job.headers)
        ],
        "columns": columns(request.actor.workspace_id, job.entity),
        "match_keys": [
            (key, imports.MATCH_LABELS[key]) for key in MATCH_KEYS[ImportEntity(job.entity)]
        ],
        "match_key": match_key,
        "on_match": on_match,
        "on_match_choices": [(UPDATE, _("Update it")), (SKIP, _("Skip the row"))],
        "can_start": _can_start(job),
        **_progress_context(request, job),
    }
    return render(request, "customers/import_job.html", context, status=422 if errors else 200)


def _progress_context(request: PageRequest, job: ImportJob) -> dict[str, Any]:
    running = job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    shown = [] if running else list(job.problems.order_by("row", "id")[:SHOWN_PROBLEMS])
    return {"job": job, "running": running, "problems": shown}


@page()
def import_progress(request: PageRequest, job_id: int) -> HttpResponse:
    job = imports.job(request.actor, job_id)
    response = render(request, "customers/_import_progress.html", _progress_context(request, job))
    if request.htmx and not _progress_context(request, job)["running"]:
        # The run ended: reload the page so its form offers the next step.
        response["HX-Refresh"] = "true"
    return response


@page()
def import_problems(request: PageRequest, job_id: int, file_format: str) -> HttpResponseBase:
    job = imports.job(request.actor, job_id)
    rows = imports.problems(request.actor, job.pk)
    return exports.problems_response(
        rows, file_format if file_format == "xlsx" else "csv", f"import-{job.pk}-problems"
    )


# The customer list names its owner filter `owner`; the export's filters call it owner_id.
LIST_PARAMETERS = {"owner": "owner_id"}


@page()
def export_file(request: PageRequest) -> HttpResponseBase:
    entity = request.GET.get("entity", ImportEntity.CUSTOMERS)
    file_format = request.GET.get("format", "")
    kept = {
        key: value
        for key, value in request.GET.items()
        if key not in ("entity", "format", "encoding", "version", "cursor", "sort") and value
    }
    context: dict[str, Any] = {
        "entity": entity,
        "kept": kept,
        "entities": ImportEntity.choices,
        "errors": [],
    }
    if file_format:
        params = {LIST_PARAMETERS.get(k, k): v for k, v in kept.items()}
        try:
            filters = exports.filters_from(entity, params)
            return exports.response(
                request.actor,
                entity,
                file_format,
                filters,
                encoding=request.GET.get("encoding", exports.ENCODINGS[0]),
                version=request.GET.get("version", exports.VCARD_VERSIONS[0]),
            )
        except ValidationFailed as failed:
            context["errors"] = failed.errors
            return render(request, "customers/export.html", context, status=422)
    return render(request, "customers/export.html", context)
