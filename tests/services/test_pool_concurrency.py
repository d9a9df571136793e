"""Two members claiming one pool customer at the same moment, each on its own connection."""

from __future__ import annotations

import pytest

from salesflow.core.errors import Conflict
from salesflow.customers import pool
from salesflow.customers.models import Customer, PoolEvent
from tests.conftest import World, make_customer
from tests.services.test_concurrency import _race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_reps_claim_the_same_customer_at_once_exactly_one_wins(world: World) -> None:
    # given a customer in the pool
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    pool.release_customer(world.rep_east, customer.pk, None, "Moved away")

    # when two reps claim it at the same moment
    results = _race(
        (world.rep_west, lambda actor: pool.claim_customer(actor, customer.pk)),
        (world.rep_shanghai, lambda actor: pool.claim_customer(actor, customer.pk)),
    )

    # then exactly one owns it and the other hears a 409 naming why
    winners = [r for r in results if isinstance(r, Customer)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert "someone else took it first" in str(losers[0].detail)
    assert Customer.objects.get(pk=customer.pk).owner_id == winners[0].owner_id
    assert PoolEvent.objects.filter(customer=customer, kind="claim").count() == 1


def test_one_rep_claiming_twice_at_once_stays_within_the_limit(world: World) -> None:
    # given a limit of one claim a day and two pool customers
    pool.update_rules(world.admin, None, {"claim_limit": 1})
    first, second = (make_customer(world.rep_east, name=f"Pool {n}") for n in range(2))
    for customer in (first, second):
        pool.release_customer(world.rep_east, customer.pk, None, "Moved away")

    # when one rep claims both at the same moment, from two connections
    results = _race(
        (world.rep_west, lambda actor: pool.claim_customer(actor, first.pk)),
        (world.rep_west, lambda actor: pool.claim_customer(actor, second.pk)),
    )

    # then one claim passes and the other counts it and is refused
    assert sorted(type(r).__name__ for r in results) == ["Customer", "ValidationFailed"]
    assert PoolEvent.objects.filter(kind="claim", user_id=world.rep_west.user_id).count() == 1
