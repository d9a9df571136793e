"""A manager builds the category tree inline, then moves customers into it from the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers.models import Category, Customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_build_the_tree_and_move_selected_customers(world: World, page: Page, shot) -> None:
    # given three of a rep's customers, seen by their manager
    for name in ("Anshan Iron", "Baosteel", "Citic Bank"):
        make_customer(world.rep_east, name=name)
    log_in(page, world.boss.user.username, PASSWORD)

    # when the manager opens Categories and tags from the customer list and adds a category
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Categories and tags").click()
    page.get_by_label("New top-level category").fill("Industry")
    page.get_by_label("New top-level category").press("Enter")
    tree = page.locator(".category-tree")
    expect(tree).to_contain_text("Industry")

    # and a sub-category under it, inline
    page.locator(".category-node", has_text="Industry").get_by_text("Add sub-category").click()
    page.get_by_label("New category under Industry").fill("Steel")
    page.get_by_label("New category under Industry").press("Enter")
    expect(tree.locator(".category-node .category-node")).to_contain_text("Steel")
    steel = Category.objects.get(name="Steel")
    shot(page, "category-tree")

    # when they tick two customers on the list and move them to Steel
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_label("Select Anshan Iron").check()
    page.get_by_label("Select Baosteel").check()
    page.get_by_label("With the selected customers").select_option("move")
    page.locator("#selection-form").get_by_label("Category").select_option(str(steel.pk))
    page.get_by_role("button", name="Apply to selected").click()

    # then the list says so and shows their category
    expect(page.locator(".messages")).to_contain_text("Moved 2 customers.")
    expect(page.locator("tr", has_text="Baosteel")).to_contain_text("Steel")
    shot(page, "customers-moved")
    assert sorted(Customer.objects.filter(category=steel).values_list("name", flat=True)) == [
        "Anshan Iron",
        "Baosteel",
    ]

    # and filtering by Industry finds them through its sub-category
    page.locator("form.filters").get_by_label("Category").select_option(
        str(Category.objects.get(name="Industry").pk)
    )
    expect(page.locator(".customer-table tbody tr")).to_have_count(2)

    # and the tree counts them
    page.get_by_role("link", name="Categories and tags").click()
    expect(page.locator(".category-row", has_text="Industry")).to_contain_text("2 customers")
