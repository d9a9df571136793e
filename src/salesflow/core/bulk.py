"""Writing millions of rows: plain tuples straight into a table, one batch at a time.

Model instances and `bulk_create` cost far more per row than the database does, so the demo
generator and the search index rebuild hand over tuples in column order instead. PostgreSQL
takes them through COPY, every other database through one prepared INSERT run with
`executemany`; both inside the caller's transaction. Rows are written as Django would store
them, so the ORM reads them back alike.
"""

from __future__ import annotations

import datetime
import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

# SQLite's page cache while writing in bulk, in KiB (SQLite's unit for a negative cache_size).
SQLITE_CACHE_KIB = 1_048_576
# Pages the write-ahead log grows to between checkpoints while writing batches (4 KiB each).
CHECKPOINT_PAGES = 1_000_000
# Batches between two collections of `collected_between_batches`.
COLLECT_EVERY = 10
# Seconds between Python's thread switches while a job's threads work side by side.
SWITCH_INTERVAL = 0.0002
# Parameters one INSERT may bind on every SQLite build (newer ones allow 32,766).
MAX_PARAMETERS = 999


@contextmanager
def bulk_writing() -> Iterator[None]:
    """Suit the connection to writing millions of rows in the caller's transaction, then undo it.

    SQLite gets a page cache large enough for the indexes being filled: with its small
    default one nearly every insert evicts a changed page, and a seed slows down as the tables
    grow. PostgreSQL checks foreign keys as each statement ends rather than all at commit:
    the new rows are still in memory then, while a check deferred to commit reads every row
    back. Django declares every foreign key deferrable and initially deferred, which is the
    state restored. PRAGMA takes no parameters, so its sizes are written into the statement:
    a constant, and the integer SQLite itself reported.

    On an error the transaction is rolled back (or back to its savepoint), which undoes
    PostgreSQL's setting; an SQLite connection keeps the larger cache until it is closed.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            (before,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB:d}")
            undo = f"PRAGMA cache_size = {int(before):d}"
        elif connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            undo = "SET CONSTRAINTS ALL DEFERRED"
        else:
            undo = ""
    yield
    if undo:
        with connection.cursor() as cursor:
            cursor.execute(undo)


@contextmanager
def writing_batches() -> Iterator[None]:
    """Suit an SQLite connection to many write transactions in a row (an import's batches),
    then undo it; other databases need nothing here.

    The large page cache of `bulk_writing` stays between the batches, and the write-ahead log
    is copied back into the database every CHECKPOINT_PAGES pages (up to 4 GB of log on disk)
    instead of every 1,000: a batch changes pages all over the indexes it fills (the search
    terms' above all), and copying them back after each batch would write the same pages
    again and again (at 100,000 pages, checkpoints took a third of the commits' time on an
    import of 300,000 customers).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB:d}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache):d}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages):d}")


@contextmanager
def collected_between_batches() -> Iterator[Callable[[], None]]:
    """Keep Python's cyclic garbage collector out of a long job's batches.

    Each automatic full collection reads every object the process tracks, and they come as
    often as the tracked objects grow: a job that keeps what it has seen (an import remembers
    every duplicate key of the file) and large caches (pinyin readings, parsed phone numbers)
    makes each one slower than the last (41 full collections took 15.3 s of an import of
    300,000 customers that took 191 s). Inside this block the automatic collector is off; the
    yielded function, called after each batch, collects after every COLLECT_EVERY batches and
    freezes what survives (`gc.freeze`), so no collection reads an object twice. Not after
    every batch: an import of 100,000 customers collecting so found 15 unreachable objects
    after its first batch and none after the others, and each collection took 0.37 to 0.70 s.
    Afterwards what was frozen is unfrozen, and the collector is as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    batches = 0

    def collect() -> None:
        nonlocal batches
        batches += 1
        if batches % COLLECT_EVERY == 0:
            gc.collect()
            gc.freeze()

    try:
        yield collect
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@contextmanager
def switching_often() -> Iterator[None]:
    """Let Python's threads take turns every SWITCH_INTERVAL seconds instead of every 5 ms
    while a job's threads work side by side, then restore the interval.

    A thread back from a call that let go of the interpreter (an SQLite statement, a COPY)
    waits for the thread running Python to hand it back, up to the interval. An import writes
    a batch's search terms in a thread (on SQLite some 1,500 statements of 199 rows for 20,000
    customers) while this thread prepares the next batch in Python: with 5 ms between turns
    the writing thread spent much of its time waiting for its turn after each. Measured
    with `bench/imports.py`: a million customers on SQLite in 591.7 s with 5 ms and 504.3 s
    with 0.2 ms; 200,000 on PostgreSQL (batches overlapping on two connections) in 79.0 and
    79.4 s, and 69.9 s twice. The interval is the process's: other threads switch as often
    meanwhile, at a cost too small to see beside that.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def db_zone() -> datetime.tzinfo:
    """The zone Django stores naive datetimes in for this connection: UTC unless configured.

    USE_TZ is on in Salesflow, and only without it would Django leave the zone unset.
    """
    return connection.timezone or datetime.UTC


