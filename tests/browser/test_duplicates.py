"""A manager finds two entries of one company and merges them, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers.models import Customer
from salesflow.customers.services import create_customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db(transaction=True)


def test_merge_two_entries_of_one_company(world: World, page: Page, shot) -> None:
    # given one company entered twice by two reps of the East team
    first = make_customer(world.rep_east, name="Huaxin Steel", industry="Steel")
    second = create_customer(
        world.rep_shanghai,
        {"name": "Huaxin Steel Co., Ltd.", "industry": "Metals", "region": "Shanghai"},
        allow_duplicate=True,
    )
    make_contact(world.rep_shanghai, second, name="Wang Fang")
    deal = make_deal(world.rep_shanghai, second, name="Rolling mill upgrade")

    # when the East manager opens the possible duplicates from the customer list
    log_in(page, world.east_manager.user.username, PASSWORD)
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Possible duplicates").click()
    expect(page.locator(".duplicate-group")).to_contain_text("huaxinsteel")
    page.get_by_role("link", name="Merge", exact=True).click()

    # then the first stays, with its own industry and the other's region chosen
    expect(page.get_by_role("heading", name="Merge customers")).to_be_visible()
    expect(page.get_by_label("Industry: Huaxin Steel", exact=True)).to_be_checked()
    expect(page.get_by_label("Region: Huaxin Steel Co., Ltd.")).to_be_checked()

    # when the second is chosen to stay instead, its values become the defaults
    page.get_by_label("Keep this one instead").check()
    expect(page.get_by_label("Industry: Huaxin Steel Co., Ltd.")).to_be_checked()
    # and the first's industry is picked by hand
    page.get_by_label("Industry: Huaxin Steel", exact=True).check()
    shot(page, "merge-screen")
    page.get_by_role("button", name="Merge 1 customer into the one that stays").click()

    # then the customer that stays opens, with the chosen values, the contact and the deal
    expect(page.get_by_role("heading", name="Huaxin Steel Co., Ltd.")).to_be_visible()
    expect(page.locator(".profile:not(.protected-fields)")).to_contain_text("Steel")
    expect(page.locator(".profile:not(.protected-fields)")).to_contain_text("Shanghai")
    expect(page.locator(".contact")).to_contain_text("Wang Fang")
    expect(page.get_by_role("link", name="Rolling mill upgrade")).to_be_visible()
    shot(page, "merged-customer")
    assert not Customer.objects.filter(pk=first.pk).exists()
    assert Customer.objects.get(pk=second.pk).industry == "Steel"
    deal.refresh_from_db()
    assert deal.customer_id == second.pk

    # and its history includes the merged customer's
    page.get_by_role("link", name="History").click()
    expect(page.locator(".history-table")).to_contain_text("Merged into another customer")
    shot(page, "history")
