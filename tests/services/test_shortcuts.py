"""Each user's customer shortcuts: views counted, pins, and only customers they may see."""

from __future__ import annotations

import pytest

from salesflow.core.errors import NotFound, ValidationFailed
from salesflow.core.scoping import Actor
from salesflow.customers import shortcuts
from salesflow.customers.models import Customer, CustomerUsage
from salesflow.customers.services import update_customer
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db


def names(customers: list[Customer]) -> list[str]:
    return [customer.name for customer in customers]


def view(actor: Actor, *customers: Customer) -> None:
    for customer in customers:
        shortcuts.record_view(actor, customer)


def test_views_make_the_recent_and_most_used_lists(world: World) -> None:
    # given a rep who opens A, B, A, C, A, C in that order
    rep = world.rep_east
    a, b, c = (make_customer(rep, name=name) for name in "ABC")
    view(rep, a, b, a, c, a, c)

    # then recent is by last view (C 6th, A 5th, B 2nd) and most used by count (A 3, C 2, B 1)
    mine = shortcuts.shortcuts(rep)
    assert names(mine.recent) == ["C", "A", "B"]
    assert names(mine.most_used) == ["A", "C", "B"]
    assert mine.pinned == []
    assert CustomerUsage.objects.get(user_id=rep.user_id, customer=a).view_count == 3


def test_the_menu_lists_ten_recent_and_ten_most_used(world: World) -> None:
    # given twelve customers opened once each (0 first), and 11 opened twice more
    rep = world.rep_east
    customers = [make_customer(rep, name=f"C{n:02d}") for n in range(12)]
    view(rep, *customers)
    view(rep, customers[11], customers[11])

    # then recent holds the last ten opened, latest first: C11, C10, ..., C02
    mine = shortcuts.shortcuts(rep)
    assert names(mine.recent) == [f"C{n:02d}" for n in range(11, 1, -1)]
    # and most used ten: C11 (3 views), then the rest (1 view) by their last view
    assert names(mine.most_used) == [f"C{n:02d}" for n in range(11, 1, -1)]


def test_pins_come_latest_first_and_unpinning_removes_them(world: World) -> None:
    # given a rep who pins A, then B, then A again (already pinned: nothing changes)
    rep = world.rep_east
    a, b = make_customer(rep, name="A"), make_customer(rep, name="B")
    shortcuts.pin(rep, a.pk)
    shortcuts.pin(rep, b.pk)
    shortcuts.pin(rep, a.pk)
    assert names(shortcuts.shortcuts(rep).pinned) == ["B", "A"]

    # when B is unpinned, then only A is left, and a pin alone counts no view
    shortcuts.unpin(rep, b.pk)
    mine = shortcuts.shortcuts(rep)
    assert (names(mine.pinned), mine.recent, mine.most_used) == (["A"], [], [])
    assert shortcuts.is_pinned(rep, a)
    assert not shortcuts.is_pinned(rep, b)


def test_at_most_twenty_customers_are_pinned(world: World) -> None:
    # given a rep with twenty pinned customers
    rep = world.rep_east
    for _ in range(shortcuts.MAX_PINNED):
        shortcuts.pin(rep, make_customer(rep).pk)
    one_more = make_customer(rep)

    # when they pin a 21st, then it is refused and not pinned
    with pytest.raises(ValidationFailed) as refused:
        shortcuts.pin(rep, one_more.pk)
    assert [e.field for e in refused.value.errors] == ["customer_id"]
    assert not shortcuts.is_pinned(rep, one_more)


def test_a_customer_the_user_may_no_longer_see_leaves_their_menu(world: World) -> None:
    # given a customer of rep_east, which they opened and pinned
    rep = world.rep_east
    customer = make_customer(rep, name="Huaxin Steel")
    view(rep, customer)
    shortcuts.pin(rep, customer.pk)

    # when the admin gives it to a West rep
    update_customer(world.admin, customer.pk, None, {"owner_id": world.rep_west.user_id})

    # then it is gone from every list of rep_east, who may not pin it either
    mine = shortcuts.shortcuts(rep)
    assert (mine.pinned, mine.recent, mine.most_used) == ([], [], [])
    with pytest.raises(NotFound):
        shortcuts.pin(rep, customer.pk)

    # and when it is given back, it returns with its history
    update_customer(world.admin, customer.pk, None, {"owner_id": rep.user_id})
    mine = shortcuts.shortcuts(rep)
    assert names(mine.pinned) == names(mine.recent) == ["Huaxin Steel"]


def test_shortcuts_are_each_users_own_and_stay_in_the_workspace(
    world: World, other_world: World
) -> None:
    # given a customer that rep_east opened and pinned, and their manager who sees it too
    customer = make_customer(world.rep_east)
    view(world.rep_east, customer)
    shortcuts.pin(world.rep_east, customer.pk)

    # then the manager's shortcuts are still empty
    theirs = shortcuts.shortcuts(world.east_manager)
    assert (theirs.pinned, theirs.recent, theirs.most_used) == ([], [], [])

    # and another workspace's admin cannot pin it: its id is not found
    with pytest.raises(NotFound):
        shortcuts.pin(other_world.admin, customer.pk)
    with pytest.raises(NotFound):
        shortcuts.unpin(other_world.admin, customer.pk)