def db_time(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """An aware moment as the naive text Django stores, given `db_zone()`.

    SQLite keeps datetimes as this very text, and Django sets each PostgreSQL session to
    that same zone, so one value serves both without a per-database adapter.
    """
    return str(moment.astimezone(zone).replace(tzinfo=None))


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so children can point at parents not yet written.

    PostgreSQL hands them out from the table's sequence, safe beside other writers. Elsewhere
    they follow the highest key ever used, which holds because the seeding transaction has
    taken the database's write lock before it asks (SQLite allows one writer at a time).
    """
    if count == 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            used = cursor.fetchone()
            highest = max(highest or 0, used[0] if used else 0)
    start = (highest or 0) + 1
    return list(range(start, start + count))


T = TypeVar("T")

# Values looked up per query (`field__in`): few enough that PostgreSQL probes the index for
# each (measured on 200,000 keys: 2 ms for 100, 3 ms for 200, while for 500 it chose to read
# the whole table, 34 to 49 ms), and far below every database's limit on bound parameters.
LOOKUP_BATCH = 200


def chunks(items: Sequence[T], size: int = LOOKUP_BATCH) -> Iterator[Sequence[T]]:
    """`items` in slices of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refresh_statistics(models: Iterable[type[Model]]) -> None:
    """Bring PostgreSQL's statistics of these tables up to date after a large bulk write (its
    manual's advice after loading data: "Run ANALYZE Afterwards").

    Without them the planner goes on believing a table that grew from nothing is tiny, and
    looks up a few hundred keys by reading every row of the workspace instead of the index
    (measured: 71 ms instead of 3 ms a lookup during an import of 100,000 customers).
    Autovacuum would do it in time, where it runs. SQLite's planner assumes the indexes
    selective when it has no statistics, which is right for these tables.
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows`, each holding the values of `fields` (model field names) in that order.

    Any other field but the primary key gets its default, as `bulk_create` would give it, so
    a field added to the model later needs no change here unless its value matters.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors:
        _insert(*_insert_statement(model, fields, rows), connection.connection)


def insert_rows_behind(
    tables: Sequence[tuple[type[Model], Sequence[str], Sequence[Sequence[Any]]]],
) -> Future[None]:
    """Start `insert_rows` of each (model, fields, rows) in a thread, on this connection and in
    its transaction, and return at once: the caller does work that needs no database meanwhile
    (and must not touch the connection) until it has waited for the result, which raises what
    the insert raised.

    PostgreSQL's own work on the rows (above all, filling the indexes) then runs beside the
    caller's Python, as the driver lets go of the interpreter while it waits on the server;
    SQLite's own work likewise, as sqlite3 lets go of it for each statement. Both gain only
    if the threads take turns often enough (`switching_often`): with Python's 5 ms between
    turns, an import of 100,000 customers on SQLite took 23.1 and 23.3 s with the thread,
    23.0 and 23.1 s without.
    """
    statements = [_insert_statement(model, fields, rows) for model, fields, rows in tables]
    connection.ensure_connection()
    driver = connection.connection

    def write() -> None:
        for statement in statements:
            _insert(*statement, driver)

    return _behind.submit(write)


# One thread: a connection takes one statement at a time, and an import one batch at a time.
_behind = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insert-behind")


def _insert_statement(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, int, Sequence[Sequence[Any]]]:
    """The statement that inserts rows of `fields` into the model's table (COPY on
    PostgreSQL, else an INSERT with a "?" for each value, as SQLite takes them), its number of
    columns, and the rows with the defaults of the model's other fields."""
    rest = [f for f in model._meta.concrete_fields if f.name not in fields and not f.primary_key]
    if rest and rows:
        defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        rows = [(*row, *defaults) for row in rows]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    named = {f.name: f.column for f in model._meta.concrete_fields}
    names = (*fields, *(f.name for f in rest))
    columns = ", ".join(quote(named[name]) for name in names)
    if connection.vendor == "postgresql":
        return f"COPY {table} ({columns}) FROM STDIN", len(names), rows
    return f"INSERT INTO {table} ({columns}) VALUES ", len(names), rows


def _insert(statement: str, width: int, rows: Sequence[Sequence[Any]], driver: Any) -> None:
    """Run a statement of `_insert_statement` through the driver's own connection."""
    if not rows:
        return
    if statement.startswith("COPY"):
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    # Several rows a statement: each costs less to bind and run than a row at a time.
    marks = "(" + ", ".join(["?"] * width) + ")"
    per = max(MAX_PARAMETERS // width, 1)
    whole = len(rows) - len(rows) % per
    cursor = driver.cursor()
    try:
        cursor.executemany(
            statement + ", ".join([marks] * per),
            [[v for row in rows[at : at + per] for v in row] for at in range(0, whole, per)],
        )
        if whole < len(rows):
            cursor.execute(
                statement + ", ".join([marks] * (len(rows) - whole)),
                [v for row in rows[whole:] for v in row],
            )
    finally:
        cursor.close()
