"""The API of locks, the trash and protected fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.customers.models import Customer
from tests.api.conftest import counts, make_activity
from tests.conftest import PASSWORD, World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db

ID_NUMBER = "110101199003071234"


def test_protected_fields_are_written_in_clear_and_read_masked(world: World, api_as) -> None:
    api = api_as(world.rep_east)

    created = api.post(
        "/customers",
        {"name": "Blue Lake", "id_number": ID_NUMBER, "bank_account": "6222 0212 3456 5678"},
    )

    assert created.status_code == 201
    body = api.get(f"/customers/{created.json()['id']}").json()
    assert (body["id_number"], body["bank_account"], body["private_notes"]) == (
        "1101**********1234",
        "**** 5678",
        "",
    )
    listed = api.get("/customers").json()["items"]
    assert [c["id_number"] for c in listed] == ["1101**********1234"]


def test_reveal_without_the_password_is_refused_and_with_it_answers(world: World, api_as) -> None:
    customer = make_customer(world.rep_east, private_notes="Prefers calls after 6 pm")
    api = api_as(world.rep_east)
    path = f"/customers/{customer.pk}/reveal"

    missing = api.post(path, {"field": "private_notes"})
    wrong = api.post(path, {"field": "private_notes", "password": "guess"})
    right = api.post(path, {"field": "private_notes", "password": PASSWORD})

    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "password", "message": "Enter your password to see this value."}
    ]
    assert wrong.status_code == 422
    assert right.status_code == 200
    assert right.json() == {"field": "private_notes", "value": "Prefers calls after 6 pm"}


def test_a_contacts_id_number_is_masked_and_revealed(world: World, api_as) -> None:
    contact = make_contact(world.rep_east, make_customer(world.rep_east), id_number=ID_NUMBER)
    api = api_as(world.rep_east)

    assert api.get(f"/contacts/{contact.pk}").json()["id_number"] == "1101**********1234"
    revealed = api.post(
        f"/contacts/{contact.pk}/reveal", {"field": "id_number", "password": PASSWORD}
    )
    assert revealed.json()["value"] == ID_NUMBER


def test_lock_then_delete_is_refused_until_unlocked(world: World, api_as) -> None:
    customer = make_customer(world.rep_east)
    manager = api_as(world.east_manager)

    locked = manager.post(f"/customers/{customer.pk}/lock", {"version": customer.version})
    refused = manager.delete(f"/customers/{customer.pk}")
    unlocked = manager.post(f"/customers/{customer.pk}/unlock", {})
    deleted = manager.delete(f"/customers/{customer.pk}")

    assert locked.status_code == 200
    assert locked.json()["locked_by_id"] == world.east_manager.user_id
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(f"Locked by {world.east_manager.user.username} on")
    assert unlocked.json()["locked_at"] is None
    assert deleted.status_code == 204


def test_a_stale_lock_is_409(world: World, api_as) -> None:
    customer = make_customer(world.rep_east)
    before = counts()

    response = api_as(world.rep_east).post(f"/customers/{customer.pk}/lock", {"version": 9})

    assert response.status_code == 409
    assert counts() == before


def test_admin_lists_restores_and_purges_the_trash(world: World, api_as) -> None:
    # given a customer with a deal, and an activity of another customer, both deleted
    customer = make_customer(world.rep_east, name="Blue Lake")
    deal = make_deal(world.rep_east, customer, amount=Decimal(100))
    activity = make_activity(world.rep_east, make_customer(world.rep_east))
    manager, admin = api_as(world.east_manager), api_as(world.admin)
    assert manager.delete(f"/customers/{customer.pk}").status_code == 204
    assert manager.delete(f"/activities/{activity.pk}").status_code == 204

    # then the trash lists each kind with who deleted it and 30 days left
    (item,) = admin.get("/trash", kind="customer").json()["items"]
    assert (item["id"], item["name"], item["trashed_by_id"], item["days_left"]) == (
        customer.pk,
        "Blue Lake",
        world.east_manager.user_id,
        30,
    )
    assert admin.get("/trash", kind="deal").json()["items"] == []  # it went with its customer
    assert admin.get(f"/deals/{deal.pk}").status_code == 404
    assert api_as(world.boss).get("/trash").status_code == 403

    # when the admin restores the customer and purges the activity
    assert admin.post(f"/trash/customer/{customer.pk}/restore").status_code == 204
    assert admin.delete(f"/trash/activity/{activity.pk}").status_code == 204

    # then the customer and its deal are back, and the trash is empty
    assert admin.get(f"/deals/{deal.pk}").status_code == 200
    assert admin.get("/trash", kind="activity").json()["items"] == []
    assert Customer.objects.get(pk=customer.pk).trashed_at is None
