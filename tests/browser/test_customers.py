"""A rep creates a customer, adds a contact, logs a call and finishes a task, in a real browser."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity
from salesflow.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_customer_add_contact_log_call_and_finish_a_task(
    world: World, page: Page, shot
) -> None:
    # given a signed-in rep on the customer list
    log_in(page, world.rep_east.user.username, PASSWORD)
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()

    # when they send the form with a bad email, the error shows next to the field
    page.get_by_label("Name").fill("Huaxin Steel")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".field-error")).to_have_text("Enter a valid email address.")
    shot(page, "customer-form-error")

    # when they fix it, the customer 360 page opens
    page.get_by_label("Email").fill("info@huaxin.cn")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", name="Huaxin Steel")).to_be_visible()
    customer = Customer.objects.get(name="Huaxin Steel")
    assert customer.email == "info@huaxin.cn"

    # when they add a contact with two phone numbers
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("Name").fill("Wang Fang")
    page.get_by_label("Phones").fill("138 0000 0001\n021-5555-0100")
    page.get_by_role("button", name="Add contact").click()
    expect(page.locator(".contact")).to_contain_text("Wang Fang")
    expect(page.locator(".contact")).to_contain_text("021-5555-0100")

    # when they log a call from the quick form, it appears on top of the timeline at once
    page.locator("#quick-log").get_by_label("Subject").fill("Called about the rolling mill")
    page.locator("#quick-log").get_by_role("button", name="Save").click()
    expect(page.locator("#timeline li").first).to_contain_text("Called about the rolling mill")
    expect(page.locator("#quick-log").get_by_label("Subject")).to_have_value("")
    shot(page, "customer-360")
    assert Activity.objects.filter(customer=customer, kind="call").count() == 1

    # given a task due today, when they mark it done on the activities page with an outcome
    create_activity(
        world.rep_east,
        {
            "kind": "task",
            "subject": "Send the quote",
            "customer_id": customer.pk,
            "due_at": timezone.now() + datetime.timedelta(minutes=1),
        },
    )
    page.get_by_role("link", name="Activities").click()
    task = page.locator(".task", has_text="Send the quote")
    expect(task).to_be_visible()
    task.get_by_text("Mark done").click()
    task.get_by_label("Outcome").fill("Quote sent by email")
    shot(page, "activities")
    task.get_by_role("button", name="Done").click()

    # then it leaves the list and the outcome is recorded
    expect(page.locator(".task", has_text="Send the quote")).to_have_count(0)
    expect(page.locator("#toast")).to_contain_text("Marked done")
    done = Activity.objects.get(subject="Send the quote")
    assert done.done_at is not None
    assert done.outcome == "Quote sent by email"
    shot(page, "activities-done")


def test_customer_table_scrolls_at_phone_width(world: World, page: Page, shot) -> None:
    make_customer(world.rep_east, name="Huaxin Steel", phone="+86 21 5555 0100", region="Shanghai")
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, world.rep_east.user.username, PASSWORD)
    page.goto("/customers/")
    page.get_by_label("Search").fill("huaxin")
    expect(page.locator(".customer-table tbody tr")).to_have_count(1)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    shot(page, "customers-phone")
