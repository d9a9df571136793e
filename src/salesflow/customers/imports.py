"""Imports: upload a file, map its columns, then run it (dry or for real) as a background job.

`upload` and `start` are services (the actor, a transaction, a permission check, an audit
record); `run_import` is the background task the worker runs, and `execute` its body, which
reads the file in batches and hands each to the entity's importer (customers/importers.py).
Each batch is written in its own transaction: a database error rolls back that batch alone
and reports each of its rows; a dry run rolls back every batch, so it finds every error the
real run would without writing anything.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, TypeVar

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from salesflow.core import writes
from salesflow.core.bulk import (
    collected_between_batches,
    refresh_statistics,
    switching_often,
    writing_batches,
)
from salesflow.core.errors import FieldError, ValidationFailed
from salesflow.core.scoping import Actor, get_visible, visible
from salesflow.customers import importfiles
from salesflow.customers.columns import Column, columns, headers_key, suggest
from salesflow.customers.importers import (
    ID,
    IMPORTERS,
    MATCH_KEYS,
    SKIP,
    UPDATE,
    Importer,
    Outcome,
    Problem,
    Row,
    parse_rows,
)
from salesflow.customers.models import (
    ImportEntity,
    ImportJob,
    ImportMapping,
    ImportProblem,
    ImportStatus,
)

# Rows a transaction. Each commit writes out every index page its rows changed, and a batch's
# search terms land all over their indexes, so a larger batch rewrites the same pages fewer
# times (300,000 customers on SQLite: commits took 28 s in batches of 5,000, 14 s in batches
# of 20,000). On SQLite another writer waits for the batch under way (about 10 s on the
# benchmark machine; it waits up to 20 s before giving up).
BATCH_ROWS = 20_000
T = TypeVar("T")
# Problems stored per job at most; the counts still count every failed row.
MAX_PROBLEMS = 100_000
# Each entity needs these columns mapped, one of each group.
REQUIRED = {
    ImportEntity.CUSTOMERS: (("name",),),
    ImportEntity.CONTACTS: (("name",), ("customer", "customer_id")),
    ImportEntity.DEALS: (("name",), ("customer", "customer_id")),
}
# The column a match key reads, per entity.
KEY_COLUMNS = {
    ImportEntity.CUSTOMERS: {"id": "id", "email": "email", "phone": "phone", "name": "name"},
    ImportEntity.CONTACTS: {"id": "id", "email": "emails", "phone": "phones", "name": "name"},
    ImportEntity.DEALS: {"id": "id", "name": "name"},
}
MATCH_LABELS = {
    "id": _("ID"),
    "email": _("Email"),
    "phone": _("Phone"),
    "name": _("Name and company"),
}


# --------------------------------------------------------------------------- services


@transaction.atomic
def upload(actor: Actor, entity: str, uploaded: UploadedFile) -> ImportJob:
    """Keep an uploaded file as a new import after checking it can be read."""
    if entity not in ImportEntity.values:
        raise ValidationFailed.one("entity", gettext("Choose customers, contacts or deals."))
    if uploaded.size is None or uploaded.size == 0:
        raise importfiles.file_error(gettext("The file is empty."))
    if uploaded.size > importfiles.MAX_UPLOAD_BYTES:
        raise importfiles.file_error(
            gettext("The file is larger than %(size)d MB.")
            % {"size": importfiles.MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    name = uploaded.name or "upload"
    uploaded.seek(0)
    file_format = importfiles.detect_format(name, uploaded.read(64))
    if file_format == importfiles.VCARD and entity != ImportEntity.CONTACTS:
        raise importfiles.file_error(gettext("A vCard file holds contacts: import it as contacts."))
    encoding = importfiles.detect_encoding(uploaded) if file_format == importfiles.CSV else ""
    table = importfiles.open_table(uploaded, file_format, encoding)
    if not any(table.headers):
        raise importfiles.file_error(gettext("The first row of the file holds no column names."))
    job = ImportJob(
        entity=entity,
        file_name=name[:255],
        file_format=file_format,
        encoding=encoding,
        headers=table.headers,
        language=translation.get_language() or "",
    )
    uploaded.seek(0)
    job.file = default_storage.save(f"imports/{uuid.uuid4().hex}/{_safe(name)}", uploaded)
    writes.create(actor, job)
    return job


@transaction.atomic
def start(
    actor: Actor,
    job_id: int,
    *,
    mapping: Mapping[str, str],
    match_key: str,
    on_match: str,
    dry_run: bool,
) -> ImportJob:
    """Queue a dry run or the real run of an import with this mapping, and remember the
    mapping for the next file of the same headers."""
    job = writes.lock(actor, ImportJob, job_id, None)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise ValidationFailed.one("status", gettext("This import is running already."))
    if job.status == ImportStatus.FINISHED and not job.dry_run:
        raise ValidationFailed.one("status", gettext("This file has been imported already."))
    clean = check_mapping(actor, job, mapping, match_key, on_match)
    remember_mapping(actor, job, clean)
    changes = writes.apply(
        job,
        {
            "mapping": clean,
            "match_key": match_key,
            "on_match": on_match,
            "dry_run": dry_run,
            "status": ImportStatus.QUEUED,
            "language": translation.get_language() or job.language,
            "message": "",
        },
    )
    writes.update(actor, job, changes, action="dry_run" if dry_run else "start")
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def _safe(name: str) -> str:
    """The file's own name, kept readable but never a path."""
    return re.sub(r"[^\w.\-]+", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[-80:] or "upload"


def check_mapping(
    actor: Actor, job: ImportJob, mapping: Mapping[str, str], match_key: str, on_match: str
) -> dict[str, str]:
    """The mapping of headers to column keys, without ignored headers; or what is wrong."""
    available = {column.key: column for column in columns(actor.workspace_id, job.entity)}
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, key in mapping.items():
        if not key:
            continue
        if header not in job.headers:
            errors.append(FieldError(f"mapping.{header}", gettext("The file has no such column.")))
        elif key not in available:
            errors.append(FieldError(f"mapping.{header}", gettext("Unknown field.")))
        elif key in used:
            errors.append(
                FieldError(
                    f"mapping.{header}",
                    gettext("“%(other)s” is imported into this field already.")
                    % {"other": used[key]},
                )
            )
        else:
            clean[header] = key
            used[key] = header
    for group in REQUIRED[ImportEntity(job.entity)]:
        if not any(key in used for key in group):
            label = " / ".join(str(available[key].label) for key in group)
            errors.append(
                FieldError("mapping", gettext("Map a column to “%(field)s”.") % {"field": label})
            )
    if match_key not in MATCH_KEYS[ImportEntity(job.entity)]:
        errors.append(FieldError("match_key", gettext("This record type cannot be matched so.")))
    elif match_key != ID and KEY_COLUMNS[ImportEntity(job.entity)][match_key] not in used:
        errors.append(FieldError("match_key", gettext("Map the column this match key compares.")))
    if on_match not in (UPDATE, SKIP):
        errors.append(FieldError("on_match", gettext("Choose update or skip.")))
    if errors:
        raise ValidationFailed(errors)
    return clean


def remember_mapping(actor: Actor, job: ImportJob, mapping: dict[str, str]) -> None:
    key = headers_key(job.headers)
    remembered = ImportMapping.objects.filter(
        workspace_id=actor.workspace_id, entity=job.entity, headers_key=key
    ).first()
    if remembered is None:
        writes.create(actor, ImportMapping(entity=job.entity, headers_key=key, mapping=mapping))
    else:
        writes.update(actor, remembered, writes.apply(remembered, {"mapping": mapping}))


# --------------------------------------------------------------------------- queries


def job(actor: Actor, job_id: int) -> ImportJob:
    return get_visible(ImportJob, actor, job_id)


def recent_jobs(actor: Actor, limit: int = 10) -> list[ImportJob]:
    return list(visible(ImportJob, actor).order_by("-id")[:limit])


def suggested_mapping(actor: Actor, job: ImportJob) -> dict[str, str]:
    """The mapping confirmed last for these headers in this workspace, else a guess from the
    header names; only headers this file still has."""
    remembered = (
        visible(ImportMapping, actor)
        .filter(entity=job.entity, headers_key=headers_key(job.headers))
        .values_list("mapping", flat=True)
        .first()
    )
    if remembered:
        return {h: k for h, k in remembered.items() if h in job.headers}
    return suggest(job.headers, columns(actor.workspace_id, job.entity))


def preview(job: ImportJob) -> list[list[str]]:
    """The first rows of the file, as many cells as it has headers."""
    with default_storage.open(job.file, "rb") as stream:
        table = importfiles.open_table(stream, job.file_format, job.encoding)
        rows = [cells for _number, cells in itertools.islice(table.rows, importfiles.PREVIEW_ROWS)]
    width = len(job.headers)
    return [(cells + [""] * width)[:width] for cells in rows]


def problems(actor: Actor, job_id: int) -> Iterator[ImportProblem]:
    """Every problem of the job's last run in row order, read a page at a time."""
    found = job(actor, job_id)
    last = (0, 0)
    while True:
        page = list(
            ImportProblem.objects.filter(job=found, row__gte=last[0])
            .exclude(row=last[0], id__lte=last[1])
            .order_by("row", "id")[:1000]
        )
        if not page:
            return
        yield from page
        last = (page[-1].row, page[-1].pk)


# --------------------------------------------------------------------------- the job


@task()
def run_import(job_id: int) -> None:
    """The background job: run the import as the member who started it, in their language."""
    found = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if found.status != ImportStatus.QUEUED or found.created_by is None:
        return
    actor = Actor.of(found.created_by, found.workspace_id)
    with translation.override(found.language or actor.workspace.language):
        execute(actor, found)


def execute(actor: Actor, job: ImportJob, batch_rows: int = BATCH_ROWS) -> ImportJob:
    """Read the job's file in batches and import each; keep counts, problems and ids on the job."""
    ImportProblem.objects.filter(job=job).delete()
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "processed": 0}
    created: list[int] = []
    updated: list[int] = []
    stored = 0
    try:
        by_column = {column.key: column for column in columns(actor.workspace_id, job.entity)}
        mapped = [
            (index, by_column[job.mapping[header]])
            for index, header in enumerate(job.headers)
            if job.mapping.get(header) in by_column
        ]
        headers = {by_column[key].key: header for header, key in job.mapping.items()}
        importer = IMPORTERS[job.entity](
            actor,
            job.match_key,
            job.on_match,
            create_customers=job.file_format == importfiles.VCARD,
        )
        with (
            default_storage.open(job.file, "rb") as stream,
            writing_batches(),
            collected_between_batches() as collect,
            switching_often(),
        ):
            total = _count_rows(stream, job)
            _progress(job, status=ImportStatus.RUNNING, total=total, **counts)
            table = importfiles.open_table(stream, job.file_format, job.encoding)
            early = [Problem(row, "", "", reason) for row, reason in table.problems]
            stored += _store(job, early, headers, stored)
            counts["failed"] += len(early)
            following = _preparing(importer, table.rows, batch_rows, mapped)
            batches = _overlapped if _overlapping(job.entity) else _in_line
            for number, (batch, outcome) in enumerate(
                batches(importer, following, job.dry_run), start=1
            ):
                stored += _store(job, outcome.problems, headers, stored)
                created.extend(outcome.created)
                updated.extend(outcome.updated)
                counts["created"] += len(outcome.created)
                counts["updated"] += len(outcome.updated)
                counts["skipped"] += outcome.skipped
                counts["failed"] += len({p.row for p in outcome.problems})
                counts["processed"] += len(batch)
                _progress(job, **counts)
                collect()
                # After the 1st, 2nd, 4th, 8th… batch: whenever the rows written have doubled.
                if not job.dry_run and number & (number - 1) == 0:
                    refresh_statistics(importer.tables)
            if not job.dry_run:
                refresh_statistics(importer.tables)
    except Exception as crashed:
        _progress(job, status=ImportStatus.FAILED, message=str(crashed)[:2000], **counts)
        raise
    with transaction.atomic():
        _progress(
            job,
            status=ImportStatus.FINISHED,
            created_ids=[] if job.dry_run else created,
            updated_ids=[] if job.dry_run else updated,
            **counts,
        )
        job.refresh_from_db()
        if not job.dry_run:
            writes.audit(
                actor,
                job,
                "import",
                {key: counts[key] for key in ("created", "updated", "skipped", "failed")},
            )
    return job


