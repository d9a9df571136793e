"""Locks, the trash and protected fields, at the service layer (both databases)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from salesflow.activities.models import Activity
from salesflow.activities.services import delete_activity
from salesflow.analytics.aggregates import rebuild
from salesflow.analytics.models import DealFact, StageDaily, StageStay
from salesflow.core.encryption import UnreadableValue, decrypt, rotate
from salesflow.core.errors import Forbidden, NotFound, ValidationFailed
from salesflow.customers import protected, queries, trash
from salesflow.customers.locks import lock_customer, unlock_customer
from salesflow.customers.models import Contact, Customer, SearchTerm
from salesflow.customers.protected import mask_bank_account, mask_id_number, masked, reveal
from salesflow.customers.services import (
    delete_contact,
    delete_customer,
    update_customer,
)
from salesflow.pipeline import queries as deal_queries
from salesflow.pipeline.models import Deal, Stage
from salesflow.pipeline.services.deals import delete_deal, move_deal
from tests.api.conftest import make_activity
from tests.conftest import PASSWORD, World, make_contact, make_customer, make_deal
from tests.services.support import audits

pytestmark = pytest.mark.django_db

ID_NUMBER = "110101199003071234"


def raw_column(model: type, pk: int, column: str) -> str:
    """The value as stored, read past the ORM."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def aggregate_rows(workspace_id: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    return (
        sorted(
            DealFact.objects.filter(workspace_id=workspace_id).values_list(
                "deal_id", "furthest_stage_id", "outcome", "amount"
            )
        ),
        sorted(
            StageDaily.objects.filter(workspace_id=workspace_id).values_list(
                "day", "stage_id", "owner_id", "entered", "entered_amount"
            )
        ),
        sorted(
            StageStay.objects.filter(workspace_id=workspace_id).values_list(
                "day", "stage_id", "owner_id", "days", "stays"
            )
        ),
    )


# Locks


def test_a_locked_customer_cannot_be_deleted_and_the_error_names_the_locker(
    world: World,
) -> None:
    # given a customer the East manager locked on 20 November 2026 (Shanghai time)
    world.east_manager.user.first_name = "Fang"
    world.east_manager.user.last_name = "Wang"
    world.east_manager.user.save()
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    lock_customer(world.east_manager, customer.pk)
    Customer.objects.filter(pk=customer.pk).update(
        locked_at=datetime.datetime(2026, 11, 20, 1, 30, tzinfo=datetime.UTC)
    )

    # when the admin tries to delete it
    with pytest.raises(Forbidden) as refused:
        delete_customer(world.admin, customer.pk)

    # then the refusal names the lock, who set it and the day (English short date m/d/Y)
    assert str(refused.value.detail) == "Locked by Fang Wang on 11/20/2026: unlock it first."
    assert Customer.objects.get(pk=customer.pk).trashed_at is None


def test_unlocking_then_deleting_moves_the_customer_to_the_trash(world: World) -> None:
    # given a locked customer of an East rep
    customer = make_customer(world.rep_east)
    locked = lock_customer(world.rep_east, customer.pk, customer.version)

    # when the rep unlocks it and the East manager deletes it
    unlock_customer(world.rep_east, customer.pk, locked.version)
    delete_customer(world.east_manager, customer.pk)

    # then it is in the trash, and the audit trail holds lock, unlock and trash by whom
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.trashed_by_id, stored.locked_at) == (world.east_manager.user_id, None)
    assert [(r.action, r.actor_id) for r in audits(customer)] == [
        ("create", world.rep_east.user_id),
        ("lock", world.rep_east.user_id),
        ("unlock", world.rep_east.user_id),
        ("trash", world.east_manager.user_id),
    ]


def test_only_members_who_see_a_customer_may_lock_it(world: World) -> None:
    customer = make_customer(world.rep_east)

    with pytest.raises(NotFound):
        lock_customer(world.rep_west, customer.pk)

    assert lock_customer(world.boss, customer.pk).locked_by_id == world.boss.user_id


# The trash


