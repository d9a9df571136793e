"""An admin defines a custom field, fills it on a customer, and sees it on the page and list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)


def test_define_a_field_fill_it_and_see_it_on_the_detail_page_and_the_list(
    world: World, page: Page, shot
) -> None:
    # given a signed-in admin on the custom field settings
    log_in(page, world.admin.user.username, PASSWORD)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Custom fields").first.click()

    # when they add a money field shown in the list
    page.get_by_role("link", name="Add a field").click()
    page.get_by_label("Label").fill("Budget")
    page.get_by_label("Type").select_option("money")
    page.get_by_label("Maximum", exact=True).fill("1000000")
    page.get_by_label("Show as a column of the list, with a filter").check()
    shot(page, "new-field")
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_role("cell", name="budget", exact=True)).to_be_visible()
    shot(page, "field-list")

    # when they create a customer with a budget over the maximum, the error shows beside it
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Huaxin Steel")
    page.get_by_label("Budget").fill("1200000")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".field-error")).to_have_text("must be at most 1,000,000")

    # when they correct it, the detail page shows the budget in the workspace's currency
    page.get_by_label("Budget").fill("250000")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", name="Huaxin Steel")).to_be_visible()
    expect(page.locator(".profile:not(.protected-fields)")).to_contain_text("CN¥250,000.00")
    shot(page, "customer-detail")
    assert Customer.objects.get(name="Huaxin Steel").custom == {"budget": "250000.00"}

    # and the customer list has a Budget column holding it
    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("columnheader", name="Budget")).to_be_visible()
    expect(page.locator(".customer-table tbody tr").first).to_contain_text("CN¥250,000.00")
    shot(page, "customer-list")
