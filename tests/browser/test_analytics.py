"""A manager reads the analytics pages in a real browser: charts, filters, planner, Chinese."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from salesflow.pipeline.models import Stage
from salesflow.pipeline.services.deals import close_deal, move_deal
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World, make_deal

pytestmark = pytest.mark.django_db(transaction=True)


def history(world: World) -> None:
    """Eight deals of this quarter: rep_east's five go further than rep_west's three."""
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    stages = world.open_stages()
    plan = [
        (world.rep_east, 4, "won"),
        (world.rep_east, 3, None),
        (world.rep_east, 2, "lost"),
        (world.rep_east, 1, None),
        (world.rep_east, 0, None),
        (world.rep_west, 2, "won"),
        (world.rep_west, 1, None),
        (world.rep_west, 0, "lost"),
    ]
    for number, (rep, furthest, outcome) in enumerate(plan, start=1):
        deal = make_deal(rep, name=f"Deal {number}", amount=Decimal(10_000 * number))
        for stage in stages[1 : furthest + 1]:
            move_deal(rep, deal.pk, stage.pk, None)
        if outcome:
            close_deal(rep, deal.pk, outcome=outcome, reason="Price too high", version=None)


def canvas_size(chart: Locator) -> tuple[float, float]:
    """The size of the chart's canvas once drawn. ECharts replaces its canvas when the layout
    around it settles (the top bar's menus load after the page), so the canvas is looked up
    again until one is laid out, for up to five seconds."""
    canvas = chart.locator("canvas").first
    expect(canvas).to_be_visible()
    for _attempt in range(50):
        box = canvas.bounding_box()
        if box is not None:
            return box["width"], box["height"]
        chart.page.wait_for_timeout(100)
    raise AssertionError("the chart's canvas was never laid out")


def first_reached(page: Page) -> Locator:
    return page.locator('table[data-table="cohort"] tbody tr').first.locator("td").first


def test_manager_reads_the_funnel_filters_it_plans_and_switches_to_chinese(
    world: World, page: Page, shot
) -> None:
    # given a quarter of deals in the manager's teams
    history(world)

    # when the manager opens Analytics from the main navigation
    log_in(page, world.boss.user.username, PASSWORD)
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Sales funnel", level=1)).to_be_visible()

    # then the funnel chart is drawn, and the table beside it has the same figures
    width, height = canvas_size(page.locator('[data-chart="funnel"]'))
    assert width > 100
    assert height > 100
    expect(first_reached(page)).to_have_text("8")
    shot(page, "funnel")

    # when they narrow it to rep_west, the figures update in place
    page.get_by_label("Owner", exact=True).select_option(label=world.rep_west.user.username)
    expect(first_reached(page)).to_have_text("3")
    assert f"owner={world.rep_west.user_id}" in page.url
    assert canvas_size(page.locator('[data-chart="funnel"]'))[0] > 100
    shot(page, "funnel-rep-west")

    # when they start a compare period, the missing end is asked for next to its field
    today = timezone.localdate()
    page.get_by_label("Compare from").fill(f"{today - datetime.timedelta(days=179):%Y-%m-%d}")
    expect(page.locator("#id_compare_last_day_errors")).to_have_text(
        "Give both days of the period to compare with."
    )
    shot(page, "compare-half-given")

    # and once it is given, the two periods stand side by side
    page.get_by_label("Compare to").fill(f"{today - datetime.timedelta(days=90):%Y-%m-%d}")
    expect(page.locator('table[data-table="compare"]')).to_be_visible()
    expect(page.locator("#id_compare_last_day_errors")).to_be_empty()
    expect(page.locator('[data-chart="funnel"] canvas').first).to_be_attached()
    shot(page, "compare")

    # when they open the trend and the outcomes, their charts and tables are there
    page.get_by_role("link", name="Trend").click()
    expect(page.locator('table[data-table="trend"]')).to_be_visible()
    assert canvas_size(page.locator('[data-chart="trend"]'))[0] > 100
    shot(page, "trend")
    page.get_by_role("link", name="Win rate and cycle").click()
    expect(page.locator('table[data-table="summary"]')).to_be_visible()
    shot(page, "outcomes")

    # when they open the planner and ask for 3 contracts
    page.get_by_role("link", name="Planner").click()
    expect(page.get_by_role("heading", name="Reverse-funnel planner")).to_be_visible()
    page.get_by_label("Target contracts", exact=True).fill("3")
    for stage in world.open_stages():
        page.get_by_label(stage.name, exact=True).fill("50")
    page.get_by_role("button", name="Make the plan").click()

    # then the stages' needs are worked back from it: 3 ÷ 50% five times = 6, 12, 24, 48, 96
    needs = page.locator('table[data-table="needs"] tbody tr')
    expect(needs).to_have_count(len(world.open_stages()) + 1)
    expect(needs.first.locator("td").nth(1)).to_have_text("96")
    expect(page.locator('table[data-table="weekly"]')).to_be_visible()
    shot(page, "planner")

    # when they switch to Chinese, the analytics page speaks Chinese
    page.goto("/analytics/")
    page.get_by_role("button", name="中文").click()
    expect(page.locator('html[lang="zh-hans"]')).to_have_count(1)
    expect(page.get_by_role("button", name="应用")).to_be_visible()
    expect(page.locator('table[data-table="cohort"] thead th').first).to_have_text("销售阶段")
    assert canvas_size(page.locator('[data-chart="funnel"]'))[0] > 100
    shot(page, "funnel-zh")
