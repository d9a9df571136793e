"""Time the pipeline board with 10,000 open deals on SQLite and PostgreSQL.

    python bench/board.py [--deals 10000] [--postgres postgres://postgres@127.0.0.1:5432/test]

Each database is fresh (a temporary SQLite file; a PostgreSQL database named
salesflow_bench that is dropped and created again). `salesflow seed --scale small` makes the
organisation and its history; open deals are then added in bulk, each with the StageChange
that put it in its stage, until the default pipeline holds the number asked for. The figures
are the server time of the board page and of one column's "load more" request, as the admin
(who sees every deal), through Django's test client: the median of the runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import fresh_postgres, salesflow

BENCH_DB = "salesflow_bench"
RUNS = 10


def prepare(label: str, database_url: str, var_dir: str, deals: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SALESFLOW_VAR_DIR": var_dir}
    salesflow(env, "migrate", "--noinput", "-v0")
    salesflow(env, "create_workspace", "Bench", "--admin", "bench", "--password", "bench-pass-1",
              "--language", "en")  # fmt: skip
    salesflow(env, "seed", "--workspace", "Bench", "--scale", "small", "--seed", "42",
              "--anchor", "2026-11-01", "-v0")  # fmt: skip
    subprocess.run([sys.executable, __file__, "--measure", label, "--deals", str(deals)],
                   env=env, check=True)  # fmt: skip


def fill_open_deals(target: int) -> int:
    """Add open deals (and their StageChange) until the default pipeline has `target`."""
    import datetime
    import random

    from django.utils import timezone

    from salesflow.core.models import Membership, Workspace
    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import Deal, Pipeline, StageChange, StageKind

    workspace = Workspace.objects.get(name="Bench")
    pipeline = Pipeline.objects.get(workspace=workspace, is_default=True)
    stages = list(pipeline.stages.filter(kind=StageKind.OPEN))
    open_deals = Deal.objects.filter(pipeline=pipeline, stage__kind=StageKind.OPEN)
    missing = target - open_deals.count()
    rng = random.Random(42)
    owners = list(
        Membership.objects.filter(workspace=workspace, role="rep").values_list("user_id", flat=True)
    )
    customers = list(Customer.objects.filter(workspace=workspace).values_list("id", "owner_id"))
    now = timezone.now()
    new = []
    for number in range(missing):
        stage = rng.choice(stages)
        customer_id, owner_id = rng.choice(customers)
        new.append(
            Deal(
                workspace=workspace,
                name=f"Bench deal {number}",
                customer_id=customer_id,
                pipeline=pipeline,
                stage=stage,
                owner_id=owner_id or rng.choice(owners),
                amount=rng.randrange(1_000, 2_000_000),
                currency=workspace.base_currency,
                probability=stage.probability,
                stage_entered_at=now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 120)),
            )
        )
    created = Deal.objects.bulk_create(new, batch_size=1000)
    StageChange.objects.bulk_create(
        [
            StageChange(
                workspace=workspace,
                deal=d,
                pipeline=pipeline,
                to_stage=d.stage,
                at=d.stage_entered_at,
                owner_id=d.owner_id,
                amount=d.amount,
                currency=d.currency,
                probability=d.probability,
            )
            for d in created
        ],
        batch_size=1000,
    )
    return open_deals.count()


def median_ms(timed: list[float]) -> float:
    return statistics.median(timed) * 1000


def measure(label: str, deals: int) -> None:
    import re

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # Pages find static files where they lie: the benchmark does not run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    total = fill_open_deals(deals)
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    board, more = [], []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        response = client.get("/deals/board/")
        board.append(time.perf_counter() - started)
        assert response.status_code == 200
        url = re.search(r'class="board-more" hx-get="([^"]+)"', response.text)
        assert url, "no column has a second page"
        started = time.perf_counter()
        response = client.get(url.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true")
        more.append(time.perf_counter() - started)
        assert response.status_code == 200
    # The first run warms the caches (templates, connections) and is left out.
    print(f"{label:<11} open deals {total:,}  board page {median_ms(board[1:]):7.1f} ms  "
          f"load more {median_ms(more[1:]):6.1f} ms  (median of {RUNS})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        measure(options.measure, options.deals)
        return
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as var_dir:
        databases = options.databases.split(",")
        if "sqlite" in databases:
            sqlite_url = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
            prepare("SQLite", sqlite_url, var_dir, options.deals)
        if "postgres" in databases:
            try:
                url = fresh_postgres(options.postgres, BENCH_DB)
            except Exception as unreachable:
                print(f"PostgreSQL  skipped: {unreachable}")
            else:
                prepare("PostgreSQL", url, var_dir, options.deals)


if __name__ == "__main__":
    main()
