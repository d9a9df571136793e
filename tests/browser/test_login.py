"""Signing in, the home page, switching language, signing out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_in_see_home_switch_language_and_log_out(world: World, page: Page, shot) -> None:
    # given the login page
    page.goto("/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shot(page, "login")

    # when a wrong password is given, then the page says so and stays
    page.get_by_label("Username").fill(world.rep_east.user.username)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    # when the rep signs in
    log_in(page, world.rep_east.user.username, PASSWORD)

    # then the home page greets them with their cards
    expect(page.get_by_role("heading", name="My open deals by stage")).to_be_visible()
    expect(page.get_by_role("heading", name="Today and overdue")).to_be_visible()
    shot(page, "home-en")

    # when they switch to Chinese, the page speaks Chinese and keeps speaking it after a reload
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="我的进行中商机（按阶段）")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="我的进行中商机（按阶段）")).to_be_visible()
    shot(page, "home-zh")

    # when they log out, the pages ask for a login again
    page.get_by_role("button", name="退出登录").click()
    page.goto("/")
    expect(page.get_by_label("用户名")).to_be_visible()