def _count_rows(stream: IO[bytes], job: ImportJob) -> int:
    table = importfiles.open_table(stream, job.file_format, job.encoding)
    return sum(1 for _row in table.rows) + len(table.problems)


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


Prepared = tuple[list[tuple[int, list[str]]], list[Row]]


def _preparing(
    importer: Importer,
    rows: Iterator[tuple[int, list[str]]],
    size: int,
    mapped: list[tuple[int, Column]],
) -> Callable[[], Prepared | None]:
    """A function giving the next batch of the file, parsed and prepared (without the
    database: see `_run_batch`), and None once the file is read."""
    batches = _batches(rows, size)

    def following() -> Prepared | None:
        batch = next(batches, None)
        if batch is None:
            return None
        parsed = parse_rows(batch, mapped)
        importer.prepare(parsed)
        return batch, parsed

    return following


def _overlapping(entity: str) -> bool:
    """Whether each batch runs on a connection of its own, writing its search terms and
    committing while the next batch runs (`_overlapped`): on PostgreSQL, where the database
    works on two connections at once, and only where each batch really commits (not inside a
    caller's transaction, such as a test's, which another connection could not see).

    For customers only, whose batches need nothing of one another in the database. A batch of
    contacts may add to a customer the batch before created (from vCards), and recompute its
    search terms and duplicate keys: that needs the customer committed."""
    return (
        entity == ImportEntity.CUSTOMERS
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


Batches = Iterator[tuple[list[tuple[int, list[str]]], Outcome]]
Events = tuple[threading.Event, threading.Event]


def _in_line(
    importer: Importer, following: Callable[[], Prepared | None], dry_run: bool
) -> Batches:
    """Each batch and its outcome, run on this connection one after another; the next batch
    is prepared while the search terms of one are written."""
    ahead = following()
    while ahead is not None:
        batch, rows = ahead
        outcome, ahead = _run_batch(importer, rows, dry_run, following)
        yield batch, outcome


def _overlapped(
    importer: Importer, following: Callable[[], Prepared | None], dry_run: bool
) -> Batches:
    """Each batch and its outcome, each batch run in a thread on a connection of its own, in
    its own transaction. A batch runs once the one before has run; while that one writes its
    search terms and commits, this one matches, checks and writes its customers, and this
    thread prepares the batch after it: the database fills the terms' indexes on one
    connection while it takes the next customers on another (the terms' COPY grows to most of
    a batch's time at a million customers).

    The batches stay apart as the batches run in line do: each commits whole or not at all
    (with its search terms), and none reads what the one before wrote (it is not committed
    yet): the rows of one file are told apart in memory, by `Importer.seen` and the duplicate
    keys. A batch the database refuses after the next one has run is forgotten all the same,
    so a row of the next one refused as a repeat of one of its rows keeps that reason.
    """
    language = translation.get_language()
    crashed = threading.Event()
    # The batch before has run (`turn`), and has committed or rolled back (`ended`).
    turn, ended = threading.Event(), threading.Event()
    turn.set()
    ended.set()
    in_flight: collections.deque[tuple[list[tuple[int, list[str]]], Future[Outcome | None]]]
    in_flight = collections.deque()

    def in_turn(rows: list[Row], before: Events, this: Events) -> Outcome | None:
        try:
            before[0].wait()
            if crashed.is_set():
                return None  # a batch before this one crashed: the job stops
            with translation.override(language):
                outcome, _none = _run_batch(importer, rows, dry_run, this[0].set, before[1].wait)
            return outcome
        except BaseException:
            crashed.set()
            raise
        finally:
            for event in this:
                event.set()
            connection.close()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="import-batch") as pool:
        try:
            ahead = following()
            while ahead is not None or in_flight:
                if ahead is not None:
                    batch, rows = ahead
                    this = (threading.Event(), threading.Event())
                    in_flight.append((batch, pool.submit(in_turn, rows, (turn, ended), this)))
                    turn, ended = this
                    ahead = following()
                if in_flight and (ahead is None or len(in_flight) == 2):
                    batch, future = in_flight.popleft()
                    outcome = future.result()
                    assert outcome is not None  # only a batch after one that crashed has none
                    yield batch, outcome
        except Exception:
            # What the batches still running commit is counted before the error is raised.
            crashed.set()
            for batch, future in in_flight:
                with contextlib.suppress(Exception):
                    if (outcome := future.result()) is not None:
                        yield batch, outcome
            raise
        finally:
            crashed.set()  # no batch starts after this, however the caller stopped reading


