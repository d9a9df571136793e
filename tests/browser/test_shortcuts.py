"""A rep pins a customer on its page and reaches it from the shortcuts menu of another page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers import shortcuts
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_pin_a_customer_then_open_it_from_the_menu_on_another_page(
    world: World, page: Page, shot
) -> None:
    # given a rep with two customers, who opens one of them from the list
    rep = world.rep_east
    customer = make_customer(rep, name="Huaxin Steel")
    make_customer(rep, name="Blue Lake")
    log_in(page, rep.user.username, PASSWORD)
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Huaxin Steel").click()
    expect(page.get_by_role("heading", name="Huaxin Steel")).to_be_visible()

    # when they pin it, the button turns pressed in place, without leaving the page
    page.get_by_role("button", name="Pin", exact=True).click()
    expect(page.get_by_role("button", name="Pinned")).to_have_attribute("aria-pressed", "true")
    assert shortcuts.is_pinned(rep, customer)
    shot(page, "pinned")

    # when they go to the activities page and open the menu, it lists the customer as pinned,
    # and as recently viewed and most used
    page.get_by_role("link", name="Activities").click()
    page.get_by_text("My customers").click()
    pinned = page.get_by_role("region", name="Pinned")
    expect(pinned.get_by_role("link", name="Huaxin Steel")).to_be_visible()
    expect(page.get_by_role("region", name="Recently viewed")).to_contain_text("Huaxin Steel")
    expect(page.get_by_role("region", name="Most used")).to_contain_text("Huaxin Steel")
    shot(page, "menu")

    # when they click it there, the customer's page opens
    pinned.get_by_role("link", name="Huaxin Steel").click()
    expect(page.get_by_role("heading", name="Huaxin Steel")).to_be_visible()
    expect(page.get_by_role("button", name="Pinned")).to_be_visible()
