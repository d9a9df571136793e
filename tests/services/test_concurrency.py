"""Two clients writing the same deal at the same moment, each on its own connection.

These need a server database: PostgreSQL row locks and truly concurrent sessions. The
sequential version of the same rule runs on both databases in test_writes.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from salesflow.core.errors import Conflict
from salesflow.core.models import Membership
from salesflow.core.scoping import Actor
from salesflow.pipeline.models import Deal, StageChange
from salesflow.pipeline.services.deals import close_deal, move_deal, update_deal
from tests.conftest import World, make_deal
from tests.services.support import (
    INITIAL_CONTACT,
    NEEDS_ANALYSIS,
    NEGOTIATION,
    PROSPECTING,
    SIGNED,
    audits,
    history,
    satisfy,
    stage,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

Call = Callable[[Actor], object]


def _actor_in_this_thread(actor: Actor) -> Actor:
    """The same member, loaded through this thread's own connection."""
    membership = Membership.objects.select_related("user", "workspace").get(pk=actor.membership.pk)
    return Actor(membership)


def _race(*clients: tuple[Actor, Call]) -> list[Any]:
    """Run each call in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(clients))
    results: list[Any] = [None] * len(clients)

    def run(index: int, actor: Actor, call: Call) -> None:
        try:
            own = _actor_in_this_thread(actor)
            barrier.wait(timeout=10)
            results[index] = call(own)
        except Exception as error:  # the outcome, success or not, is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, actor, call))
        for i, (actor, call) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _ready_deal(world: World) -> Deal:
    rep = world.rep_east
    return satisfy(rep, make_deal(rep), world.open_stages())


def _one_winner(results: list[Any]) -> tuple[Deal, Conflict]:
    winners = [r for r in results if isinstance(r, Deal)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert (len(winners), len(losers)) == (1, 1), results
    return winners[0], losers[0]


def test_two_clients_move_the_same_deal_at_once(world: World) -> None:
    # given a deal both clients read at version 2 (created, then filled in)
    deal = _ready_deal(world)
    assert deal.version == 2
    needs, negotiation = stage(world, NEEDS_ANALYSIS), stage(world, NEGOTIATION)

    # when the rep moves it to Needs analysis and the manager to Negotiation, at once
    results = _race(
        (world.rep_east, lambda a: move_deal(a, deal.pk, needs.pk, 2)),
        (world.east_manager, lambda a: move_deal(a, deal.pk, negotiation.pk, 2)),
    )

    # then exactly one move happened and the other client was told the deal is now at 3
    winner, loser = _one_winner(results)
    assert loser.current_version == 3
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (winner.stage_id, 3)
    assert history(deal) == [(None, PROSPECTING), (PROSPECTING, deal.stage.name)]
    assert [r.action for r in audits(deal)] == ["create", "update", "move"]


def test_two_clients_update_the_same_deal_at_once(world: World) -> None:
    # given a deal at version 1
    deal = make_deal(world.rep_east)

    # when the rep changes its next step and the manager its amount, both from version 1
    results = _race(
        (world.rep_east, lambda a: update_deal(a, deal.pk, 1, {"next_step": "Call Monday"})),
        (world.east_manager, lambda a: update_deal(a, deal.pk, 1, {"amount": "900.00"})),
    )

    # then one change is applied (version 2) and the other is not applied at all
    winner, loser = _one_winner(results)
    assert loser.current_version == 2
    deal.refresh_from_db()
    assert deal.version == 2
    applied = (deal.next_step != "", deal.amount is not None)
    assert applied in {(True, False), (False, True)}
    assert applied == (winner.next_step != "", winner.amount is not None)
    assert [r.action for r in audits(deal)] == ["create", "update"]


def test_a_move_and_a_close_of_the_same_deal_at_once(world: World) -> None:
    # given a deal that meets every exit criterion, read at version 2
    deal = _ready_deal(world)

    # when one client moves it to Initial contact while the other closes it won
    results = _race(
        (world.rep_east, lambda a: move_deal(a, deal.pk, stage(world, INITIAL_CONTACT).pk, 2)),
        (world.east_manager, lambda a: close_deal(a, deal.pk, outcome="won", version=2)),
    )

    # then only one of them is in the history
    winner, _ = _one_winner(results)
    deal.refresh_from_db()
    assert deal.stage_id == winner.stage_id
    assert deal.stage.name in {INITIAL_CONTACT, SIGNED}
    assert StageChange.objects.filter(deal=deal).count() == 2


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE '%%pipeline_deal%%'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def test_a_client_reading_while_another_writes_waits_and_then_conflicts(world: World) -> None:
    # given a deal at version 2, and a first client that has moved it inside a transaction
    # it has not committed yet
    deal = _ready_deal(world)
    moved, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            actor = _actor_in_this_thread(world.rep_east)
            with transaction.atomic():
                move_deal(actor, deal.pk, stage(world, NEEDS_ANALYSIS).pk, 2)
                moved.set()
                release.wait(timeout=10)
            results["first"] = "committed"
        finally:
            connection.close()

    def second() -> None:
        try:
            moved.wait(timeout=10)
            actor = _actor_in_this_thread(world.east_manager)
            results["second"] = move_deal(actor, deal.pk, stage(world, NEGOTIATION).pk, 2)
        except Conflict as conflict:
            results["second"] = conflict
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()

    # when the second client tries to move it from the same version meanwhile
    deadline = time.monotonic() + 10
    while not _waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    blocked = _waiting_for_a_lock()
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    # then it waited on the deal's row lock instead of reading the old row, and once the
    # first committed it was refused with the new version
    assert blocked
    assert results["first"] == "committed"
    assert isinstance(results["second"], Conflict)
    assert results["second"].current_version == 3
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == (NEEDS_ANALYSIS, 3)
    assert history(deal) == [(None, PROSPECTING), (PROSPECTING, NEEDS_ANALYSIS)]
