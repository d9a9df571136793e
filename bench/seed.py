"""Time `salesflow seed` on SQLite and PostgreSQL: seconds and rows written per second.

    python bench/seed.py --scale medium [--postgres postgres://postgres@127.0.0.1:5432/test]

Each run seeds a fresh database (a temporary SQLite file; a PostgreSQL database named
salesflow_bench that is dropped and created again), so figures do not depend on earlier runs.
Besides the whole command's time it reports the two parts the command prints: generating
and writing the rows, and rebuilding the analytics aggregates. The seed's progress lines go
to standard error as it runs, which a large seed needs to be watched.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

COUNTS = re.compile(r"(teams|users|customers|contacts|deals|stage changes|activities) ([\d,]+)")
PARTS = re.compile(r"in ([\d.]+) s; analytics aggregates rebuilt in ([\d.]+) s")
BENCH_DB = "salesflow_bench"


def salesflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "salesflow", *args], env=env, check=True, stdout=subprocess.PIPE
    )
    return done.stdout.decode()


def fresh_postgres(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def run(label: str, database_url: str, var_dir: str, scale: str, deals: list[str]) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SALESFLOW_VAR_DIR": var_dir,
        "SALESFLOW_LANGUAGE": "en",  # the counts are read from the English summary
    }
    salesflow(env, "migrate", "--noinput", "-v0")
    salesflow(env, "create_workspace", "Bench", "--admin", "bench", "--password", "bench-pass-1")
    started = time.perf_counter()
    output = salesflow(env, "seed", "--workspace", "Bench", "--scale", scale, "--seed", "42",
                       "--anchor", "2026-11-01", *deals)  # fmt: skip
    seconds = time.perf_counter() - started
    counts = {name: int(value.replace(",", "")) for name, value in COUNTS.findall(output)}
    rows = sum(counts.values())
    parts = PARTS.search(output)
    generated, aggregates = (float(part) for part in parts.groups()) if parts else (0.0, 0.0)
    print(f"{label:<11} scale {scale:<7} {seconds:8.1f} s  {rows:>11,} rows  "
          f"{rows / seconds:>9,.0f} rows/s  deals {counts['deals']:,}  "
          f"stage changes {counts['stage changes']:,}  "
          f"(generating {generated:.1f} s, aggregates {aggregates:.1f} s)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--deals", type=int, help="instead of the scale's number, for a trial")
    options = parser.parse_args()
    deals = ["--deals", str(options.deals)] if options.deals else []
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as var_dir:
        databases = options.databases.split(",")
        if "sqlite" in databases:
            url = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
            run("SQLite", url, var_dir, options.scale, deals)
        if "postgres" in databases:
            run("PostgreSQL", fresh_postgres(options.postgres), var_dir, options.scale, deals)


if __name__ == "__main__":
    main()