def test_a_trashed_customer_is_gone_from_lists_ids_search_board_and_funnel(world: World) -> None:
    # given a customer with a contact, a deal worth 500 and an activity, all visible
    customer = make_customer(world.rep_east, name="Blue Lake", phone="021 5555 0100")
    contact = make_contact(world.rep_east, customer, name="Li Lei")
    deal = make_deal(world.rep_east, customer, amount=Decimal(500))
    activity = make_activity(world.rep_east, customer)
    workspace_id = world.admin.workspace_id
    board = deal_queries.BoardFilters(pipeline_id=deal.pipeline_id)
    assert deal_queries.column_cards(world.rep_east, board, deal.stage_id, None)[0] == [deal]
    assert DealFact.objects.filter(deal=deal).exists()

    # when the East manager deletes the customer
    delete_customer(world.east_manager, customer.pk)

    # then nothing of it is visible anywhere the rep looked before
    rep = world.rep_east
    assert not queries.customers(rep, queries.CustomerFilter()).exists()
    assert queries.search(rep, "blue", 10) == []
    assert queries.search(rep, "5555", 10) == []
    assert not SearchTerm.objects.filter(customer=customer).exists()
    for read, pk in (
        (queries.customer, customer.pk),
        (queries.contact, contact.pk),
        (deal_queries.deal_page, deal.pk),
    ):
        with pytest.raises(NotFound):
            read(rep, pk)
    assert deal_queries.column_cards(rep, board, deal.stage_id, None)[0] == []
    assert deal_queries.column_totals(rep, board) == {}
    assert not Activity.objects.filter(pk=activity.pk, trashed_at=None).exists()
    # and the funnel counts nothing: the deal's entry and fact are gone, as a rebuild says
    assert aggregate_rows(workspace_id) == ([], [], [])
    rebuild(workspace_id)
    assert aggregate_rows(workspace_id) == ([], [], [])


def test_restoring_a_customer_brings_back_what_went_with_it_and_the_funnel(world: World) -> None:
    # given a customer whose deal moved once, and a contact deleted on its own before
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    customer = make_customer(world.rep_east, name="Blue Lake")
    kept = make_contact(world.rep_east, customer, name="Li Lei")
    alone = make_contact(world.rep_east, customer, name="Han Meimei")
    deal = make_deal(world.rep_east, customer, amount=Decimal(500))
    move_deal(world.rep_east, deal.pk, world.open_stages()[1].pk, None)
    workspace_id = world.admin.workspace_id
    before = aggregate_rows(workspace_id)
    delete_contact(world.rep_east, alone.pk)
    delete_customer(world.east_manager, customer.pk)

    # when the admin restores the customer
    trash.restore(world.admin, "customer", customer.pk)

    # then the customer, its contact and its deal are back; the lone contact stays trashed
    assert queries.customer(world.rep_east, customer.pk).name == "Blue Lake"
    assert queries.contact(world.rep_east, kept.pk).name == "Li Lei"
    with pytest.raises(NotFound):
        queries.contact(world.rep_east, alone.pk)
    assert [c.name for c in queries.search(world.rep_east, "lilei", 10)] == ["Blue Lake"]
    assert queries.search(world.rep_east, "hanmeimei", 10) == []
    # and the aggregates are what they were, and what a rebuild computes
    restored = aggregate_rows(workspace_id)
    assert restored == before
    rebuild(workspace_id)
    assert aggregate_rows(workspace_id) == restored
    assert audits(customer)[-1].action == "restore"


def test_restoring_a_deal_whose_customer_is_trashed_is_refused(world: World) -> None:
    # given a deal deleted on its own, then its customer deleted
    customer = make_customer(world.rep_east, name="Blue Lake")
    deal = make_deal(world.rep_east, customer)
    delete_deal(world.east_manager, deal.pk)
    delete_customer(world.east_manager, customer.pk)

    # when the admin restores the deal first, then it is refused and nothing changes
    with pytest.raises(ValidationFailed) as refused:
        trash.restore(world.admin, "deal", deal.pk)
    assert [(e.field, str(e.message)) for e in refused.value.errors] == [
        (
            "customer_id",
            "Its customer “Blue Lake” is in the trash: restore the customer first.",
        )
    ]
    assert Deal.objects.get(pk=deal.pk).trashed_at is not None

    # when the customer comes back first, the deal may follow, and counts again
    trash.restore(world.admin, "customer", customer.pk)
    trash.restore(world.admin, "deal", deal.pk)
    assert DealFact.objects.filter(deal=deal).exists()


def test_only_admins_see_restore_and_purge_the_trash(world: World) -> None:
    customer = make_customer(world.rep_east)
    delete_customer(world.east_manager, customer.pk)

    for attempt in (
        lambda: trash.trash_page(world.boss, "customer", None, 10),
        lambda: trash.restore(world.boss, "customer", customer.pk),
        lambda: trash.purge(world.boss, "customer", customer.pk),
    ):
        with pytest.raises(Forbidden):
            attempt()


