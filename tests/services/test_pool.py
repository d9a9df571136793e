"""The public pool: release, claim (with its daily limit), assignment, events and scoping."""

from __future__ import annotations

import datetime

import pytest

from salesflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from salesflow.core.models import Notification
from salesflow.core.scoping import visible
from salesflow.customers import pool
from salesflow.customers.models import Contact, Customer, PoolEvent, PoolEventKind, SearchTerm
from salesflow.customers.queries import search
from salesflow.customers.services import update_customer
from salesflow.pipeline.services.deals import create_deal
from tests.conftest import World, make_contact, make_customer
from tests.services.support import error_pairs, row_counts

pytestmark = pytest.mark.django_db


def events_of(customer: Customer) -> list[tuple[str, int | None, int | None, int | None, str]]:
    return [
        (e.kind, e.user_id, e.owner_id, e.previous_owner_id, e.reason)
        for e in PoolEvent.objects.filter(customer=customer).order_by("id")
    ]


def released(world: World, name: str = "Huaxin Steel") -> Customer:
    customer = make_customer(world.rep_east, name=name)
    return pool.release_customer(world.rep_east, customer.pk, customer.version, "Moved away")


def test_release_claim_and_assign_each_record_an_event(world: World) -> None:
    # given a customer of rep_east
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    rep, other = world.rep_east.user_id, world.rep_west.user_id

    # when rep_east releases it, rep_west claims it, the boss releases it and assigns it back
    pool.release_customer(world.rep_east, customer.pk, customer.version, "  Budget frozen  ")
    pool.claim_customer(world.rep_west, customer.pk)
    customer.refresh_from_db()
    pool.release_customer(world.boss, customer.pk, customer.version, "Wrong region")
    pool.assign_customer(world.boss, customer.pk, rep)

    # then four events tell who did what, from and to whom, and why (trimmed)
    boss = world.boss.user_id
    assert events_of(customer) == [
        ("release", rep, None, rep, "Budget frozen"),
        ("claim", other, other, None, ""),
        ("release", boss, None, other, "Wrong region"),
        ("assign", boss, rep, None, ""),
    ]
    customer.refresh_from_db()
    assert customer.owner_id == rep
    # and the search terms follow the owner, so rep_east finds it again
    assert set(SearchTerm.objects.filter(customer=customer).values_list("owner_id", flat=True)) == {
        rep
    }
    assert [c.name for c in search(world.rep_east, "huaxin", 10)] == ["Huaxin Steel"]
    # and the new owner was told of the assignment
    assert Notification.objects.get(user_id=rep).kind == "pool.assigned"


def test_a_release_needs_a_reason_and_changes_nothing_without_one(world: World) -> None:
    customer = make_customer(world.rep_east)
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        pool.release_customer(world.rep_east, customer.pk, customer.version, "   ")
    assert error_pairs(refused.value) == [
        ("reason", "Say why the customer goes to the public pool.")
    ]
    assert row_counts() == before
    assert Customer.objects.get(pk=customer.pk).owner_id == world.rep_east.user_id


def test_only_the_owner_or_their_managers_release(world: World) -> None:
    customer = make_customer(world.rep_east)
    # a colleague does not even see it; a manager of another branch neither
    for outsider in (world.rep_west, world.rep_shanghai):
        with pytest.raises(NotFound):
            pool.release_customer(outsider, customer.pk, None, "Not mine")
    # a released customer cannot be released again
    pool.release_customer(world.east_manager, customer.pk, None, "Reorganised")
    with pytest.raises(Conflict) as again:
        pool.release_customer(world.east_manager, customer.pk, None, "Twice")
    assert str(again.value.detail) == "This customer is already in the public pool."


def test_a_stale_version_is_a_conflict(world: World) -> None:
    customer = make_customer(world.rep_east)
    update_customer(world.rep_east, customer.pk, customer.version, {"industry": "Steel"})
    with pytest.raises(Conflict):
        pool.release_customer(world.rep_east, customer.pk, customer.version, "Stale")


def test_reps_read_the_pool_but_not_in_their_own_list_managers_and_admins_see_it(
    world: World,
) -> None:
    # given a customer with a contact, released to the pool
    customer = make_customer(world.rep_east, name="Blue Lake")
    make_contact(world.rep_east, customer, name="Wang Fang")
    pool.release_customer(world.rep_east, customer.pk, None, "No budget")

    # then every rep reads it in the pool, but none has it among their customers
    for rep in (world.rep_east, world.rep_west):
        assert list(pool.pool_customers(rep)) == [customer]
        assert not visible(Customer, rep).filter(pk=customer.pk).exists()
        assert not visible(Contact, rep).filter(customer=customer).exists()
    # and managers and admins see it (and its contacts) as before
    for boss in (world.east_manager, world.boss, world.admin):
        assert visible(Customer, boss).filter(pk=customer.pk).exists()
        assert visible(Contact, boss).filter(customer=customer).count() == 1
    assert [c.name for c in search(world.east_manager, "blue", 10)] == ["Blue Lake"]
    assert search(world.rep_east, "blue", 10) == []


def test_the_pool_of_another_workspace_is_out_of_reach(world: World, other_world: World) -> None:
    foreign = released(other_world)
    assert list(pool.pool_customers(world.rep_east)) == []
    with pytest.raises(NotFound):
        pool.claim_customer(world.rep_east, foreign.pk)
    with pytest.raises(NotFound):
        pool.assign_customer(world.admin, foreign.pk, world.rep_east.user_id)


