"""`salesflow purge_trash` and `salesflow rotate_field_key` report what they did."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone, translation

from salesflow.customers.models import Customer
from salesflow.customers.services import delete_customer
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_purge_trash_purges_what_is_older_than_30_days_and_says_how_many(world: World) -> None:
    # given one customer deleted 31 days ago and one deleted 29 days ago
    old, recent = make_customer(world.rep_east), make_customer(world.rep_east)
    for customer, days in ((old, 31), (recent, 29)):
        delete_customer(world.east_manager, customer.pk)
        Customer.objects.filter(pk=customer.pk).update(
            trashed_at=timezone.now() - datetime.timedelta(days=days)
        )

    # when the daily purge runs, then one went and one stays
    assert run("purge_trash") == "Purged 1 records deleted more than 30 days ago.\n"
    assert list(Customer.objects.values_list("pk", flat=True)) == [recent.pk]


def test_rotate_field_key_reports_its_counts(world: World, settings) -> None:
    # given two customers, one with two protected values, one with none
    make_customer(world.rep_east, id_number="110101199003071234", private_notes="VIP")
    make_customer(world.rep_east)
    settings.FIELD_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_KEYS]

    # then 2 values in 2 customer rows (no contacts) are re-encrypted
    assert run("rotate_field_key") == (
        "Re-encrypted 2 protected values in 2 rows; 0 changed meanwhile and were already on the "
        "newest key.\n"
    )
