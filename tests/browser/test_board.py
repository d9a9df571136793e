"""The pipeline board in a real browser: drag, the exit-criteria dialog, lost, conflicts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from salesflow.pipeline.models import Deal
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db(transaction=True)


def drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag with real mouse events and intermediate moves, as SortableJS needs."""
    target.scroll_into_view_if_needed()
    start = card.locator(".deal-customer").bounding_box()
    end = target.bounding_box()
    assert start
    assert end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(
            start["x"] + (end["x"] + end["width"] / 2 - start["x"]) * step / 10,
            start["y"] + (end["y"] + end["height"] / 2 - start["y"]) * step / 10,
        )
        page.wait_for_timeout(30)
    # the layout shifts while the card travels: aim again at where the target now is
    end = target.bounding_box()
    assert end
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    for nudge in (1, 2, 3):
        page.mouse.move(x + nudge, y + nudge)
        page.wait_for_timeout(50)
    page.mouse.up()


def test_drag_fill_the_dialog_close_lost_and_see_a_conflict(
    world: World, page: Page, browser: Browser, live_server, shot
) -> None:
    # given a rep with a deal in Prospecting and a customer with a contact
    customer = make_customer(world.rep_east, name="Huawei Pudong")
    make_contact(world.rep_east, customer, name="Wang Fang")
    second = make_deal(world.rep_east, name="Switches pilot")
    stages = world.open_stages()

    # when the rep creates a deal from the customer's page
    log_in(page, world.rep_east.user.username, PASSWORD)
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Name").fill("Routers 2027")
    page.get_by_label("Amount").fill("250000")
    shot(page, "new-deal")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_role("heading", name="Routers 2027")).to_be_visible()
    first = Deal.objects.get(name="Routers 2027")
    assert first.customer_id == customer.pk
    assert first.stage_id == stages[0].pk

    # and opens the board
    page.get_by_role("link", name="Pipeline").click()
    expect(page.get_by_role("heading", name="Prospecting")).to_be_visible()
    shot(page, "board")

    # and drags the first deal to Initial contact
    drag(page, page.locator(f"#deal-{first.pk}"), page.locator(f"#col-{stages[1].pk} .board-cards"))

    # then the dialog asks for the contact and the checklist item
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Move “Routers 2027” to “Initial contact”")
    shot(page, "exit-criteria-dialog")
    dialog.get_by_label("Contact").select_option(label="Wang Fang")
    dialog.get_by_label("Customer profile collected").check()
    dialog.get_by_role("button", name="Save and move").click()

    # then the card sits in Initial contact and the deal moved with its contact saved
    expect(page.locator(f"#col-{stages[1].pk} #deal-{first.pk}")).to_be_visible()
    expect(page.locator(f"#colhead-{stages[1].pk}")).to_contain_text("1 deal")
    first.refresh_from_db()
    assert first.stage_id == stages[1].pk
    assert first.contact is not None
    shot(page, "moved")

    # when the second deal is dropped on Lost, a reason is asked for and given
    drag(page, page.locator(f"#deal-{second.pk}"), page.locator("#zone-lost .board-cards"))
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Lost reason").select_option("Price too high")
    shot(page, "lost-dialog")
    dialog.get_by_role("button", name="Close as lost").click()
    expect(page.locator(f"#deal-{second.pk}")).to_have_count(0)
    second.refresh_from_db()
    assert second.stage.kind == "lost"
    assert second.lost_reason.name == "Price too high"

    # when someone else, in a second browser, moves the first deal back first
    other_context = browser.new_context(base_url=live_server.url, locale="en-US")
    other = other_context.new_page()
    log_in(other, world.boss.user.username, PASSWORD)
    other.goto(f"/deals/{first.pk}/")
    other.get_by_label("Move to stage").select_option(label="Prospecting")
    other.get_by_role("button", name="Move", exact=True).click()
    expect(other.get_by_text("Moved to “Prospecting”.")).to_be_visible()
    other_context.close()

    # and the rep, with the keyboard, moves their stale card to Needs analysis
    card = page.locator(f"#deal-{first.pk}")
    card.focus()
    card.get_by_label("Move “Routers 2027” to").select_option(label="Needs analysis")
    card.get_by_role("button", name="Move").press("Enter")

    # then they see the conflict message, and the card is where the other put it
    expect(page.locator("#toast")).to_contain_text("changed by someone else")
    expect(page.locator(f"#col-{stages[0].pk} #deal-{first.pk}")).to_be_visible()
    assert Deal.objects.get(pk=first.pk).stage_id == stages[0].pk
    shot(page, "conflict")

    # when the rep switches to Chinese, the board speaks Chinese
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="商机看板")).to_be_visible()
    expect(page.get_by_role("link", name="新建商机")).to_be_visible()
    expect(page.locator(f"#colhead-{stages[0].pk}")).to_contain_text("1 个商机")
    shot(page, "board-zh")


def test_phone_width_scrolls_the_columns(world: World, page: Page, shot) -> None:
    # given a deal and a phone-sized window
    make_deal(world.rep_east, name="Phone deal")
    page.set_viewport_size({"width": 390, "height": 800})

    # when the board opens, then the columns scroll sideways and the card is readable
    log_in(page, world.rep_east.user.username, PASSWORD)
    page.goto("/deals/board/")
    expect(page.get_by_role("link", name="Phone deal")).to_be_visible()
    scroll = page.locator(".board-scroll")
    assert scroll.evaluate("el => el.scrollWidth > el.clientWidth")
    shot(page, "phone")
