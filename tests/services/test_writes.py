"""What every write does: one transaction, a version bump, an audit record, history."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity, update_activity
from salesflow.core.errors import Conflict
from salesflow.core.models import AuditRecord
from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import update_contact, update_customer
from salesflow.pipeline.models import Deal, Pipeline, Stage, StageChange
from salesflow.pipeline.services.deals import (
    close_deal,
    delete_deal,
    move_deal,
    reopen_deal,
    update_deal,
)
from salesflow.pipeline.services.pipelines import update_pipeline, update_stage
from tests.conftest import World, make_contact, make_customer, make_deal
from tests.services.support import (
    INITIAL_CONTACT,
    NEEDS_ANALYSIS,
    PROSPECTING,
    audits,
    history,
    row_counts,
    satisfy,
    stage,
)


def test_creating_records_the_new_row_in_the_audit_trail(world: World) -> None:
    # given the moment before a rep creates a customer
    started = timezone.now()

    # when they create it
    customer = make_customer(world.rep_east, name="Hangzhou Tea Co.", region="Zhejiang")

    # then it is at version 1 with one "create" record naming who, when and what
    (record,) = audits(customer)
    assert customer.version == 1
    assert (record.action, record.actor_id) == ("create", world.rep_east.user_id)
    assert record.workspace_id == world.rep_east.workspace_id
    assert started <= record.at <= timezone.now()
    assert record.changes["name"] == "Hangzhou Tea Co."
    assert record.changes["region"] == "Zhejiang"
    assert record.changes["owner_id"] == world.rep_east.user_id


def test_an_update_bumps_the_version_and_records_old_and_new_values(world: World) -> None:
    # given a customer at version 1
    customer = make_customer(world.rep_east, name="Old name", source_channel="Trade fair")

    # when the East manager renames it and changes the source channel
    updated = update_customer(
        world.east_manager,
        customer.pk,
        1,
        {"name": "New name", "source_channel": "Referral", "region": ""},
    )

    # then it is at version 2, and the audit shows only the two fields that changed
    customer.refresh_from_db()
    assert (updated.version, customer.version, customer.name) == (2, 2, "New name")
    assert customer.updated_by_id == world.east_manager.user_id
    record = audits(customer)[-1]
    assert (record.action, record.actor_id) == ("update", world.east_manager.user_id)
    assert record.changes == {
        "name": ["Old name", "New name"],
        "source_channel": ["Trade fair", "Referral"],
    }


def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    # given a customer at version 1
    customer = make_customer(world.rep_east, name="Same")
    before = row_counts()

    # when it is "updated" with the values it already has
    update_customer(world.rep_east, customer.pk, 1, {"name": "Same"})

    # then there is no new version and no audit record
    customer.refresh_from_db()
    assert customer.version == 1
    assert row_counts() == before


def test_a_move_writes_the_deal_its_audit_and_its_stage_change(world: World) -> None:
    # given a deal ready to leave Prospecting, with an amount of 8,800.50 CNY
    rep = world.rep_east
    deal = satisfy(rep, make_deal(rep), [stage(world, PROSPECTING)])
    deal = update_deal(rep, deal.pk, deal.version, {"amount": Decimal("8800.50")})
    before = row_counts()

    # when the East manager moves it to Initial contact
    moved = move_deal(world.east_manager, deal.pk, stage(world, INITIAL_CONTACT).pk, deal.version)

    # then the deal has one more version, and exactly one audit record and one StageChange
    # were added, the StageChange carrying the move's facts
    after = row_counts()
    assert after["AuditRecord"] == before["AuditRecord"] + 1
    assert after["StageChange"] == before["StageChange"] + 1
    moved.refresh_from_db()
    assert moved.version == deal.version + 1
    change = StageChange.objects.filter(deal=deal).latest("id")
    assert (change.from_stage_id, change.to_stage_id) == (
        stage(world, PROSPECTING).pk,
        stage(world, INITIAL_CONTACT).pk,
    )
    assert change.actor_id == world.east_manager.user_id
    assert change.owner_id == rep.user_id
    assert (change.amount, change.currency, change.probability) == (Decimal("8800.50"), "CNY", 10)
    assert change.at == moved.stage_entered_at
    assert change.workspace_id == moved.workspace_id
    assert change.pipeline_id == moved.pipeline_id


@pytest.fixture
def refuse_stage_changes(db: None) -> None:
    """A real database trigger that makes every StageChange insert fail.

    It is created inside the test's transaction, so it disappears when the test rolls back.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_stage_change() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'stage changes refused'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_stage_change BEFORE INSERT ON pipeline_stagechange "
                "FOR EACH ROW EXECUTE FUNCTION refuse_stage_change()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_stage_change BEFORE INSERT ON pipeline_stagechange "
                "BEGIN SELECT RAISE(ABORT, 'stage changes refused'); END"
            )


