"""A rep reveals a protected field with their password; an admin restores from the trash."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.customers.models import Customer
from salesflow.customers.services import delete_customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_customer

pytestmark = pytest.mark.django_db(transaction=True)

ID_NUMBER = "110101199003071234"


def test_reveal_with_the_password_then_restore_from_the_trash(
    world: World, page: Page, shot
) -> None:
    # given a customer with an ID number, seen by its rep
    customer = make_customer(world.rep_east, name="Blue Lake", id_number=ID_NUMBER)
    log_in(page, world.rep_east.user.username, PASSWORD)
    page.goto(f"/customers/{customer.pk}/")
    field = page.locator("#reveal-id_number")
    expect(field).to_contain_text("1101**********1234")

    # when they ask to reveal it, a password prompt appears; a wrong password is refused
    field.get_by_role("link", name="Reveal").click()
    field.get_by_label("Your password").fill("not my password")
    field.get_by_role("button", name="Show").click()
    expect(page.locator("#reveal-id_number .field-error")).to_have_text(
        "This is not your password. The attempt was recorded."
    )
    shot(page, "reveal-refused")

    # when they type their password, the value shows, and hides again
    page.locator("#reveal-id_number").get_by_label("Your password").fill(PASSWORD)
    page.locator("#reveal-id_number").get_by_role("button", name="Show").click()
    expect(page.locator("#reveal-id_number")).to_contain_text(ID_NUMBER)
    shot(page, "revealed")
    page.locator("#reveal-id_number").get_by_role("button", name="Hide").click()
    expect(page.locator("#reveal-id_number")).to_contain_text("1101**********1234")
    expect(page.locator("#reveal-id_number")).not_to_contain_text(ID_NUMBER)

    # given the customer deleted by a manager, when the admin opens the trash from settings
    delete_customer(world.east_manager, customer.pk)
    page.get_by_role("button", name="Log out").click()
    log_in(page, world.admin.user.username, PASSWORD)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Trash").first.click()
    row = page.locator("#trash tbody tr")
    expect(row).to_contain_text("Blue Lake")
    expect(row).to_contain_text("30")
    shot(page, "trash")

    # then restoring it brings it back
    row.get_by_role("button", name="Restore").click()
    expect(page.locator(".message")).to_contain_text("“Blue Lake” was restored.")
    assert Customer.objects.get(pk=customer.pk).trashed_at is None
