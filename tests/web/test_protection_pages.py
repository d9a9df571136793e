"""Pages for locks, deleting to the trash, protected fields and the trash."""

from __future__ import annotations

import pytest
from django.test import Client

from salesflow.core.models import AuditRecord
from salesflow.customers.locks import lock_customer
from salesflow.customers.models import Customer
from salesflow.customers.services import delete_customer
from tests.conftest import PASSWORD, World, make_customer

pytestmark = pytest.mark.django_db

ID_NUMBER = "110101199003071234"


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def test_the_customer_page_shows_masks_and_never_the_values(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER, private_notes="VIP only")

    page = signed_in(world.rep_east).get(f"/customers/{customer.pk}/").text

    assert "1101**********1234" in page
    assert ID_NUMBER not in page
    assert "VIP only" not in page


def test_reveal_asks_for_the_password_and_shows_the_value(world: World) -> None:
    customer = make_customer(world.rep_east, id_number=ID_NUMBER)
    client = signed_in(world.rep_east)
    path = f"/customers/{customer.pk}/reveal/id_number/"

    prompt = client.get(path, headers={"HX-Request": "true"})
    wrong = client.post(path, {"password": "guess"}, headers={"HX-Request": "true"})
    right = client.post(path, {"password": PASSWORD}, headers={"HX-Request": "true"})

    assert 'type="password"' in prompt.text
    assert wrong.status_code == 422
    assert "This is not your password. The attempt was recorded." in wrong.text
    assert ID_NUMBER not in wrong.text
    assert right.status_code == 200
    assert ID_NUMBER in right.text
    assert right["Cache-Control"] == "no-store"
    actions = AuditRecord.objects.filter(entity_id=customer.pk, action__startswith="reveal")
    assert sorted(actions.values_list("action", flat=True)) == ["reveal", "reveal_refused"]


def test_a_locked_customer_shows_the_lock_and_no_delete_button(world: World) -> None:
    customer = make_customer(world.rep_east)
    lock_customer(world.east_manager, customer.pk)

    page = signed_in(world.east_manager).get(f"/customers/{customer.pk}/").text

    assert f"Locked by {world.east_manager.user.username} on" in page
    assert f'action="/customers/{customer.pk}/delete/"' not in page
    assert f'action="/customers/{customer.pk}/unlock/"' in page


def test_deleting_a_locked_customer_by_post_is_refused_with_the_lock(world: World) -> None:
    customer = make_customer(world.rep_east)
    lock_customer(world.rep_east, customer.pk)
    client = signed_in(world.east_manager)

    response = client.post(f"/customers/{customer.pk}/delete/", follow=True)

    assert f"Locked by {world.rep_east.user.username} on" in response.text
    assert Customer.objects.get(pk=customer.pk).trashed_at is None


def test_delete_moves_to_the_trash_and_the_admin_restores_it(world: World) -> None:
    customer = make_customer(world.rep_east, name="Blue Lake")

    deleted = signed_in(world.east_manager).post(f"/customers/{customer.pk}/delete/", follow=True)
    admin = signed_in(world.admin)
    listed = admin.get("/customers/trash/").text
    restored = admin.post(f"/customers/trash/customer/{customer.pk}/restore/", follow=True)

    assert "“Blue Lake” was moved to the trash." in deleted.text
    assert "Blue Lake" in listed
    assert "“Blue Lake” was restored." in restored.text
    assert Customer.objects.get(pk=customer.pk).trashed_at is None


def test_the_trash_page_is_for_admins_only(world: World) -> None:
    delete_customer(world.boss, make_customer(world.rep_east).pk)

    assert signed_in(world.boss).get("/customers/trash/").status_code == 403


def test_protected_fields_are_set_kept_and_cleared_by_their_form(world: World) -> None:
    customer = make_customer(world.rep_east, bank_account="6222 0212 3456 5678")
    client = signed_in(world.rep_east)
    path = f"/customers/{customer.pk}/protected/"

    client.post(path, {"version": customer.version, "id_number": ID_NUMBER})
    client.post(path, {"version": customer.version + 1, "clear_bank_account": "on"})

    page = client.get(f"/customers/{customer.pk}/").text
    assert "1101**********1234" in page
    assert "**** 5678" not in page