def _ready_deal(world: World) -> Deal:
    rep = world.rep_east
    return satisfy(rep, make_deal(rep), world.open_stages())


def _move(world: World, deal: Deal) -> None:
    move_deal(world.rep_east, deal.pk, stage(world, NEEDS_ANALYSIS).pk, deal.version)


def _close_won(world: World, deal: Deal) -> None:
    close_deal(world.rep_east, deal.pk, outcome="won", version=deal.version)


def _close_lost(world: World, deal: Deal) -> None:
    close_deal(world.rep_east, deal.pk, outcome="lost", reason="No budget", version=deal.version)


@pytest.mark.parametrize("write", [_move, _close_won, _close_lost])
def test_a_failing_stage_change_insert_leaves_the_deal_untouched(
    world: World, write: Callable[[World, Deal], None], request: pytest.FixtureRequest
) -> None:
    # given a deal ready to move or close, and a database that now refuses StageChanges
    deal = _ready_deal(world)
    customer_version = deal.customer.version
    request.getfixturevalue("refuse_stage_changes")
    before = row_counts()

    # when the deal is moved or closed
    with pytest.raises(DatabaseError, match="stage changes refused"):
        write(world, deal)

    # then neither the deal (stage, version, probability), its customer nor the audit trail
    # changed: the deal update and its StageChange live or die together
    assert row_counts() == before
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.version, stored.probability, stored.closed_at) == (
        deal.stage_id,
        deal.version,
        deal.probability,
        None,
    )
    stored.customer.refresh_from_db()
    assert stored.customer.version == customer_version


class Abandon(Exception):
    """Raised after a write to make the surrounding transaction roll back."""


def _move_then_fail(world: World, deal: Deal) -> None:
    with transaction.atomic():
        _move(world, deal)
        assert StageChange.objects.filter(deal=deal).count() == 2  # the move did happen
        raise Abandon


def test_a_move_inside_a_transaction_that_fails_later_is_rolled_back_whole(
    world: World,
) -> None:
    # given a deal ready to move
    deal = _ready_deal(world)
    before = row_counts()

    # when it is moved inside a larger transaction that fails after the move succeeded
    with pytest.raises(Abandon):
        _move_then_fail(world, deal)

    # then the move and its StageChange are both gone
    assert row_counts() == before
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.version) == (deal.stage_id, deal.version)
    assert history(stored) == [(None, PROSPECTING)]


def test_stage_changes_are_append_only(world: World) -> None:
    # given a deal's first StageChange
    deal = make_deal(world.rep_east)
    change = StageChange.objects.get(deal=deal)

    # when it is edited or deleted, one by one or in bulk
    # then each attempt is refused and the row is unchanged
    change.probability = 99
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        change.delete()
    with pytest.raises(TypeError):
        StageChange.objects.filter(pk=change.pk).update(probability=99)
    with pytest.raises(TypeError):
        StageChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(TypeError):
        deal.stage_changes.all().delete()
    with pytest.raises(TypeError):
        StageChange.objects.bulk_update([change], ["probability"])
    assert StageChange.objects.get(pk=change.pk).probability == 5


def test_audit_records_are_append_only(world: World) -> None:
    # given a customer's creation record
    customer = make_customer(world.rep_east)
    (record,) = audits(customer)

    # when it is edited or deleted, one by one or in bulk
    # then each attempt is refused and the record is unchanged
    record.action = "forged"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).update(action="forged")
    with pytest.raises(TypeError):
        AuditRecord.objects.filter(pk=record.pk).delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "create"


def test_deleting_a_deal_moves_it_to_the_trash_and_records_it(world: World) -> None:
    # given a deal of an East rep
    deal = make_deal(world.rep_east, name="Doomed", amount="10.00")

    # when the East manager deletes it
    delete_deal(world.east_manager, deal.pk, deal.version)

    # then it is in the trash with its history, and the audit trail says who moved it there
    trashed = Deal.objects.get(pk=deal.pk)
    assert (trashed.trashed_by_id, trashed.trashed_at is not None) == (
        world.east_manager.user_id,
        True,
    )
    assert StageChange.objects.filter(deal_id=deal.pk).exists()
    record = audits(deal)[-1]
    assert (record.action, record.actor_id) == ("trash", world.east_manager.user_id)
    assert record.changes["trashed_by_id"] == [None, world.east_manager.user_id]


Write = Callable[[int], object]


