"""Time the import of 1,000,000 customers from CSV on SQLite and PostgreSQL, against a plain
bulk insert of the same rows.

    python bench/imports.py [--customers 1000000] [--databases sqlite,postgres]
                            [--postgres postgres://postgres@127.0.0.1:5432/test]
                            [--database salesflow_bench_imports]

The CSV (var/bench/imports/customers-N.csv, made once per N and then reused) holds N
customers drawn deterministically with the demo generator's names: half companies (no two
alike as the duplicate rules read names), half people, mostly Chinese; a unique mobile or
landline number each, an e-mail address for about
half, an industry, a region and an address. The reference and the import each get a fresh
database of their own, so that neither writes into tables the other has filled (the SQLite
file var/bench/imports/imports.sqlite3 is deleted and made again, the PostgreSQL database
salesflow_bench_imports, or the one `--database` names, dropped and created again), with the
same two workspaces:

- Reference: the file read with Python's csv module and its rows written with `bulk_create`
  in batches of 1,000 customers: no validation, no matching, no search terms.
- Bench: the import job's own code (`imports.execute`, which the worker runs), after the file
  was uploaded and its mapping confirmed (not timed): every row parsed and validated as the
  services validate it, matched by phone number against the customers already there (one
  query per batch of 1,000), written in bulk with its A–Z letter and its search terms.

It prints rows per second of each and their ratio, and refuses to print them if the two did
not write the same number of customers (every row of the file). Target: the import at 50 %
of the reference or more.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from support import fresh_postgres, salesflow

BENCH_DB = "salesflow_bench_imports"
VAR_DIR = Path(__file__).resolve().parents[1] / "var" / "bench" / "imports"
HEADERS = ("客户名称", "类型", "行业", "地区", "手机", "邮箱", "地址")
BATCH = 1000
SEED = 7
WORKSPACES = (("Reference", "reference"), ("Bench", "bench"))


def write_csv(path: Path, customers: int) -> None:
    """N distinct customers: each with a phone number of its own (the import matches by
    phone), and no two companies with one name as the duplicate rules read names (an import
    refuses a new customer that duplicates one already there)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    django.setup()
    from salesflow.customers.duplicate_keys import customer_keys
    from salesflow.demo.names import address, company_name, person_name
    from salesflow.demo.vocabulary import INDUSTRIES, MOBILE_PREFIXES, SALES_REGIONS

    rng = random.Random(SEED)
    names: set[tuple[str, str]] = set()
    cities = [city for region in SALES_REGIONS for team in region.teams for city in team.cities]
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for number in range(customers):
            city = rng.choice(cities)
            industry = rng.choice(INDUSTRIES)
            if rng.random() < 0.5:
                company = company_name(rng, industry, city, chinese=rng.random() < 0.85, hanzi=True)
                name, kind = company.name, "企业"
                keys = customer_keys(kind="company", name=name, phones=(), emails=())
                while keys & names:  # a name taken already: a branch of that company
                    name = f"{company.name}（{rng.choice(cities).name.zh}{number}分公司）"
                    keys = customer_keys(kind="company", name=name, phones=(), emails=())
                names |= keys
                phone = f"{city.area_code}-{number + 20_000_000:08d}"
                email = f"info{number}@{company.domain}" if rng.random() < 0.5 else ""
            else:
                person = person_name(rng, rng.random() < 0.85)
                name, kind = person.full, "个人"
                phone = f"{rng.choice(MOBILE_PREFIXES)}{number:08d}"
                email = f"{person.mail_name}{number}@example.cn" if rng.random() < 0.5 else ""
            region = city.region(True)
            writer.writerow(
                (name, kind, industry.name.zh, region, phone, email, address(rng, city, hanzi=True))
            )
    partial.rename(path)


