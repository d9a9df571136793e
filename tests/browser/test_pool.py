"""A rep claims a customer from the public pool and reads a reminder from the bell."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers import pool
from salesflow.customers.models import Customer
from salesflow.customers.reminders import send_reminders
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_contact, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_claim_from_the_pool_and_read_the_bell(world: World, page: Page, shot) -> None:
    # given a customer in the pool, and a contact of rep_west's with a birthday today
    released = make_customer(world.rep_east, name="Huaxin Steel", industry="Steel")
    pool.release_customer(world.rep_east, released.pk, None, "Moved to Wuhan")
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    own = make_customer(world.rep_west, name="Blue Lake")
    make_contact(world.rep_west, own, name="Wang Fang", birthday=today.replace(year=1990))
    assert send_reminders() == 1

    # when rep_west signs in, the bell shows one unread notification
    log_in(page, world.rep_west.user.username, PASSWORD)
    expect(page.locator(".bell-count")).to_have_text("1")

    # when they open the public pool and claim the customer
    page.get_by_role("link", name="Public pool").click()
    expect(page.get_by_role("heading", name="Public pool")).to_be_visible()
    expect(page.locator("#claims-left")).to_have_text("Claims left today: 10 of 10")
    row = page.locator(f"#pool-row-{released.pk}")
    expect(row).to_contain_text("Moved to Wuhan")
    row.get_by_role("button", name="Claim").click()

    # then the row says it is theirs, and the claims left go down without a reload
    expect(page.locator(f"#pool-row-{released.pk}")).to_contain_text("“Huaxin Steel” is yours now.")
    expect(page.locator("#claims-left")).to_have_text("Claims left today: 9 of 10")
    shot(page, "claimed")
    assert Customer.objects.get(pk=released.pk).owner_id == world.rep_west.user_id

    # when they open the bell, the birthday is there; marking all read empties the count
    page.locator(".bell summary").click()
    expect(page.locator("#bell-menu")).to_contain_text(
        "Wang Fang of Blue Lake has a birthday today"
    )
    shot(page, "bell")
    page.locator("#bell-menu").get_by_role("button", name="Mark all read").click()
    expect(page.locator(".bell-count")).to_have_count(0)