def test_two_claims_of_one_customer_one_after_the_other_the_second_is_a_conflict(
    world: World,
) -> None:
    customer = released(world)
    pool.claim_customer(world.rep_west, customer.pk)
    with pytest.raises(Conflict) as second:
        pool.claim_customer(world.rep_shanghai, customer.pk)
    assert "someone else took it first" in str(second.value.detail)
    assert Customer.objects.get(pk=customer.pk).owner_id == world.rep_west.user_id


def test_the_claim_limit_refuses_the_next_claim_naming_the_limit(world: World) -> None:
    # given a limit of 2 claims a day and three pool customers
    pool.update_rules(world.admin, None, {"claim_limit": 2})
    first, second, third = (released(world, f"Pool {n}") for n in range(3))

    # when rep_west claims two, both succeed
    pool.claim_customer(world.rep_west, first.pk)
    pool.claim_customer(world.rep_west, second.pk)

    # then the third (2 + 1) is refused with the limit in the message, and nothing changes
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        pool.claim_customer(world.rep_west, third.pk)
    assert error_pairs(refused.value) == [
        (
            "customer_id",
            "You may claim 2 customers from the public pool a day and have reached that "
            "limit; claim again tomorrow.",
        )
    ]
    assert row_counts() == before
    assert Customer.objects.get(pk=third.pk).owner_id is None
    # and the limit is each member's own: a colleague still claims it
    pool.claim_customer(world.rep_shanghai, third.pk)


def test_the_claim_limit_counts_from_midnight_in_the_workspace_time_zone(world: World) -> None:
    # given a limit of 1 in Shanghai's zone, and a claim recorded one minute before midnight
    pool.update_rules(world.admin, None, {"claim_limit": 1})
    zone = world.admin.workspace.timezone
    assert zone == "Asia/Shanghai"
    midnight = pool.day_start(zone, datetime.datetime.now(datetime.UTC))
    earlier, today, later = (released(world, f"Pool {n}") for n in range(3))
    PoolEvent.objects.create(
        workspace_id=world.admin.workspace_id,
        customer=earlier,
        kind=PoolEventKind.CLAIM,
        at=midnight - datetime.timedelta(minutes=1),
        user_id=world.rep_west.user_id,
        owner_id=world.rep_west.user_id,
    )

    # when rep_west claims today, yesterday's claim does not count
    pool.claim_customer(world.rep_west, today.pk)

    # then today's claim does, so the next is refused until tomorrow
    with pytest.raises(ValidationFailed):
        pool.claim_customer(world.rep_west, later.pk)
    # (midnight is 16:00 UTC the day before: Shanghai is UTC+8 all year)
    assert midnight.astimezone(datetime.UTC).hour == 16


def test_only_managers_and_admins_assign_and_only_to_whom_they_may(world: World) -> None:
    customer = released(world)
    with pytest.raises(Forbidden):
        pool.assign_customer(world.rep_west, customer.pk, world.rep_west.user_id)
    with pytest.raises(Forbidden):  # West is not in East's branch
        pool.assign_customer(world.east_manager, customer.pk, world.rep_west.user_id)
    pool.assign_customer(world.east_manager, customer.pk, world.rep_shanghai.user_id)
    assert Customer.objects.get(pk=customer.pk).owner_id == world.rep_shanghai.user_id


def test_no_deal_for_a_pool_customer_until_someone_claims_it(world: World) -> None:
    customer = released(world)
    for actor in (world.rep_west, world.admin):
        with pytest.raises(ValidationFailed) as refused:
            create_deal(actor, {"name": "ERP", "customer_id": customer.pk})
        assert error_pairs(refused.value) == [
            (
                "customer_id",
                "This customer is in the public pool: claim it or have it assigned first.",
            )
        ]
    pool.claim_customer(world.rep_west, customer.pk)
    assert create_deal(world.rep_west, {"name": "ERP", "customer_id": customer.pk}).pk


def test_the_owner_field_does_not_move_customers_in_or_out_of_the_pool(world: World) -> None:
    owned = make_customer(world.rep_east)
    in_pool = released(world)
    with pytest.raises(ValidationFailed) as out:
        update_customer(world.admin, in_pool.pk, None, {"owner_id": world.rep_east.user_id})
    assert [field for field, _message in error_pairs(out.value)] == ["owner_id"]
    with pytest.raises(ValidationFailed):
        update_customer(world.admin, owned.pk, None, {"owner_id": None})
    # while other fields of a pool customer may still be edited by a manager
    edited = update_customer(world.admin, in_pool.pk, None, {"next_service_on": "2030-01-31"})
    assert edited.next_service_on == datetime.date(2030, 1, 31)


def test_rules_are_checked_and_saved_by_admins_only(world: World) -> None:
    with pytest.raises(Forbidden):
        pool.update_rules(world.boss, None, {"claim_limit": 5})
    with pytest.raises(ValidationFailed) as refused:
        pool.update_rules(world.admin, None, {"return_after_days": 5, "warn_days_before": 5})
    assert error_pairs(refused.value) == [
        (
            "warn_days_before",
            "Warn fewer days ahead than the 5 days after which customers return.",
        )
    ]
    with pytest.raises(ValidationFailed) as zero:
        pool.update_rules(world.admin, None, {"claim_limit": 0})
    assert [field for field, _message in error_pairs(zero.value)] == ["claim_limit"]
    rules = pool.update_rules(world.admin, None, {"return_after_days": 30, "warn_days_before": 3})
    assert (rules.return_after_days, rules.warn_days_before, rules.claim_limit) == (30, 3, 10)
    with pytest.raises(Conflict):
        pool.update_rules(world.admin, rules.version - 1, {"claim_limit": 3})
