"""A manager reads the forecast in a real browser, adjusts a category; then the bottlenecks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Case, Value, When
from django.utils import timezone
from playwright.sync_api import Page, expect

from salesflow.analytics import forecast_views
from salesflow.analytics.models import StageStay, StayMonthly
from salesflow.pipeline.models import Stage
from salesflow.pipeline.services.deals import move_deal, update_deal
from tests.analytics.histories import Clock
from tests.browser.conftest import log_in
from tests.browser.test_analytics import canvas_size, history
from tests.conftest import PASSWORD, World, make_deal
from tests.web.test_forecast_pages import SMALL, leaking_history

pytestmark = pytest.mark.django_db(transaction=True)


def open_deals(world: World) -> None:
    """Open deals closing over the coming months, with a closed history to learn from.

    The history is written today, so its stays last 0 days: they are lengthened to 9 days
    (rep_east) and 16 days (rep_west), so that the simulated closes spread over the months.
    """
    history(world)
    for model in (StageStay, StayMonthly):
        model.objects.filter(workspace_id=world.admin.workspace_id).update(
            days=Case(When(owner_id=world.rep_west.user_id, then=Value(16)), default=Value(9))
        )
    today = timezone.localdate()
    stages = world.open_stages()
    plan = [
        (world.rep_east, 40_000, 80, 10, 2),
        (world.rep_east, 25_000, 60, 35, 1),
        (world.rep_west, 60_000, 30, 50, 0),
        (world.rep_west, 15_000, 90, 70, 3),
        (world.rep_east, 80_000, 20, 80, 0),
    ]
    for rep, amount, probability, days, stage in plan:
        deal = make_deal(
            rep,
            amount=Decimal(amount),
            expected_close_date=today + datetime.timedelta(days=days),
        )
        for later in stages[1 : stage + 1]:
            move_deal(rep, deal.pk, later.pk, None)
        update_deal(rep, deal.pk, None, {"probability": probability})


def test_manager_reads_the_forecast_and_adjusts_commit(world: World, page: Page, shot) -> None:
    # given open deals over the coming months
    open_deals(world)

    # when the sales manager opens the Forecast tab of the analytics
    log_in(page, world.boss.user.username, PASSWORD)
    page.get_by_role("link", name="Analytics").click()
    page.get_by_role("link", name="Forecast", exact=True).click()
    expect(page.get_by_role("heading", name="Sales forecast", level=1)).to_be_visible()

    # then the Monte Carlo chart is drawn, and said to rest on 10,000 simulations
    width, height = canvas_size(page.locator("[data-forecast-chart]"))
    assert width > 100
    assert height > 100
    expect(page.get_by_text("10,000 simulations", exact=False)).to_be_visible()
    expect(page.locator('table[data-table="simulation"] tbody tr')).not_to_have_count(0)
    commit = page.locator('tr[data-category="commit"]')
    # 40,000 × 80 % + 15,000 × 90 % = 45,500
    expect(commit.locator("td").nth(2)).to_have_text("CN¥45,500.00")
    shot(page, "forecast")

    # when they set their own commit figure with a note
    page.get_by_label("Adjusted amount for “Commit”").fill("40000")
    page.get_by_label("Note for “Commit”").fill("The west deal slips")
    commit.get_by_role("button", name="Save").click()

    # then both numbers stand side by side, with the difference, and a toast confirms it
    commit = page.locator('tr[data-category="commit"]')
    expect(commit.locator("td").nth(3)).to_have_text("CN¥40,000.00")
    expect(commit.locator("td").nth(2)).to_have_text("CN¥45,500.00")
    expect(commit.locator("td").nth(4)).to_have_text("−CN¥5,500.00")
    expect(page.locator("#toast")).to_have_text("Adjustment saved: Commit.")
    # and the chart is still drawn
    assert canvas_size(page.locator("[data-forecast-chart]"))[0] > 100
    shot(page, "forecast-adjusted")

    # when the amount is not a number, the error sits next to the field
    page.get_by_label("Adjusted amount for “Best case”").fill("-1")
    page.locator('tr[data-category="best_case"]').get_by_role("button", name="Save").click()
    expect(page.locator("#id_best_case_amount_error")).to_have_text(
        "Ensure this value is greater than or equal to 0."
    )
    shot(page, "forecast-error")

    # and after a reload both numbers are still there
    page.reload()
    commit = page.locator('tr[data-category="commit"]')
    expect(commit.locator("td").nth(3)).to_have_text("CN¥40,000.00")
    expect(page.get_by_label("Note for “Commit”")).to_have_value("The west deal slips")

    # when they open the bottlenecks: four deals a kind are too few to flag anything
    page.get_by_role("link", name="Bottlenecks").click()
    expect(page.get_by_role("heading", name="Bottlenecks", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing fell below the thresholds in this period.")).to_be_visible()
    shot(page, "bottlenecks-empty")


def test_the_forecast_in_chinese(world: World, page: Page, shot) -> None:
    open_deals(world)
    log_in(page, world.boss.user.username, PASSWORD)
    page.goto("/analytics/forecast/")
    page.get_by_role("button", name="中文").click()
    expect(page.locator('html[lang="zh-Hans"]')).to_have_count(1)
    assert canvas_size(page.locator("[data-forecast-chart]"))[0] > 100
    shot(page, "forecast-zh")


def test_manager_reads_the_bottlenecks(
    world: World, page: Page, shot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the history of tests/analytics/test_bottlenecks.py, written in February and March
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    clock = Clock()
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: clock.now)
        leaking_history(world, clock)
    # and thresholds lowered for a history of four deals a period
    monkeypatch.setattr(forecast_views, "THRESHOLDS", SMALL)

    # when the manager opens the bottlenecks of March 2026
    log_in(page, world.boss.user.username, PASSWORD)
    page.goto("/analytics/bottlenecks/?first_day=2026-03-01&last_day=2026-03-31")
    expect(page.get_by_role("heading", name="Bottlenecks", level=1)).to_be_visible()

    # then one flag of each kind is listed with its figures, explanation and advice
    expect(page.locator('[data-flag="conversion"]')).to_have_count(1)
    expect(page.locator('[data-flag="time"]')).to_have_count(1)
    expect(page.locator('[data-flag="reps"]')).to_have_count(1)
    expect(page.locator('[data-flag="conversion"] dd').first).to_have_text("25.0%")
    expect(page.locator('[data-flag="time"] dd').first).to_have_text("10.0 days")
    expect(page.locator('[data-flag="reps"] h3')).to_contain_text(world.rep_east.user.username)
    shot(page, "bottlenecks")