def test_another_workspaces_trash_is_not_found(world: World, other_world: World) -> None:
    theirs = make_customer(other_world.admin)
    delete_customer(other_world.admin, theirs.pk)

    with pytest.raises(NotFound):
        trash.restore(world.admin, "customer", theirs.pk)
    assert trash.trash_page(world.admin, "customer", None, 10) == ([], None)


def test_the_trash_lists_who_deleted_and_the_days_left(world: World) -> None:
    # given a deal deleted 10 days and 6 hours ago
    deal = make_deal(world.rep_east, name="Rolling mill")
    delete_deal(world.east_manager, deal.pk)
    Deal.objects.filter(pk=deal.pk).update(
        trashed_at=timezone.now() - datetime.timedelta(days=10, hours=6)
    )

    # when the admin lists the deals in the trash
    (item,), cursor = trash.trash_page(world.admin, "deal", None, 10)

    # then: 30 days - 10 days 6 hours = 19 days 18 hours, so 20 days are (partly) left
    assert (item.name, item.row.trashed_by_id, item.days_left, cursor) == (
        "Rolling mill",
        world.east_manager.user_id,
        20,
        None,
    )


def test_purge_removes_what_stayed_30_days_and_keeps_the_rest(world: World) -> None:
    # given a customer (with a contact and a deal) deleted on 1 March, an activity on 2 March
    first = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)
    customer = make_customer(world.rep_east)
    contact = make_contact(world.rep_east, customer)
    deal = make_deal(world.rep_east, customer)
    other = make_customer(world.rep_east)
    activity = make_activity(world.rep_east, other)
    delete_customer(world.east_manager, customer.pk)
    delete_activity(world.rep_east, activity.pk)
    Customer.objects.filter(pk=customer.pk).update(trashed_at=first)
    Activity.objects.filter(pk=activity.pk).update(trashed_at=first + datetime.timedelta(days=1))

    # when the trash is purged on 31 March 09:00: 30 days and 1 hour after the first
    purged = trash.purge_expired(first + datetime.timedelta(days=30, hours=1))

    # then the customer went with its contact and deal; the activity has a day left
    assert purged == (1, 0)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert Activity.objects.filter(pk=activity.pk).exists()
    (purge,) = [r for r in audits(customer) if r.action == "purge"]
    assert purge.actor_id is None


def test_purge_now_by_an_admin_is_audited(world: World) -> None:
    contact = make_contact(world.rep_east, make_customer(world.rep_east))
    delete_contact(world.rep_east, contact.pk)

    trash.purge(world.admin, "contact", contact.pk)

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert audits(contact)[-1].action == "purge"
    assert audits(contact)[-1].actor_id == world.admin.user_id


# Protected fields


def test_protected_values_are_encrypted_in_the_database_and_masked(world: World) -> None:
    # when a customer is created with an ID number, a bank account and private notes
    customer = make_customer(
        world.rep_east,
        id_number=ID_NUMBER,
        bank_account="6222 0212 3456 5678",
        private_notes="Prefers calls after 6 pm",
    )

    # then none of them is in the table in clear, and each reads back with a configured key
    for column, clear in (
        ("id_number", ID_NUMBER),
        ("bank_account", "6222 0212 3456 5678"),
        ("private_notes", "Prefers calls after 6 pm"),
    ):
        stored = raw_column(Customer, customer.pk, column)
        assert clear not in stored
        assert "1234" not in stored
        assert decrypt(stored) == clear
    # and they show masked: 4 + 10 stars + 4 of 18 characters; the last 4 digits; dots
    assert masked(customer, "id_number") == "1101**********1234"
    assert masked(customer, "bank_account") == "**** 5678"
    assert masked(customer, "private_notes") == "••••••"


def test_masks_of_short_values_hide_everything_they_cannot_spare() -> None:
    assert mask_id_number("12345678") == "********"
    assert mask_bank_account("1234") == "****"


def test_the_audit_trail_records_that_a_protected_field_changed_not_its_value(
    world: World,
) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)

    update_customer(world.rep_east, customer.pk, None, {"id_number": "", "bank_account": "1"})

    create, change = audits(customer)
    assert create.changes["id_number"] == "••••••"
    assert change.changes["id_number"] == ["••••••", ""]
    assert change.changes["bank_account"] == ["", "••••••"]
    assert all(ID_NUMBER not in str(r.changes) for r in audits(customer))


def test_saving_the_same_protected_value_again_changes_nothing(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)

    same = update_customer(world.rep_east, customer.pk, None, {"id_number": f" {ID_NUMBER} "})

    assert same.version == customer.version
    assert len(audits(customer)) == 1


