"""Time the customer search with 1,000,000 customers on SQLite and PostgreSQL.

    python bench/search.py [--customers 1000000] [--databases sqlite,postgres]
                           [--postgres postgres://postgres@127.0.0.1:5432/test] [--reuse]

Each database is fresh: the SQLite file var/bench/search/search.sqlite3 is deleted and made
again, the PostgreSQL database salesflow_bench_search dropped and created again. One workspace
gets 200 reps, a sales director (a manager of the team all reps are in) and the customers,
written in bulk with their search terms exactly as the services write them (half companies,
half people; mostly Chinese names in characters, some English; mobile or landline numbers;
e-mail addresses for about half). One known customer, 单雄信, belongs to the first rep.
`--reuse` measures again on the databases a previous run filled, without filling them.

Each figure is the time of one page (25 customers) through `queries.customers`, which the
customer list page and `GET /api/v1/customers` both call: a search, or the A–Z letter list.
Median of the runs after one warm-up run, as the admin (who sees every customer), as the
director (a manager who sees every rep's customers through the team tree) and as a rep (who
sees only their own, about 5,000).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import database_url, fresh_postgres, salesflow

BENCH_DB = "salesflow_bench_search"
VAR_DIR = Path(__file__).resolve().parents[1] / "var" / "bench" / "search"
REPS = 200
BATCH = 10_000
RUNS = 10
PAGE = 25
KNOWN = ("单雄信", "13800138000", "shan.xiongxin@example.cn")
SEARCHES = (
    ("name", "单雄信"),
    ("pinyin, full", "shanxiongxin"),
    ("pinyin, initials", "sxx"),
    ("phone, other format", "+86 138 0013 8000"),
    ("email", "shan.xiongxin@example.cn"),
    ("1-letter prefix", "z"),
    ("part of a name", "雄信"),
)


def prepare(label: str, url: str, customers: int, reuse: bool) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SALESFLOW_VAR_DIR": str(VAR_DIR)}
    if not reuse:
        salesflow(env, "migrate", "--noinput", "-v0")
        salesflow(env, "create_workspace", "Bench", "--admin", "bench", "--password",
                  "bench-pass-1", "--language", "zh-hans")  # fmt: skip
    subprocess.run([sys.executable, __file__, "--measure", label, "--customers", str(customers),
                    *(["--reuse"] if reuse else [])], env=env, check=True)  # fmt: skip


def fill(customers: int) -> None:
    """The organisation, then the customers and their search terms in one transaction."""
    import random

    from django.contrib.auth.models import User
    from django.db import transaction

    from salesflow.core.bulk import bulk_writing, insert_rows, reserve_ids
    from salesflow.core.models import Membership, Role, Team, Workspace
    from salesflow.core.services import create_team
    from salesflow.customers.models import Customer, CustomerKind, SearchTerm
    from salesflow.customers.search import TERM_FIELDS, term_rows
    from salesflow.customers.terms import initial_of
    from salesflow.demo.vocabulary import SALES_REGIONS

    workspace = Workspace.objects.get(name="Bench")
    rng = random.Random(42)
    cities = [city for region in SALES_REGIONS for team in region.teams for city in team.cities]
    fields = ("id", "workspace", "owner", "kind", "name", "phone", "email", "initial")
    started = time.monotonic()
    with transaction.atomic(), bulk_writing():
        sales: Team = create_team(None, workspace, "Sales", None)
        users = User.objects.bulk_create(
            [User(username=f"bench.rep{n}") for n in range(1, REPS + 1)]
            + [User(username="bench.director")]
        )
        Membership.objects.bulk_create(
            Membership(workspace=workspace, user=user, role=Role.REP, team=sales)
            for user in users[:-1]
        )
        director = Membership.objects.create(
            workspace=workspace, user=users[-1], role=Role.MANAGER, team=sales
        )
        director.manages.add(sales)
        owners = [user.pk for user in users[:-1]]
        written = terms = 0
        while written < customers:
            count = min(BATCH, customers - written)
            rows: list[tuple[object, ...]] = []
            term_batch: list[tuple[int, int, int, int, str]] = []
            for pk in reserve_ids(Customer, count):
                owner = rng.choice(owners)
                if written == 0 and not rows:
                    owner, kind, (name, phone, email) = owners[0], str(CustomerKind.PERSON), KNOWN
                else:
                    kind, name, phone, email = draw_customer(rng, cities)
                person_kind = kind == CustomerKind.PERSON
                rows.append(
                    (pk, workspace.pk, owner, kind, name, phone, email,
                     initial_of(name, person=person_kind))
                )  # fmt: skip
                term_batch.extend(
                    term_rows(
                        workspace_id=workspace.pk, owner_id=owner, customer_id=pk, kind=kind,
                        name=name, phone=phone, email=email,
                    )
                )  # fmt: skip
            insert_rows(Customer, fields, rows)
            insert_rows(SearchTerm, TERM_FIELDS, term_batch)
            written += count
            terms += len(term_batch)
            print(f"\r  {written:,} customers, {terms:,} terms, "
                  f"{time.monotonic() - started:.0f} s", end="", file=sys.stderr)  # fmt: skip
    print(file=sys.stderr)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  filled {written:,} customers and {terms:,} search terms in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip


def draw_customer(rng: Any, cities: list[Any]) -> tuple[str, str, str, str]:
    """Kind, name, phone and e-mail of a customer: half companies, half people."""
    from salesflow.customers.models import CustomerKind
    from salesflow.demo.names import company_name, landline, mobile, person_name
    from salesflow.demo.vocabulary import INDUSTRIES, PERSONAL_MAIL_DOMAINS

    if rng.random() < 0.5:
        city = rng.choice(cities)
        chinese = rng.random() < 0.85
        company = company_name(rng, rng.choice(INDUSTRIES), city, chinese=chinese, hanzi=True)
        email = f"info@{company.domain}" if rng.random() < 0.5 else ""
        return CustomerKind.COMPANY, company.name, landline(rng, city), email
    person = person_name(rng, rng.random() < 0.85)
    email = ""
    if rng.random() < 0.5:
        domain = rng.choice(PERSONAL_MAIL_DOMAINS)
        email = f"{person.mail_name}{rng.randint(1, 999)}@{domain}"
    return CustomerKind.PERSON, person.full, mobile(rng), email


def median_ms(timed: list[float]) -> float:
    return statistics.median(timed) * 1000


def measure(label: str, customers: int, reuse: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    django.setup()
    from django.contrib.auth.models import User

    from salesflow.core.models import Workspace
    from salesflow.core.pagination import page_of
    from salesflow.core.scoping import Actor
    from salesflow.customers import queries

    if not reuse:
        fill(customers)
    workspace = Workspace.objects.get(name="Bench")
    actors = {
        "admin": Actor.of(User.objects.get(username="bench"), workspace),
        "director": Actor.of(User.objects.get(username="bench.director"), workspace),
        "rep": Actor.of(User.objects.get(username="bench.rep1"), workspace),
    }

    def timed(actor: Actor, filters: queries.CustomerFilter) -> tuple[float, int]:
        runs = []
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            rows = queries.customers(actor, filters)
            page, _next = page_of(rows, "name", None, PAGE)
            runs.append(time.perf_counter() - started)
        # The first run warms the caches and is left out.
        return median_ms(runs[1:]), len(page)

    cases = [(f"search {what}: {text}", queries.CustomerFilter(q=text)) for what, text in SEARCHES]
    cases.append(("A–Z letter page: Z", queries.CustomerFilter(initial="Z")))
    for case, filters in cases:
        figures = []
        for role, actor in actors.items():
            ms, found = timed(actor, filters)
            figures.append(f"{role} {ms:6.1f} ms ({found:2d})")
        print(f"{label:<11} {case:<44} " + "  ".join(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--reuse", action="store_true", help="measure without filling again")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        measure(options.measure, options.customers, options.reuse)
        return
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")  # fmt: skip
    print(f"page of {PAGE}; median of {RUNS} runs after one warm-up; (n) = customers on the page")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    databases = options.databases.split(",")
    if "sqlite" in databases:
        sqlite_file = VAR_DIR / "search.sqlite3"
        if not options.reuse:
            for stale in VAR_DIR.glob("search.sqlite3*"):
                stale.unlink()
        prepare("SQLite", f"sqlite:///{sqlite_file}", options.customers, options.reuse)
    if "postgres" in databases:
        try:
            url = (
                database_url(options.postgres, BENCH_DB)
                if options.reuse
                else fresh_postgres(options.postgres, BENCH_DB)
            )
        except Exception as unreachable:
            print(f"PostgreSQL  skipped: {unreachable}")
        else:
            prepare("PostgreSQL", url, options.customers, options.reuse)


if __name__ == "__main__":
    main()
