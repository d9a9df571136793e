"""Public pool pages, the release button, the rules page and the notification bell."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from salesflow.core.notifications import Notice, notify
from salesflow.core.scoping import Actor
from salesflow.customers import pool
from salesflow.customers.models import Customer, PoolEvent
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def in_pool(world: World, name: str) -> Customer:
    customer = make_customer(world.rep_east, name=name, industry="Steel")
    return pool.release_customer(world.rep_east, customer.pk, None, "Moved to Wuhan")


def test_the_pool_page_lists_the_pool_and_claims_with_htmx(world: World) -> None:
    # given a pool customer
    customer = in_pool(world, "Huaxin Steel")
    client = signed_in(world.rep_west)

    # then the rep sees it with its previous owner's reason and the claims left
    page = client.get("/customers/pool/").content.decode()
    assert "Huaxin Steel" in page
    assert "Moved to Wuhan" in page
    assert "Claims left today: 10 of 10" in page
    assert f'href="/customers/{customer.pk}/"' not in page  # not theirs to open yet
    assert 'href="/customers/pool/"' in client.get("/").content.decode()  # in the navigation

    # when they claim it from the page
    answer = client.post(f"/customers/pool/{customer.pk}/claim/", headers=HTMX)

    # then the row says so, links to it, and the counter goes down
    row = answer.content.decode()
    assert answer.status_code == 200
    assert "“Huaxin Steel” is yours now." in row
    assert f'href="/customers/{customer.pk}/"' in row
    assert "Claims left today: 9 of 10" in row
    assert json.loads(answer.headers["HX-Trigger"])["toast"]["text"] == (
        "“Huaxin Steel” is yours now."
    )

    # and a colleague's claim a moment later is refused with a 409 in the row
    late = signed_in(world.rep_shanghai).post(f"/customers/pool/{customer.pk}/claim/", headers=HTMX)
    assert late.status_code == 409
    assert "someone else took it first" in late.content.decode()


def test_the_search_box_finds_pool_customers_by_pinyin(world: World) -> None:
    in_pool(world, "华信钢铁")
    in_pool(world, "Blue Lake")
    page = signed_in(world.rep_west).get("/customers/pool/", {"q": "hxgt"}, headers=HTMX)
    assert "华信钢铁" in page.content.decode()
    assert "Blue Lake" not in page.content.decode()


def test_a_manager_assigns_from_the_pool_page(world: World) -> None:
    customer = in_pool(world, "Blue Lake")
    client = signed_in(world.east_manager)
    assert "Assign to…" in client.get("/customers/pool/").content.decode()
    answer = client.post(
        f"/customers/pool/{customer.pk}/assign/",
        {"owner": world.rep_shanghai.user_id},
        headers=HTMX,
    )
    assert answer.status_code == 200
    assert Customer.objects.get(pk=customer.pk).owner_id == world.rep_shanghai.user_id


def test_releasing_from_the_customer_page_needs_a_reason(world: World) -> None:
    customer = make_customer(world.rep_east, name="Red Hill")
    client = signed_in(world.rep_east)
    assert "Release to the pool" in client.get(f"/customers/{customer.pk}/").content.decode()

    bare = client.post(f"/customers/{customer.pk}/release/", {"version": 1, "reason": ""})
    assert bare.status_code == 422
    assert "Say why the customer goes to the public pool." in bare.content.decode()

    done = client.post(f"/customers/{customer.pk}/release/", {"version": 1, "reason": "Closed"})
    # the rep no longer sees it, so they land on the pool
    assert (done.status_code, done.headers["Location"]) == (302, "/customers/pool/")
    assert Customer.objects.get(pk=customer.pk).owner_id is None
    # and its manager sees the event on the customer page
    detail = signed_in(world.east_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "Closed" in detail
    assert "Public pool" in detail
    assert PoolEvent.objects.filter(customer=customer).count() == 1


def test_a_manager_edits_a_pool_customer_without_giving_it_an_owner(world: World) -> None:
    customer = in_pool(world, "Blue Lake")
    client = signed_in(world.east_manager)
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 200
    saved = client.post(
        f"/customers/{customer.pk}/edit/",
        {"version": customer.version, "name": "Blue Lake Ltd", "kind": "company",
         "lifecycle": "prospect", "next_service_on": "2027-03-01"},
    )  # fmt: skip
    assert saved.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.owner_id) == ("Blue Lake Ltd", None)


def test_history_and_rules_pages(world: World) -> None:
    in_pool(world, "Blue Lake")
    history = signed_in(world.rep_west).get("/customers/pool/history/").content.decode()
    assert "Blue Lake" in history
    assert "Moved to Wuhan" in history

    assert signed_in(world.rep_west).get("/customers/pool/rules/").status_code == 403
    admin = signed_in(world.admin)
    assert admin.get("/customers/pool/rules/").status_code == 200
    refused = admin.post(
        "/customers/pool/rules/",
        {"version": 1, "return_after_days": 3, "warn_days_before": 3, "claim_limit": 5,
         "remind_days_before": 3},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Warn fewer days ahead than the 3 days" in refused.content.decode()
    saved = admin.post(
        "/customers/pool/rules/",
        {"version": 1, "return_after_days": 30, "warn_days_before": 3, "claim_limit": 5,
         "remind_days_before": 3, "exempt_open_deals": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert pool.rules_of(world.admin.workspace_id).claim_limit == 5


def test_the_bell_counts_lists_and_marks_read(world: World) -> None:
    notify(
        [
            Notice(
                workspace_id=world.rep_east.workspace_id,
                user_id=world.rep_east.user_id,
                kind="test",
                title="%(customer)s returns to the public pool on %(on)s",
                params={"customer": "<b>Red Hill</b>"},
                on=datetime.date(2027, 3, 1),
            )
        ]
    )
    client = signed_in(world.rep_east)
    assert 'id="bell-count"' in client.get("/").content.decode()
    assert (
        '<span class="bell-count">1</span>' in client.get("/notifications/count/").content.decode()
    )
    menu = client.get("/notifications/menu/", headers=HTMX).content.decode()
    assert "&lt;b&gt;Red Hill&lt;/b&gt; returns to the public pool" in menu  # escaped
    assert signed_in(world.east_manager).get("/notifications/count/").content.decode() == "\n"

    marked = client.post("/notifications/read/", headers=HTMX)
    assert json.loads(marked.headers["HX-Trigger"]) == {"notificationsChanged": True}
    assert "bell-count" not in client.get("/notifications/count/").content.decode()