def _stale_writes(world: World) -> list[tuple[str, Write, Write, Callable[[], int]]]:
    """For each versioned write: (name, another client's edit, the write, current version)."""
    rep, manager, admin = world.rep_east, world.east_manager, world.admin
    customer = make_customer(rep)
    contact = make_contact(rep, customer)
    deal = _ready_deal(world)
    lost = make_deal(rep, customer)
    lost = close_deal(rep, lost.pk, outcome="lost", reason="No budget", version=1)
    activity = create_activity(rep, {"kind": "note", "subject": "x", "customer_id": customer.pk})
    first_stage = world.stages[0]
    pipeline = world.pipeline

    def version_of(model: type[Model], pk: int) -> Callable[[], int]:
        return lambda: model._default_manager.get(pk=pk).version

    def rename_deal(pk: int) -> Write:
        return lambda v: update_deal(manager, pk, v, {"name": f"Renamed at {v}"})

    return [
        (
            "update_customer",
            lambda v: update_customer(manager, customer.pk, v, {"source_channel": "Referral"}),
            lambda v: update_customer(rep, customer.pk, v, {"name": "Renamed"}),
            version_of(Customer, customer.pk),
        ),
        (
            "update_contact",
            lambda v: update_contact(manager, contact.pk, v, {"name": "Han Meimei"}),
            lambda v: update_contact(rep, contact.pk, v, {"title": "CTO"}),
            version_of(Contact, contact.pk),
        ),
        (
            "update_deal",
            rename_deal(deal.pk),
            lambda v: update_deal(rep, deal.pk, v, {"next_step": "Demo"}),
            version_of(Deal, deal.pk),
        ),
        (
            "move_deal",
            rename_deal(deal.pk),
            lambda v: move_deal(rep, deal.pk, stage(world, NEEDS_ANALYSIS).pk, v),
            version_of(Deal, deal.pk),
        ),
        (
            "close_deal",
            rename_deal(deal.pk),
            lambda v: close_deal(rep, deal.pk, outcome="won", version=v),
            version_of(Deal, deal.pk),
        ),
        (
            "reopen_deal",
            rename_deal(lost.pk),
            lambda v: reopen_deal(rep, lost.pk, version=v),
            version_of(Deal, lost.pk),
        ),
        (
            "delete_deal",
            rename_deal(lost.pk),
            lambda v: delete_deal(manager, lost.pk, v),
            version_of(Deal, lost.pk),
        ),
        (
            "update_activity",
            lambda v: update_activity(manager, activity.pk, v, {"subject": "y"}),
            lambda v: update_activity(rep, activity.pk, v, {"outcome": "Done"}),
            version_of(Activity, activity.pk),
        ),
        (
            "update_stage",
            lambda v: update_stage(admin, first_stage.pk, v, {"goal": "Find them"}),
            lambda v: update_stage(admin, first_stage.pk, v, {"expected_days": 3}),
            version_of(Stage, first_stage.pk),
        ),
        (
            "update_pipeline",
            lambda v: update_pipeline(admin, pipeline.pk, v, {"position": 2}),
            lambda v: update_pipeline(admin, pipeline.pk, v, {"name": "Main"}),
            version_of(Pipeline, pipeline.pk),
        ),
    ]


def test_every_write_with_a_stale_version_is_refused(world: World) -> None:
    for name, edit, write, current in _stale_writes(world):
        # given a record read at version n and then edited by another client (now n + 1)
        read_at = current()
        edit(read_at)
        before = row_counts()

        # when the first client writes with version n
        with pytest.raises(Conflict) as conflict:
            write(read_at)

        # then it is refused, told the current version, and nothing was applied
        assert conflict.value.current_version == read_at + 1, name
        assert current() == read_at + 1, name
        assert row_counts() == before, name


def test_two_clients_moving_the_same_deal_in_turn(world: World) -> None:
    # given a deal both clients read at the same version
    deal = _ready_deal(world)
    read_at = deal.version

    # when the first moves it to Needs analysis and the second, still holding the old
    # version, moves it to Initial contact
    move_deal(world.rep_east, deal.pk, stage(world, NEEDS_ANALYSIS).pk, read_at)
    with pytest.raises(Conflict) as conflict:
        move_deal(world.east_manager, deal.pk, stage(world, INITIAL_CONTACT).pk, read_at)

    # then the second learns the new version, and the history shows the first move only
    assert conflict.value.current_version == read_at + 1
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == (NEEDS_ANALYSIS, read_at + 1)
    assert history(deal) == [(None, PROSPECTING), (PROSPECTING, NEEDS_ANALYSIS)]
    assert [r.action for r in audits(deal)].count("move") == 1
