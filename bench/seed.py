"""Time `salesflow seed` on SQLite and PostgreSQL: seconds and rows written per second.

    python bench/seed.py --scale medium [--postgres postgres://postgres@127.0.0.1:5432/test]

Each run seeds a fresh database (a temporary SQLite file; a PostgreSQL database named
salesflow_bench that is dropped and created again), so figures do not depend on earlier runs.
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
BENCH_DB = "salesflow_bench"


def salesflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "salesflow", *args], env=env, check=True, capture_output=True
    )
    return done.stdout.decode()


def fresh_postgres(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def run(label: str, database_url: str, var_dir: str, scale: str) -> None:
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
                       "--anchor", "2026-11-01", "-v0")  # fmt: skip
    seconds = time.perf_counter() - started
    counts = {name: int(value.replace(",", "")) for name, value in COUNTS.findall(output)}
    rows = sum(counts.values())
    print(f"{label:<11} scale {scale:<7} {seconds:8.1f} s  {rows:>11,} rows  "
          f"{rows / seconds:>9,.0f} rows/s  deals {counts['deals']:,}  "
          f"stage changes {counts['stage changes']:,}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["small", "medium"])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    options = parser.parse_args()
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as var_dir:
        databases = options.databases.split(",")
        if "sqlite" in databases:
            run("SQLite", f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}", var_dir, options.scale)
        if "postgres" in databases:
            run("PostgreSQL", fresh_postgres(options.postgres), var_dir, options.scale)


if __name__ == "__main__":
    main()
