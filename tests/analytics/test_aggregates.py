"""The aggregates kept at write time always equal a rebuild from StageChange."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.analytics.aggregates import _offsets, rebuild
from salesflow.analytics.models import (
    CohortByCustomer,
    CohortMonthly,
    DealFact,
    EntriesByCustomer,
    OutcomeMonthly,
    OutcomesByCustomer,
    StageDaily,
    StageMonthly,
    StageStay,
    StayMonthly,
    StaysByCustomer,
    WorkspaceStayDaily,
    WorkspaceStayMonthly,
)
from salesflow.core.errors import ValidationFailed
from salesflow.core.models import Workspace
from salesflow.core.scoping import visible
from salesflow.customers.services import update_customer
from salesflow.pipeline.models import Deal, Stage, StageChange
from salesflow.pipeline.services import deals as deal_services
from salesflow.pipeline.services.pipelines import reorder_stages
from tests.conftest import World, make_deal

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


def snapshot(workspace_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """Every aggregate row of the workspace, without surrogate ids."""
    return {
        "facts": set(
            DealFact.objects.filter(workspace_id=workspace_id).values_list(
                "deal_id", "pipeline_id", "owner_id", "customer_id", "created_on",
                "furthest_stage_id", "outcome", "closed_on", "cycle_days", "amount",
                "source_channel", "industry", "region",
            )
        ),
        "daily": set(
            StageDaily.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "day", "stage_id", "owner_id", "entered", "entered_amount"
            )
        ),
        "stays": set(
            StageStay.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "day", "stage_id", "owner_id", "days", "stays"
            )
        ),
        "monthly": set(
            StageMonthly.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "month", "stage_id", "owner_id", "entered", "entered_amount"
            )
        ),
        "monthly stays": set(
            StayMonthly.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "month", "stage_id", "days", "owner_id", "stays"
            )
        ),
        "workspace stays": set(
            WorkspaceStayDaily.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "day", "stage_id", "days", "stays"
            )
        ),
        "workspace monthly stays": set(
            WorkspaceStayMonthly.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "month", "stage_id", "days", "stays"
            )
        ),
        "cohorts": set(
            CohortMonthly.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "month", "furthest_stage_id", "outcome", "owner_id", "deals",
                "amount",
            )
        ),
        "outcomes": set(
            OutcomeMonthly.objects.filter(workspace_id=workspace_id).values_list(
                "pipeline_id", "month", "outcome", "cycle_days", "owner_id", "deals", "amount"
            )
        ),
        **{
            f"{model.__name__}": set(
                model.objects.filter(workspace_id=workspace_id).values_list(
                    *(f.attname for f in model._meta.concrete_fields
                      if f.attname not in ("id", "workspace_id"))
                )
            )
            for model in (CohortByCustomer, EntriesByCustomer, StaysByCustomer,
                          OutcomesByCustomer)
        },
    }  # fmt: skip


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "move",
                "move",
                "move",
                "won",
                "lost",
                "reopen",
                "amount",
                "owner",
                "industry",
                "delete",
            ]
        ),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=0, max_value=60),  # hours until the next operation
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_incremental_equals_rebuilt_after_random_histories(
    world: World, monkeypatch: pytest.MonkeyPatch, operations: list[tuple[str, int, int]]
) -> None:
    # given a pipeline without exit criteria, so every move the operations draw is allowed
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    stages = world.open_stages()
    owners = [world.rep_east, world.rep_shanghai]
    # the clock runs on from the last recorded move: examples share the database, and time
    # never runs backwards for a real workspace
    last = StageChange.objects.filter(workspace_id=world.admin.workspace_id).aggregate(m=Max("at"))
    clock = [max(START, last["m"] or START)]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    deals = list(Deal.objects.filter(workspace_id=world.admin.workspace_id, trashed_at=None))

    # when a random history of creates, moves, closes, reopens, edits and deletes is written
    for name, pick, hours in operations:
        clock[0] += datetime.timedelta(hours=hours)
        if name == "create" or not deals:
            deals.append(make_deal(world.boss, amount=Decimal(pick * 100) or None,
                                   owner_id=owners[pick % 2].user_id))  # fmt: skip
            continue
        deal = Deal.objects.get(pk=deals[pick % len(deals)].pk)
        try:
            if name == "move":
                deal_services.move_deal(world.boss, deal.pk, stages[pick % len(stages)].pk, None)
            elif name in ("won", "lost"):
                deal_services.close_deal(
                    world.boss, deal.pk, outcome=name, reason="Price too high", version=None
                )
            elif name == "reopen":
                deal_services.reopen_deal(world.boss, deal.pk, version=None)
            elif name == "amount":
                deal_services.update_deal(world.boss, deal.pk, None, {"amount": Decimal(pick)})
            elif name == "owner":
                owner = owners[pick % 2].user_id
                deal_services.update_deal(world.boss, deal.pk, None, {"owner_id": owner})
            elif name == "industry":
                values = {"industry": ("I0", "I1", "")[pick % 3], "region": f"R{pick % 2}"}
                update_customer(world.boss, deal.customer_id, None, values)
            elif name == "delete":
                deal_services.delete_deal(world.boss, deal.pk)
                deals.remove(next(d for d in deals if d.pk == deal.pk))
        except ValidationFailed:
            pass  # a move the rules refuse changes nothing, which is part of what is checked

    # then the aggregates kept along the way equal the ones rebuilt from StageChange
    kept = snapshot(world.admin.workspace_id)
    rebuild(world.admin.workspace_id)
    assert snapshot(world.admin.workspace_id) == kept


def test_a_move_counts_an_entry_and_ends_a_stay(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a deal of 500 created on 1 March 09:00 UTC (17:00 in Shanghai)
    clock = [START]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    stages = world.open_stages()
    deal = make_deal(world.rep_east, amount=Decimal(500))

    # when it moves on 3 March 20:00 UTC (4 March 04:00 in Shanghai): 2 days 11 hours later
    clock[0] = datetime.datetime(2026, 3, 3, 20, 0, tzinfo=datetime.UTC)
    deal_services.move_deal(world.rep_east, deal.pk, stages[2].pk, None)

    # then the first stage counts one entry on 1 March and one 2-day stay ended on 4 March
    daily = StageDaily.objects.get(stage=stages[0])
    assert (daily.day, daily.entered, daily.entered_amount) == (
        datetime.date(2026, 3, 1),
        1,
        Decimal(500),
    )
    stay = StageStay.objects.get(stage=stages[0])
    assert (stay.day, stay.days, stay.stays) == (datetime.date(2026, 3, 4), 2, 1)
    # and so do the workspace's stays, per day and per month, which only an admin may read
    total = WorkspaceStayDaily.objects.get(stage=stages[0])
    assert (total.day, total.days, total.stays) == (datetime.date(2026, 3, 4), 2, 1)
    month = WorkspaceStayMonthly.objects.get(stage=stages[0])
    assert (month.month, month.days, month.stays) == (datetime.date(2026, 3, 1), 2, 1)
    assert visible(WorkspaceStayDaily, world.admin).count() == 1
    for reader in (world.boss, world.rep_east):  # the boss manages the whole team tree
        assert not visible(WorkspaceStayDaily, reader).exists()
        assert not visible(WorkspaceStayMonthly, reader).exists()
    # and the deal has passed the skipped stage: its furthest stage is the third
    fact = DealFact.objects.get(deal=deal)
    assert (fact.furthest_stage_id, fact.outcome, fact.closed_on) == (stages[2].pk, "open", None)

    # when it is closed as won on 10 March 09:00 UTC, 9 days after it was created
    clock[0] = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
    deal.refresh_from_db()
    deal_services.close_deal(world.rep_east, deal.pk, outcome="won", version=None)

    # then the fact records the close and the cycle (created_at is the real clock's moment)
    fact.refresh_from_db()
    deal.refresh_from_db()
    assert fact.outcome == "won"
    assert fact.closed_on == datetime.date(2026, 3, 10)
    assert fact.cycle_days == max((clock[0] - deal.created_at).days, 0)


def test_reordering_stages_moves_the_furthest_stage(world: World) -> None:
    # given a deal that went S0 → S1 → back to S0: its furthest stage is S1
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    stages = world.stages
    deal = make_deal(world.rep_east)
    deal_services.move_deal(world.rep_east, deal.pk, stages[1].pk, None)
    deal_services.move_deal(world.rep_east, deal.pk, stages[0].pk, None)
    assert DealFact.objects.get(deal=deal).furthest_stage_id == stages[1].pk

    # when the admin puts S1 before S0
    order = [stages[1].pk, stages[0].pk, *(s.pk for s in stages[2:])]
    reorder_stages(world.admin, world.pipeline.pk, world.pipeline.version, order)

    # then S0 is now the furthest stage it reached, as a rebuild also finds
    assert DealFact.objects.get(deal=deal).furthest_stage_id == stages[0].pk
    kept = snapshot(world.admin.workspace_id)
    rebuild(world.admin.workspace_id)
    assert snapshot(world.admin.workspace_id) == kept


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_rebuild_counts_days_and_stays_as_moves_do_across_daylight_saving_and_fractions(
    world: World, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    # given a workspace in a zone (New York changes clocks on 8 March 2026) and a deal created
    # half a second past 23:59:59 local time before the change
    Workspace.objects.filter(pk=world.admin.workspace_id).update(timezone=zone)
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    stages = world.open_stages()
    at = datetime.datetime(2026, 3, 8, 4, 59, 59, 500_000, tzinfo=datetime.UTC)
    clock = [at]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    deal = make_deal(world.rep_east, amount=Decimal("1234.56"))

    # when it moves 0.3 s short of one day later, then exactly one day after that, then closes
    for step, stage in (
        (datetime.timedelta(days=1, microseconds=-300_000), stages[1]),
        (datetime.timedelta(days=1), stages[2]),
    ):
        clock[0] += step
        deal_services.move_deal(world.rep_east, deal.pk, stage.pk, None)
    clock[0] += datetime.timedelta(hours=23)
    deal_services.close_deal(world.rep_east, deal.pk, outcome="won", version=None)

    # then the stays last 0 and 1 whole days, and a rebuild finds every row the moves wrote
    assert sorted(
        StageStay.objects.filter(workspace_id=world.admin.workspace_id).values_list(
            "stage_id", "days"
        )
    ) == sorted([(stages[0].pk, 0), (stages[1].pk, 1), (stages[2].pk, 0)])
    kept = snapshot(world.admin.workspace_id)
    rebuild(world.admin.workspace_id)
    assert snapshot(world.admin.workspace_id) == kept


def test_sqlite_reads_days_through_the_zones_offsets_found_to_the_second() -> None:
    # New York's clocks went forward at 02:00 EST on 8 March 2026 (07:00 UTC) and back at
    # 02:00 EDT on 1 November (06:00 UTC); Shanghai has kept UTC+8 all year
    year = (
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 31, tzinfo=datetime.UTC),
    )
    assert _offsets(ZoneInfo("America/New_York"), *year) == (
        ("", -5 * 3600),
        ("2026-03-08 07:00:00", -4 * 3600),
        ("2026-11-01 06:00:00", -5 * 3600),
    )
    assert _offsets(ZoneInfo("Asia/Shanghai"), *year) == (("", 8 * 3600),)


def test_the_migration_counts_by_customer_column_as_a_rebuild_does(history: World) -> None:
    # given the history's counts rebuilt, then its counts by customer column removed
    values = {"industry": "Energy", "source_channel": "Referral", "region": "East"}
    update_customer(history.admin, Deal.objects.get(name="B").customer_id, None, values)
    rebuild(history.admin.workspace_id)
    rebuilt = snapshot(history.admin.workspace_id)
    tables = (CohortByCustomer, EntriesByCustomer, StaysByCustomer, OutcomesByCustomer)
    assert all(model.objects.exists() for model in tables)
    for model in tables:
        model.objects.all().delete()

    # when the migration that added them fills them from the counts already kept
    migration = importlib.import_module(
        "salesflow.analytics.migrations.0009_counts_by_customer_column"
    )
    migration.count_by_customer_column(django_apps, SimpleNamespace(connection=connection))

    # then they hold what the rebuild wrote
    assert snapshot(history.admin.workspace_id) == rebuilt