def measure(part: str, path: Path) -> None:
    """Run one part, "reference" or "import", and print its seconds, the customers it wrote and
    the rows that failed."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.files import File
    from django.db import transaction
    from django.utils import translation

    from salesflow.core.models import Workspace
    from salesflow.core.scoping import Actor
    from salesflow.customers import imports
    from salesflow.customers.models import Customer, CustomerKind

    translation.activate("zh-hans")
    reference, bench = (
        Actor.of(User.objects.get(username=admin), Workspace.objects.get(name=workspace))
        for workspace, admin in WORKSPACES
    )

    if part == "reference":
        # the same rows, read and inserted as plainly as Django allows
        started = time.perf_counter()
        kinds = {"企业": CustomerKind.COMPANY, "个人": CustomerKind.PERSON}
        with path.open(encoding="utf-8", newline="") as handle, transaction.atomic():
            rows = csv.reader(handle)
            next(rows)
            batch: list[Customer] = []
            for name, kind, industry, region, phone, email, place in rows:
                batch.append(
                    Customer(
                        workspace_id=reference.workspace_id, owner_id=reference.user_id,
                        created_by_id=reference.user_id, updated_by_id=reference.user_id,
                        name=name, kind=kinds[kind], industry=industry, region=region,
                        phone=phone, email=email, address=place,
                    )
                )  # fmt: skip
                if len(batch) == BATCH:
                    Customer.objects.bulk_create(batch)
                    batch = []
            Customer.objects.bulk_create(batch)
        seconds = time.perf_counter() - started
        written = Customer.objects.filter(workspace_id=reference.workspace_id).count()
        failed = 0
    else:
        # the import job's code path, after the upload and the mapping (not timed)
        with path.open("rb") as handle:
            job = imports.upload(bench, "customers", File(handle, name=path.name))
        mapping = imports.suggested_mapping(bench, job)
        imports.start(
            bench, job.pk, mapping=mapping, match_key="phone", on_match="skip", dry_run=False
        )
        job.refresh_from_db()
        started = time.perf_counter()
        job = imports.execute(bench, job)
        seconds = time.perf_counter() - started
        written = Customer.objects.filter(workspace_id=bench.workspace_id).count()
        failed = job.failed
    print(f"{seconds:.3f} {written} {failed}")


def run_part(part: str, url: str, path: Path) -> tuple[float, int, int]:
    """A fresh database's schema and workspaces, then one part in a child process."""
    env = {**os.environ, "DATABASE_URL": url, "SALESFLOW_VAR_DIR": str(VAR_DIR / "var")}
    salesflow(env, "migrate", "--noinput", "-v0")
    for workspace, admin in WORKSPACES:
        salesflow(env, "create_workspace", workspace, "--admin", admin, "--password",
                  "bench-pass-1", "--language", "zh-hans")  # fmt: skip
    done = subprocess.run([sys.executable, __file__, "--measure", part, "--file", str(path)],
                          env=env, check=True, stdout=subprocess.PIPE, text=True)  # fmt: skip
    seconds, written, failed = done.stdout.split()[-3:]
    return float(seconds), int(written), int(failed)


def compare(label: str, fresh: Callable[[], str], path: Path, customers: int) -> None:
    """Time both parts, each on a fresh database, and print rows per second and the ratio."""
    reference_seconds, inserted, _none = run_part("reference", fresh(), path)
    import_seconds, imported, failed = run_part("import", fresh(), path)
    if failed or not imported == inserted == customers:
        print(f"{label:<11} REFUSED: the import wrote {imported:,} customers ({failed:,} rows "
              f"failed), the reference {inserted:,}, the file holds {customers:,}.")  # fmt: skip
        sys.exit(1)
    ours, theirs = imported / import_seconds, inserted / reference_seconds
    print(f"{label:<11} {imported:>10,} customers   "
          f"import {import_seconds:8.1f} s {ours:10,.0f} rows/s   "
          f"reference {reference_seconds:8.1f} s {theirs:10,.0f} rows/s   "
          f"ratio {ours / theirs:6.1%}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--database", default=BENCH_DB, help="the PostgreSQL database to use")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        measure(options.measure, Path(options.file))
        return
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")  # fmt: skip
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / f"customers-{options.customers}.csv"
    if not path.exists():
        write_csv(path, options.customers)
    print(f"{path.name}: {path.stat().st_size / 1e6:,.1f} MB")
    databases = options.databases.split(",")
    if "sqlite" in databases:
        sqlite_file = VAR_DIR / "imports.sqlite3"

        def fresh_sqlite() -> str:
            for stale in VAR_DIR.glob("imports.sqlite3*"):
                stale.unlink()
            return f"sqlite:///{sqlite_file}"

        compare("SQLite", fresh_sqlite, path, options.customers)
    if "postgres" in databases:
        try:
            fresh_postgres(options.postgres, options.database)
        except Exception as unreachable:
            print(f"PostgreSQL  skipped: {unreachable}")
        else:
            compare("PostgreSQL", lambda: fresh_postgres(options.postgres, options.database),
                    path, options.customers)  # fmt: skip


if __name__ == "__main__":
    main()