def test_a_protected_value_too_long_is_refused_by_name(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_customer(world.rep_east, bank_account="1" * 41)

    assert [(e.field, str(e.message)) for e in refused.value.errors] == [
        ("bank_account", "Ensure this value has at most 40 characters.")
    ]


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_reveal_needs_the_password_and_every_attempt_is_audited(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)

    # when the rep asks without a password, then with a wrong one, it is refused
    for password, message in (
        ("", "Enter your password to see this value."),
        ("wrong", "This is not your password. The attempt was recorded."),
    ):
        with pytest.raises(ValidationFailed) as refused:
            reveal(world.rep_east, "customer", customer.pk, "id_number", password)
        assert [(e.field, str(e.message)) for e in refused.value.errors] == [("password", message)]

    # when they give their password, they get the clear value
    assert reveal(world.rep_east, "customer", customer.pk, "id_number", PASSWORD) == ID_NUMBER

    # then the audit trail holds two refused attempts and one reveal, by the rep, of the field
    assert [(r.action, r.actor_id, r.changes) for r in audits(customer)[1:]] == [
        ("reveal_refused", world.rep_east.user_id, {"field": "id_number"}),
        ("reveal_refused", world.rep_east.user_id, {"field": "id_number"}),
        ("reveal", world.rep_east.user_id, {"field": "id_number"}),
    ]


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_revealing_pauses_after_five_refused_attempts(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)
    rep = world.rep_east

    def attempt(password: str) -> str:
        try:
            return reveal(rep, "customer", customer.pk, "id_number", password)
        except ValidationFailed as refused:
            return str(refused.errors[0].message)

    # when the rep types five wrong passwords, then the right one
    wrong = "This is not your password. The attempt was recorded."
    assert [attempt(f"guess {n}") for n in range(5)] == [wrong] * 5
    paused = (
        "Too many refused attempts: revealing is paused for 15 minutes after the last one. "
        "The attempt was recorded."
    )
    # then even the right password is refused, unread, and the attempt recorded
    assert attempt(PASSWORD) == paused
    assert [r.action for r in audits(customer)[1:]] == ["reveal_refused"] * 6
    # a colleague is not paused
    other = make_customer(world.rep_shanghai, id_number=ID_NUMBER)
    assert reveal(world.rep_shanghai, "customer", other.pk, "id_number", PASSWORD) == ID_NUMBER

    # when 15 minutes and a second have passed since the last attempt
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    with mock.patch.object(protected.timezone, "now", return_value=later):
        # then the right password reveals again
        assert attempt(PASSWORD) == ID_NUMBER


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_only_members_who_see_the_customer_may_reveal(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)

    with pytest.raises(NotFound):
        reveal(world.rep_west, "customer", customer.pk, "id_number", PASSWORD)
    assert len(audits(customer)) == 1


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_a_contacts_id_number_is_protected_too(world: World) -> None:
    contact = make_contact(world.rep_east, make_customer(world.rep_east), id_number=ID_NUMBER)

    assert ID_NUMBER not in raw_column(Contact, contact.pk, "id_number")
    assert masked(contact, "id_number") == "1101**********1234"
    assert reveal(world.rep_east, "contact", contact.pk, "id_number", PASSWORD) == ID_NUMBER


def test_rotation_re_encrypts_so_the_old_key_may_go(world: World, settings) -> None:
    # given values written with an old key
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_KEYS = [old]
    first = make_customer(world.rep_east, id_number=ID_NUMBER, private_notes="VIP")
    second = make_contact(world.rep_east, first, id_number="310101198001010011")
    trashed = make_customer(world.rep_east, bank_account="6222 0212 3456 5678")
    delete_customer(world.east_manager, trashed.pk)

    # when a new key is put first, and the rotation runs
    settings.FIELD_KEYS = [new, old]
    result = rotate()

    # then every value (a trashed customer's too) was re-encrypted: 2 + 1 + 1 values
    assert (result.values, result.skipped) == (4, 0)
    # and with the old key removed, everything still decrypts
    settings.FIELD_KEYS = [new]
    assert decrypt(raw_column(Customer, first.pk, "id_number")) == ID_NUMBER
    assert decrypt(raw_column(Customer, first.pk, "private_notes")) == "VIP"
    assert decrypt(raw_column(Contact, second.pk, "id_number")) == "310101198001010011"
    assert decrypt(raw_column(Customer, trashed.pk, "bank_account")) == "6222 0212 3456 5678"


def test_without_the_key_a_value_is_unreadable(world: World, settings) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)

    settings.FIELD_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(UnreadableValue):
        decrypt(raw_column(Customer, customer.pk, "id_number"))