def _run_batch(
    importer: Importer,
    rows: list[Row],
    dry_run: bool,
    meanwhile: Callable[[], T],
    before_commit: Callable[[], object] = lambda: None,
) -> tuple[Outcome, T]:
    """One batch in one transaction; on a database error none of its rows is written and
    each row that was to be is reported with the database's reason.

    While the batch's last writes run (`Importer.writing_behind`), `meanwhile()` runs, which
    must not use this connection (it prepares the next batch, or lets it run on a connection
    of its own); its result is returned with the outcome. `before_commit()` waits, when
    batches overlap, for the batch before to end: they commit in the order of the file, so
    what an import has committed is always the file up to some row.
    """
    ahead: list[T] = []
    preparing = False
    forget: Callable[[], None] | None = None
    try:
        # Bulk writes use the driver directly (COPY): its errors become Django's here too.
        with transaction.atomic(), connection.wrap_database_errors:
            outcome = importer.run(rows, lock=not dry_run)
            forget = importer.forgetting()
            with importer.writing_behind():
                preparing = True
                ahead.append(meanwhile())
            before_commit()
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as refused:
        if preparing and not ahead:
            raise  # the next batch failed to be prepared: that is no refusal of this one
        (forget or importer.forgetting())()
        if not ahead:
            ahead.append(meanwhile())
        reason = gettext(
            "The database refused this batch of rows, so none was saved: %(error)s"
        ) % {
            "error": str(refused).strip().splitlines()[0]
            if str(refused).strip()
            else type(refused).__name__
        }
        failed = [p for row in rows for p in row.problems]
        failed += [Problem(row.number, "", "", reason) for row in rows if row.ok]
        return Outcome(problems=failed), ahead[0]
    return outcome, ahead[0]


def _store(job: ImportJob, found: list[Problem], headers: Mapping[str, str], stored: int) -> int:
    room = max(MAX_PROBLEMS - stored, 0)
    kept = found[:room]
    ImportProblem.objects.bulk_create(
        ImportProblem(
            job=job,
            row=problem.row,
            field=headers.get(problem.key, problem.key)[:100],
            value=problem.value[:1000],
            reason=problem.reason,
        )
        for problem in kept
    )
    return len(kept)


def _progress(job: ImportJob, **values: Any) -> None:
    """Counts written outside the batches' transactions, so a page polling the job sees them."""
    ImportJob.objects.filter(pk=job.pk).update(**values)
    for name, value in values.items():
        setattr(job, name, value)
