"""Time the analytics reports on SQLite and PostgreSQL, against a full DuckDB scan.

    python bench/analytics.py --scale large [--postgres URL] [--skip-seed] [--deals N]

Each database is seeded with `salesflow seed --scale SCALE --seed 42 --anchor 2026-11-01`
(the SQLite file var/bench/analytics.sqlite3; the PostgreSQL database salesflow_bench_analytics,
apart from the salesflow_bench that bench/seed.py and bench/board.py drop on every run), then
PostgreSQL gets the VACUUM ANALYZE its autovacuum would run soon after. A large seed takes
long: `--seed-only` seeds and stops, `--skip-seed` reuses what an earlier run seeded (it
refuses a database seeded with another scale or number of deals).

As the workspace admin, over the default pipeline, each report runs once to warm up and then
RUNS times; the figure is the median in milliseconds:
  a. the cohort funnel of the deals created 2026-05-01 … 2026-10-31;
  b. the same per owner;
  c. the weighted forecast of 2026-11-01 … 2027-01-31;
  d. the Monte Carlo forecast of that quarter, 10,000 runs, today 2026-11-01;
  e. the reverse-funnel plan for 300 contracts in that quarter over every rep, with the rates
     the API takes from the cohort funnel of the last 365 days (fetching them included);
     e′ is plan_for_contracts alone on the same inputs;
  f. g. h. the flow funnel, the time in stage and the outcomes (win rate, deal size, sales
     cycle, velocity) of the same six months; DuckDB has no counterpart for these.
Periods of whole months read the monthly roll-ups; a″ and g″ also read the daily counts for the
half months at either end; a‴, f‴, g‴ and h‴, the same six months cut by the first customer's
industry, read the monthly counts by customer column.

The reference is DuckDB scanning Parquet files exported from the same database (stage changes:
deal, pipeline, stage, time, owner; deals: pipeline, owner, current stage, created_at, amount;
stages: position and kind; the export is timed apart and not counted). It computes the cohort
funnel from the raw history (for each deal, the furthest non-lost stage by position over all
its stage changes, and whether its current stage is won; definitions in the docstring of
salesflow.analytics.queries), overall and per owner, and its counts and amounts must equal
ours: a difference fails the run after the table is printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"  # var/ is ignored by git
SQLITE_FILE = BENCH_DIR / "analytics.sqlite3"
BENCH_DB = "salesflow_bench_analytics"
RUNS = 7
ANCHOR = datetime.date(2026, 11, 1)
COHORT = (datetime.date(2026, 5, 1), datetime.date(2026, 10, 31))
MID_MONTHS = (datetime.date(2026, 4, 16), datetime.date(2026, 10, 15))
QUARTER = (datetime.date(2026, 11, 1), datetime.date(2027, 1, 31))
HISTORY_DAYS = 365  # as salesflow.analytics.api takes the planner's rates
TARGET_CONTRACTS = 300
MONTE_CARLO_RUNS = 10_000
EXPORT_DEALS_PER_CHUNK = 50_000
REPORTS = {
    "funnel": "a. cohort funnel, 6 months",
    "funnel_by_owner": "b. cohort funnel by owner",
    "weighted": "c. weighted forecast, quarter",
    "monte_carlo": "d. Monte Carlo, 10,000 runs",
    "planner": "e. planner incl. rates",
    "plan_only": "e′ plan_for_contracts alone",
    "flow": "f. flow funnel, 6 months",
    "time_in_stage": "g. time in stage, 6 months",
    "outcomes": "h. win rate, cycle, velocity",
    "funnel_mid": "a″ cohort funnel, 16 Apr … 15 Oct",
    "time_mid": "g″ time in stage, 16 Apr … 15 Oct",
    "time_industry": "g‴ time in stage, one industry",
    "funnel_industry": "a‴ cohort funnel, one industry",
    "flow_industry": "f‴ flow funnel, one industry",
    "outcomes_industry": "h‴ outcomes, one industry",
}
FUNNEL_REPORTS = {"funnel": "duckdb_funnel", "funnel_by_owner": "duckdb_funnel_by_owner"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- seeding (parent process) ---------------------------------------------------------------


def salesflow(env: dict[str, str], *args: str) -> str:
    """Run a salesflow command; its progress (standard error) shows as it goes."""
    done = subprocess.run(
        [sys.executable, "-m", "salesflow", *args], env=env, check=True, stdout=subprocess.PIPE
    )
    return done.stdout.decode()


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SALESFLOW_VAR_DIR": str(BENCH_DIR),
        "SALESFLOW_LANGUAGE": "en",
    }


def postgres_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def marker(label: str) -> Path:
    return BENCH_DIR / f"analytics-{label.lower()}.json"


def seed(label: str, server_url: str, scale: str, deals: int | None) -> None:
    """A fresh database, migrated and seeded; the marker file records how."""
    import psycopg

    marker(label).unlink(missing_ok=True)
    if label == "SQLite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{SQLITE_FILE}"
    else:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            connection.execute(f"CREATE DATABASE {BENCH_DB}")
        url = postgres_url(server_url)
    env = environment(url)
    salesflow(env, "migrate", "--noinput", "-v0")
    salesflow(env, "create_workspace", "Bench", "--admin", "bench", "--password", "bench-pass-1",
              "--language", "en")  # fmt: skip
    log(f"{label}: seeding --scale {scale}" + (f" --deals {deals:,}" if deals else ""))
    started = time.perf_counter()
    output = salesflow(env, "seed", "--workspace", "Bench", "--scale", scale, "--seed", "42",
                       "--anchor", ANCHOR.isoformat(),
                       *(["--deals", str(deals)] if deals else []))  # fmt: skip
    seconds = time.perf_counter() - started
    log(f"{label}: seeded in {seconds:.0f} s\n{output.strip()}")
    vacuum = 0.0
    if label == "PostgreSQL":
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        vacuum = time.perf_counter() - started
        log(f"{label}: VACUUM ANALYZE in {vacuum:.0f} s")
    record = {"scale": scale, "deals": deals, "seed_seconds": round(seconds, 1),
              "vacuum_seconds": round(vacuum, 1), "summary": output.strip()}  # fmt: skip
    marker(label).write_text(json.dumps(record, indent=2))


def reuse(label: str, scale: str, deals: int | None) -> dict[str, Any]:
    """--skip-seed: the database an earlier run seeded, with the same scale and deals."""
    path = marker(label)
    if not path.exists():
        sys.exit(f"{label}: nothing seeded yet ({path} is missing); run without --skip-seed")
    record: dict[str, Any] = json.loads(path.read_text())
    if (record["scale"], record["deals"]) != (scale, deals):
        sys.exit(f"{label}: seeded with --scale {record['scale']} --deals {record['deals']}, "
                 f"not --scale {scale} --deals {deals}; run without --skip-seed")  # fmt: skip
    return record


def measure_in_child(label: str, url: str, runs: int) -> dict[str, Any]:
    """The timings run in a process of their own, with Django set up on that database."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", label, "--runs", str(runs)],
        env=environment(url),
        check=True,
        stdout=subprocess.PIPE,
    )
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


