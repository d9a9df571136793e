"""The automatic return to the pool, with activity dates made by hand around the edges.

Rules in every test: return after N = 30 days without follow-up, warn W = 5 days before.
So at `now` a customer last followed up at or before now − 30 days returns, and one last
followed up in (now − 30 days, now − 25 days] gets a warning.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity
from salesflow.core.models import AuditRecord, Notification
from salesflow.customers import pool
from salesflow.customers import sweep as sweep_module
from salesflow.customers.models import Customer, PoolEvent, SearchTerm
from salesflow.customers.sweep import SweepResult, sweep
from tests.conftest import World, make_customer, make_deal

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def now(world: World) -> datetime.datetime:
    pool.update_rules(world.admin, None, {"return_after_days": 30, "warn_days_before": 5})
    return timezone.now()


def owned_since(customer: Customer, at: datetime.datetime) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(owner_since=at)
    customer.refresh_from_db()
    return customer


def followed_up(
    world: World, customer: Customer, at: datetime.datetime, *, done: bool = True
) -> None:
    """An activity on the customer: done at `at`, or created at `at` and not done yet."""
    activity = create_activity(
        world.rep_east,
        {"kind": "call" if done else "task", "subject": "Follow-up", "customer_id": customer.pk},
    )
    Activity.objects.filter(pk=activity.pk).update(
        created_at=at - DAY if done else at, done_at=at if done else None
    )


def quiet_customer(
    world: World, name: str, last_touch: datetime.datetime | None, now: datetime.datetime
) -> Customer:
    """A customer owned for 90 days, last followed up at `last_touch` (or never)."""
    customer = owned_since(make_customer(world.rep_east, name=name), now - 90 * DAY)
    if last_touch is not None:
        followed_up(world, customer, last_touch)
    return customer


def owner_of(customer: Customer) -> int | None:
    return Customer.objects.get(pk=customer.pk).owner_id


def test_a_customer_returns_on_the_nth_day_and_not_a_minute_before(world: World, now) -> None:
    # given one customer last called 30 days and a minute ago, one 30 days less a minute ago
    due = quiet_customer(world, "Due", now - 30 * DAY - MINUTE, now)
    kept = quiet_customer(world, "Kept", now - 30 * DAY + MINUTE, now)
    exactly = quiet_customer(world, "Exactly", now - 30 * DAY, now)

    # when the sweep runs
    result = sweep(now, [world.admin.workspace_id])

    # then the first and the one at exactly 30 days return; the other stays (and is warned)
    assert (owner_of(due), owner_of(exactly)) == (None, None)
    assert owner_of(kept) == world.rep_east.user_id
    assert result == SweepResult(returned=2, warned=1)
    # and each return is an event, an audit record, a notice to the owner, and the search
    # terms lose the owner
    rep = world.rep_east.user_id
    assert list(
        PoolEvent.objects.filter(customer=due).values_list(
            "kind", "user_id", "previous_owner_id", "owner_id"
        )
    ) == [("return", None, rep, None)]
    assert AuditRecord.objects.filter(entity_id=due.pk, action="return").get().changes == {
        "owner_id": [rep, None]
    }
    assert not SearchTerm.objects.filter(customer=due, owner__isnull=False).exists()
    assert Notification.objects.filter(user_id=rep, kind="pool.returned").count() == 2


def test_the_owner_is_warned_w_days_before_with_the_day_of_return(world: World, now) -> None:
    # given customers last followed up 25 days and a minute ago (inside the warning window)
    # and 25 days less a minute ago (not yet)
    warned = quiet_customer(world, "Warned", now - 25 * DAY - MINUTE, now)
    quiet_customer(world, "Not yet", now - 25 * DAY + MINUTE, now)

    # when the sweep runs
    result = sweep(now, [world.admin.workspace_id])

    # then only the first owner is warned, of the day it returns: 30 days after the last
    # follow-up, i.e. 5 days less a minute from now, as a day in Shanghai
    assert result == SweepResult(returned=0, warned=1)
    notice = Notification.objects.get(kind="pool.warning")
    shanghai = ZoneInfo("Asia/Shanghai")
    returns_on = (now - 25 * DAY - MINUTE + 30 * DAY).astimezone(shanghai).date()
    assert (notice.user_id, notice.on, notice.params) == (
        world.rep_east.user_id,
        returns_on,
        {"customer": "Warned"},
    )
    assert notice.link == f"/customers/{warned.pk}/"
    assert owner_of(warned) == world.rep_east.user_id


def test_the_claim_or_assignment_date_counts_when_it_is_later(world: World, now) -> None:
    # given a customer called 40 days ago but claimed 10 days ago, one never called and
    # owned for 31 days, and one whose open task was created 31 days ago
    claimed = owned_since(make_customer(world.rep_east, name="Claimed"), now - 10 * DAY)
    followed_up(world, claimed, now - 40 * DAY)
    never = owned_since(make_customer(world.rep_east, name="Never"), now - 31 * DAY)
    task = quiet_customer(world, "Task", None, now)
    followed_up(world, task, now - 31 * DAY, done=False)

    sweep(now, [world.admin.workspace_id])

    assert owner_of(claimed) == world.rep_east.user_id
    assert (owner_of(never), owner_of(task)) == (None, None)


def test_customers_with_open_deals_are_exempt_unless_the_rules_say_otherwise(
    world: World, now
) -> None:
    # given a quiet customer with an open deal
    customer = quiet_customer(world, "Open deal", now - 60 * DAY, now)
    make_deal(world.rep_east, customer)

    # then the default rules keep it with its owner, and warn nobody
    assert sweep(now, [world.admin.workspace_id]) == SweepResult(0, 0)
    assert owner_of(customer) == world.rep_east.user_id

    # when the admin turns the exemption off, it returns
    pool.update_rules(world.admin, None, {"exempt_open_deals": False})
    assert sweep(now, [world.admin.workspace_id]) == SweepResult(1, 0)
    assert owner_of(customer) is None


def test_running_the_sweep_twice_changes_nothing_more(world: World, now) -> None:
    quiet_customer(world, "Due", now - 31 * DAY, now)
    quiet_customer(world, "Warned", now - 27 * DAY, now)
    first = sweep(now, [world.admin.workspace_id])
    counts = (PoolEvent.objects.count(), Notification.objects.count(), AuditRecord.objects.count())

    second = sweep(now + MINUTE, [world.admin.workspace_id])

    assert (first, second) == (SweepResult(1, 1), SweepResult(0, 0))
    assert (
        PoolEvent.objects.count(),
        Notification.objects.count(),
        AuditRecord.objects.count(),
    ) == counts


def test_the_sweep_is_off_at_zero_days_and_reads_each_workspace_own_rules(
    world: World, other_world: World, now
) -> None:
    here = quiet_customer(world, "Here", now - 400 * DAY, now)
    there = owned_since(make_customer(other_world.rep_east, name="There"), now - 400 * DAY)

    assert sweep(now) == SweepResult(1, 0)

    assert owner_of(here) is None
    assert owner_of(there) == other_world.rep_east.user_id


def test_customers_come_in_batches(world: World, now, monkeypatch) -> None:
    # given five due customers and batches of two
    monkeypatch.setattr(sweep_module, "BATCH", 2)
    for n in range(5):
        quiet_customer(world, f"Due {n}", now - 31 * DAY, now)

    assert sweep(now, [world.admin.workspace_id]) == SweepResult(5, 0)
    assert not Customer.objects.filter(owner__isnull=False).exists()