# --- measuring (child process, Django set up) -----------------------------------------------


def sample(function: Callable[[], object], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of `runs` calls after one warm-up call, and the warm-up's result."""
    result = function()
    timed = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timed.append((time.perf_counter() - started) * 1000)
    return timed, result


def data_size(workspace_id: int) -> dict[str, int]:
    from salesflow.analytics.aggregates import MONTHLY
    from salesflow.analytics.models import DealFact, StageDaily, StageStay
    from salesflow.pipeline.models import Deal, StageChange, StageKind

    deals = Deal.objects.filter(workspace_id=workspace_id)
    return {
        "deals": deals.count(),
        "open deals": deals.filter(stage__kind=StageKind.OPEN).count(),
        "stage changes": StageChange.objects.filter(workspace_id=workspace_id).count(),
        **{
            model.__name__: model.objects.filter(workspace_id=workspace_id).count()
            for model in (DealFact, StageDaily, StageStay, *MONTHLY)
        },
    }


def funnel_cells(funnels: dict[int | None, Any]) -> dict[str, list[Any]]:
    """{"owner/stage": [count, amount]} of the non-empty cells, comparable across engines."""
    return {
        f"{owner}/{row.stage_id}": [row.count, str(row.amount)]
        for owner, funnel in funnels.items()
        for row in funnel.stages
        if row.count
    }


def time_reports(actor: Any, pipeline_id: int, runs: int) -> dict[str, Any]:
    from salesflow.analytics.forecast import monte_carlo_forecast, weighted_forecast
    from salesflow.analytics.planner import FunnelStage, plan_for_contracts, rates_from_counts
    from salesflow.analytics.queries import (
        Cut,
        cohort_funnel,
        flow_funnel,
        outcomes,
        pipeline_stages,
        time_in_stage,
    )
    from salesflow.core.models import Role
    from salesflow.customers.models import Customer
    from salesflow.customers.queries import assignable_owners
    from salesflow.pipeline.models import StageKind

    six_months = Cut(pipeline_id, *COHORT)
    mid_months = Cut(pipeline_id, *MID_MONTHS)
    industry = (
        Customer.objects.filter(workspace_id=actor.workspace_id).exclude(industry="")
        .order_by("id").values_list("industry", flat=True).first()
    )  # fmt: skip
    one_industry = Cut(pipeline_id, *COHORT, industry=industry)
    quarter = Cut(pipeline_id, *QUARTER)
    history = Cut(pipeline_id, ANCHOR - datetime.timedelta(days=HISTORY_DAYS - 1), ANCHOR)

    def planner_inputs() -> tuple[list[Any], list[int]]:
        """What salesflow.analytics.api.reverse_funnel reads: the rates, then every rep."""
        stages = pipeline_stages(actor, pipeline_id)
        open_stages = [s for s in stages if s.kind == StageKind.OPEN]
        cohort = cohort_funnel(actor, history)[None]
        reached = {row.stage_id: row.count for row in cohort.stages}
        rates = rates_from_counts([reached.get(s.pk, 0) for s in open_stages] + [cohort.won])
        reps = assignable_owners(actor).filter(
            memberships__workspace_id=actor.workspace_id, memberships__role=Role.REP
        )
        funnel = [FunnelStage(s.pk, s.name, r) for s, r in zip(open_stages, rates, strict=True)]
        return funnel, list(reps.values_list("pk", flat=True))

    def plan(inputs: tuple[list[Any], list[int]]) -> Any:
        return plan_for_contracts(inputs[0], TARGET_CONTRACTS, first_day=QUARTER[0],
                                  last_day=QUARTER[1], rep_ids=inputs[1])  # fmt: skip

    inputs = planner_inputs()
    timings: dict[str, list[float]] = {}
    results: dict[str, Any] = {}
    reports: dict[str, Callable[[], object]] = {
        "funnel": lambda: cohort_funnel(actor, six_months),
        "funnel_by_owner": lambda: cohort_funnel(actor, six_months, by_owner=True),
        "weighted": lambda: weighted_forecast(actor, quarter),
        "monte_carlo": lambda: monte_carlo_forecast(
            actor, quarter, runs=MONTE_CARLO_RUNS, seed=42, today=ANCHOR
        ),
        "planner": lambda: plan(planner_inputs()),
        "plan_only": lambda: plan(inputs),
        "flow": lambda: flow_funnel(actor, six_months),
        "time_in_stage": lambda: time_in_stage(actor, six_months),
        "outcomes": lambda: outcomes(actor, six_months),
        "funnel_mid": lambda: cohort_funnel(actor, mid_months),
        "time_mid": lambda: time_in_stage(actor, mid_months),
        "time_industry": lambda: time_in_stage(actor, one_industry),
        "funnel_industry": lambda: cohort_funnel(actor, one_industry),
        "flow_industry": lambda: flow_funnel(actor, one_industry),
        "outcomes_industry": lambda: outcomes(actor, one_industry),
    }
    for name, report in reports.items():
        timings[name], results[name] = sample(report, runs)
        log(f"  {REPORTS[name]:<32} {statistics.median(timings[name]):9.1f} ms")
    monte = results["monte_carlo"]
    return {
        "timings": timings,
        "funnel": funnel_cells(results["funnel"]),
        "funnel_by_owner": funnel_cells(results["funnel_by_owner"]),
        "owners": len(results["funnel_by_owner"]),
        "weighted_deals": results["weighted"].deals,
        "monte_carlo_deals": monte.deals,
        "monte_carlo_p50": str(monte.forecast.total.p50) if monte.forecast else None,
        "plan_stages": [need.required for need in results["planner"].stages],
        "reps": len(inputs[1]),
    }


def chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def export(directory: Path, workspace_id: int) -> dict[str, int]:
    """Stages, deals and every stage change of the workspace to Parquet, in deal order."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection

    from salesflow.core.money import DECIMAL_PLACES, MAX_DIGITS
    from salesflow.pipeline.models import Deal, Stage, StageChange

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    stages = list(
        Stage.objects.filter(workspace_id=workspace_id).values_list(
            "id", "pipeline_id", "position", "kind"
        )
    )
    names = ("id", "pipeline_id", "position", "kind")
    stage_columns = dict(zip(names, zip(*stages, strict=True), strict=True))
    pq.write_table(pa.table(stage_columns), directory / "stages.parquet")
    utc = datetime.UTC
    deal_schema = pa.schema([("id", pa.int64()), ("pipeline_id", pa.int64()),
                             ("owner_id", pa.int64()), ("stage_id", pa.int64()),
                             ("created_at", pa.timestamp("us")),
                             ("amount", pa.decimal128(MAX_DIGITS, DECIMAL_PLACES))])  # fmt: skip
    change_schema = pa.schema([("deal_id", pa.int64()), ("pipeline_id", pa.int64()),
                               ("to_stage_id", pa.int64()), ("at", pa.timestamp("us")),
                               ("owner_id", pa.int64())])  # fmt: skip
    table = connection.ops.quote_name(StageChange._meta.db_table)
    sql = (
        f"SELECT deal_id, pipeline_id, to_stage_id, at, owner_id FROM {table} "
        "WHERE workspace_id = %s AND deal_id >= %s AND deal_id <= %s ORDER BY deal_id, at, id"
    )
    sizes = {"deals": 0, "stage changes": 0}
    deals = (
        Deal.objects.filter(workspace_id=workspace_id)
        .order_by("id")
        .values_list("id", "pipeline_id", "owner_id", "stage_id", "created_at", "amount")
    )
    with (
        pq.ParquetWriter(directory / "deals.parquet", deal_schema) as deal_writer,
        pq.ParquetWriter(directory / "stage_changes.parquet", change_schema) as change_writer,
        connection.cursor() as cursor,
    ):
        for batch in chunks(deals.iterator(chunk_size=10_000), EXPORT_DEALS_PER_CHUNK):
            columns = list(zip(*batch, strict=True))
            columns[4] = tuple(at.astimezone(utc).replace(tzinfo=None) for at in columns[4])
            deal_writer.write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(columns, deal_schema, strict=True)],
                schema=deal_schema))  # fmt: skip
            cursor.execute(sql, [workspace_id, batch[0][0], batch[-1][0]])
            changes = list(zip(*cursor.fetchall(), strict=True))
            changes[3] = tuple(
                (at.astimezone(utc).replace(tzinfo=None) if at.tzinfo else at) for at in changes[3]
            )
            change_writer.write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(changes, change_schema, strict=True)],
                schema=change_schema))  # fmt: skip
            sizes["deals"] += len(batch)
            sizes["stage changes"] += len(changes[0])
    return sizes


DUCKDB_FUNNEL = """
WITH stages AS (SELECT * FROM read_parquet('{dir}/stages.parquet')),
cohort AS (
    SELECT id AS deal_id, owner_id, stage_id, amount FROM read_parquet('{dir}/deals.parquet')
    WHERE pipeline_id = $pipeline AND created_at >= $since AND created_at < $until
),
furthest AS (  -- per deal: the furthest non-lost stage over all its stage changes
    SELECT c.deal_id, arg_max(s.id, s.position * 1000000000 + s.id)
                          FILTER (WHERE s.kind <> 'lost') AS stage_id
    FROM read_parquet('{dir}/stage_changes.parquet') AS ch
    JOIN cohort AS c ON c.deal_id = ch.deal_id
    JOIN stages AS s ON s.id = ch.to_stage_id
    GROUP BY c.deal_id
),
per_deal AS (  -- furthest position in this pipeline (-1 elsewhere), and won now
    SELECT {owner} AS owner_id, c.amount, coalesce(far.position, -1) AS furthest,
           now.kind = 'won' AS won
    FROM cohort AS c
    JOIN furthest AS f ON f.deal_id = c.deal_id
    JOIN stages AS now ON now.id = c.stage_id
    LEFT JOIN stages AS far
        ON far.id = coalesce(f.stage_id, c.stage_id) AND far.pipeline_id = $pipeline
),
grouped AS (
    SELECT owner_id, furthest, won, count(*) AS n, sum(amount) AS amount
    FROM per_deal GROUP BY ALL
)
SELECT g.owner_id, s.id, sum(g.n)::BIGINT, coalesce(sum(g.amount), 0)
FROM grouped AS g
JOIN stages AS s ON s.pipeline_id = $pipeline AND s.kind <> 'lost' AND CASE
    WHEN s.kind = 'open' THEN g.won OR s.position <= g.furthest
    ELSE g.won AND s.position <= g.furthest END
GROUP BY ALL
"""


def duckdb_funnels(directory: Path, pipeline_id: int, zone: str, runs: int) -> dict[str, Any]:
    """The cohort funnel, overall and per owner, from the Parquet files: timings and cells."""
    from zoneinfo import ZoneInfo

    import duckdb

    tz = ZoneInfo(zone)

    def utc(day: datetime.date) -> datetime.datetime:
        midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)
        return midnight.astimezone(datetime.UTC).replace(tzinfo=None)

    # created_on (the day in the workspace's time zone) within the period, as UTC instants
    parameters = {"pipeline": pipeline_id, "since": utc(COHORT[0]),
                  "until": utc(COHORT[1] + datetime.timedelta(days=1))}  # fmt: skip
    connection = duckdb.connect()
    threads = connection.execute("SELECT current_setting('threads')").fetchone()
    result: dict[str, Any] = {"threads": threads[0] if threads else None}
    for name, owner in (("funnel", "NULL::BIGINT"), ("funnel_by_owner", "c.owner_id")):
        query = DUCKDB_FUNNEL.format(dir=directory, owner=owner)

        def run(query: str = query) -> list[tuple[Any, ...]]:
            return connection.execute(query, parameters).fetchall()

        timed, rows = sample(run, runs)
        result[f"duckdb_{name}"] = timed
        result[name] = {f"{o}/{s}": [n, str(a)] for o, s, n, a in rows if n}
        log(f"  DuckDB {name:<25} {statistics.median(timed):9.1f} ms")
    return result


def same_cells(ours: dict[str, list[Any]], theirs: dict[str, list[Any]]) -> list[str]:
    """Differences, with amounts compared as numbers (12.50 equals 12.5)."""
    differences = []
    for key in sorted(ours.keys() | theirs.keys()):
        a, b = ours.get(key, [0, "0"]), theirs.get(key, [0, "0"])
        if a[0] != b[0] or Decimal(a[1]) != Decimal(b[1]):
            differences.append(f"{key}: ours {a[0]} ({a[1]}), DuckDB {b[0]} ({b[1]})")
    return differences


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def measure(label: str, runs: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    django.setup()
    from django.db import connection

    from salesflow.core.models import Membership
    from salesflow.core.scoping import Actor, visible
    from salesflow.pipeline.models import Pipeline, Stage

    membership = Membership.objects.select_related("user", "workspace").get(
        workspace__name="Bench", user__username="bench"
    )
    actor = Actor(membership)
    pipeline = visible(Pipeline, actor).get(is_default=True)
    log(f"{label}: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"workspace {actor.workspace_id}, pipeline {pipeline.pk}")  # fmt: skip
    sizes = data_size(actor.workspace_id)
    log("  data: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    ours = time_reports(actor, pipeline.pk, runs)
    directory = BENCH_DIR / "analytics-parquet" / label.lower()
    started = time.perf_counter()
    exported = export(directory, actor.workspace_id)
    export_seconds = time.perf_counter() - started
    megabytes = sum(f.stat().st_size for f in directory.iterdir()) / 2**20
    log(f"  Parquet export {export_seconds:.1f} s ({exported['stage changes']:,} stage changes, "
        f"{megabytes:.0f} MiB)")  # fmt: skip
    theirs = duckdb_funnels(directory, pipeline.pk, actor.workspace.timezone, runs)
    names = dict(Stage.objects.filter(pipeline=pipeline).values_list("id", "name"))
    log(f"  cohort funnel {COHORT[0]} … {COHORT[1]}: stage, ours, DuckDB")
    for key in sorted(ours["funnel"].keys() | theirs["funnel"].keys(),
                      key=lambda k: -ours["funnel"].get(k, [0])[0]):  # fmt: skip
        stage = names.get(int(key.split("/")[1]), key)
        log(f"    {stage:<24} {ours['funnel'].get(key, [0])[0]:>9,} "
            f"{theirs['funnel'].get(key, [0])[0]:>9,}")  # fmt: skip
    differences = {name: same_cells(ours[name], theirs[name]) for name in FUNNEL_REPORTS}
    for name, found in differences.items():
        cells = len(ours[name])
        log(
            f"  {name}: {cells:,} non-empty cells ({ours['owners']} owners), "
            + ("EQUAL to DuckDB" if not found else f"{len(found)} DIFFER: {found[:10]}")
        )
    print(json.dumps({
        "label": label, "version": database_version(), "sizes": sizes, "timings": ours["timings"],
        **{f"duckdb_{n}": theirs[f"duckdb_{n}"] for n in FUNNEL_REPORTS},
        "duckdb_threads": theirs["threads"], "export_seconds": export_seconds,
        "parquet_mib": megabytes, "differences": differences,
        "details": {k: v for k, v in ours.items() if k not in ("timings", *FUNNEL_REPORTS)},
    }))  # fmt: skip


# --- the table (parent process) --------------------------------------------------------------


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())  # fmt: skip
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    total = memory.splitlines()[1].split()[1] if memory else "?"
    import duckdb

    return (f"{platform.node()} · {cpu} · {os.cpu_count()} cores · {total} memory · "
            f"Python {platform.python_version()} · DuckDB {duckdb.__version__} · "
            f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")  # fmt: skip


def table(results: list[dict[str, Any]], runs: int) -> str:
    by_label = {r["label"]: r for r in results}
    labels = [label for label in ("SQLite", "PostgreSQL") if label in by_label]
    header = f"{'report':<34}" + "".join(f"{label + ' ms':>15}" for label in labels)
    header += f"{'DuckDB ms':>12}" + "".join(f"{label + '/DuckDB':>19}" for label in labels)
    lines = [f"median of {runs} runs after a warm-up", header, "-" * len(header)]
    for name, title in REPORTS.items():
        ours = [statistics.median(by_label[label]["timings"][name]) for label in labels]
        line = f"{title:<34}" + "".join(f"{ms:>15.1f}" for ms in ours)
        if name in FUNNEL_REPORTS:
            # DuckDB scans each database's own export; the figure is over all of its runs
            duck = statistics.median(
                ms for label in labels for ms in by_label[label][FUNNEL_REPORTS[name]]
            )
            line += f"{duck:>12.1f}" + "".join(f"{ms / duck:>19.2f}" for ms in ours)
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--deals", type=int, help="instead of the scale's number, for a trial")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test",
                        help="a server URL; the benchmark uses its own database there")  # fmt: skip
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded databases")
    parser.add_argument("--seed-only", action="store_true", help="seed, and measure nothing")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        measure(options.measure, options.runs)
        return
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    urls = {"SQLite": f"sqlite:///{SQLITE_FILE}", "PostgreSQL": postgres_url(options.postgres)}
    chosen = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    unknown = set(options.databases.split(",")) - chosen.keys()
    if unknown:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))}")
    labels = [chosen[name] for name in chosen if name in options.databases.split(",")]
    for label in labels:
        if options.skip_seed:
            record = reuse(label, options.scale, options.deals)
            log(f"{label}: reusing the seed of --scale {record['scale']} "
                f"(seeded in {record['seed_seconds']} s)")  # fmt: skip
        else:
            seed(label, options.postgres, options.scale, options.deals)
    if options.seed_only:
        return
    results = [measure_in_child(label, urls[label], options.runs) for label in labels]
    print(machine())
    for result in results:
        sizes = ", ".join(f"{k} {v:,}" for k, v in result["sizes"].items())
        print(f"{result['version']}: {sizes}; Parquet export {result['export_seconds']:.1f} s "
              f"({result['parquet_mib']:.0f} MiB), DuckDB threads {result['duckdb_threads']}; "
              f"{result['details']}")  # fmt: skip
    print(table(results, options.runs))
    failed = [
        f"{result['label']} {name}: {len(found)} cells differ"
        for result in results
        for name, found in result["differences"].items()
        if found
    ]
    if failed:
        sys.exit("COUNTS DIFFER FROM DUCKDB: " + "; ".join(failed))
    print("Cohort funnel counts and amounts (overall and per owner) equal DuckDB's.")


if __name__ == "__main__":
    main()
