"""An admin shapes the sales process and the team in the settings pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.models import Membership, Role
from salesflow.pipeline.models import Stage
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)


def stage_names(world: World) -> list[str]:
    return [s.name for s in world.stages]


def shown_stage_names(page: Page) -> list[str]:
    return [name.strip() for name in page.locator(".stage-item .stage-name a").all_inner_texts()]


def test_admin_adds_a_stage_edits_it_and_reorders_the_stages(
    world: World, page: Page, shot
) -> None:
    # given the admin on the default pipeline's stage page, reached from the main navigation
    log_in(page, world.admin.user.username, PASSWORD)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Pipelines and stages").first.click()
    shot(page, "pipelines")
    page.get_by_role("link", name="Edit stages").first.click()
    expect(page.get_by_role("heading", name="Stages")).to_be_visible()

    # when they add a stage "Pilot"
    page.locator("#id_stage_name").fill("Pilot")
    page.get_by_role("button", name="Add stage").click()

    # then its edit page opens; they set exit criteria and the playbook and save
    expect(page.get_by_role("heading", name="Stage: Pilot")).to_be_visible()
    page.get_by_label("Default win probability (%)").fill("35")
    page.get_by_label("Amount").check()
    page.get_by_label("Next step").check()
    page.get_by_label("Checklist to tick before leaving").fill(
        "Pilot report signed\nSponsor agrees"
    )
    page.get_by_label("Responsible role").fill("Solution engineer")
    page.get_by_label("Expected output").fill("Pilot report")
    shot(page, "stage-edit")
    page.get_by_role("button", name="Save stage").click()

    expect(page.get_by_role("heading", name="Stages")).to_be_visible()
    pilot = Stage.objects.get(pipeline=world.pipeline, name="Pilot")
    assert pilot.exit_fields == ["amount", "next_step"]
    assert pilot.exit_checklist == ["Pilot report signed", "Sponsor agrees"]
    assert (pilot.probability, pilot.playbook_role) == (35, "Solution engineer")

    # when they move Pilot up with the keyboard-reachable button
    before = stage_names(world)
    assert before[-1] == "Pilot"
    page.get_by_role("button", name="Move Pilot up").focus()
    with page.expect_response(re.compile(r"/order/$")):
        page.keyboard.press("Enter")

    # then the list shows Pilot one place higher, and the database agrees
    expected = [*before[:-2], "Pilot", before[-2]]
    expect(page.locator(".stage-item").nth(len(before) - 2)).to_contain_text("Pilot")
    assert shown_stage_names(page) == expected
    assert stage_names(world) == expected
    # and focus stays on the moved stage's button for the next key press
    expect(page.get_by_role("button", name="Move Pilot up")).to_be_focused()

    # when they drag the first stage below the second by its handle
    first, second = expected[0], expected[1]
    handle = page.locator(".stage-item").nth(0).locator(".drag-handle")
    target = page.locator(".stage-item").nth(1)
    box = target.bounding_box()
    assert box is not None
    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.75, steps=12)
    with page.expect_response(re.compile(r"/order/$")) as saved:
        page.mouse.up()
    assert saved.value.status == 200

    # then the saved order has the two swapped
    expect(page.locator(".stage-item").nth(0)).to_contain_text(second)
    expect(page.locator(".stage-item").nth(1)).to_contain_text(first)
    assert stage_names(world) == [second, first, *expected[2:]]
    shot(page, "stages-reordered")


def test_admin_adds_a_member(world: World, page: Page, shot) -> None:
    # given the admin on the users and teams page
    log_in(page, world.admin.user.username, PASSWORD)
    page.goto("/settings/members/")
    expect(page.get_by_role("heading", name="Teams", exact=True)).to_be_visible()

    # when a password that is too short is given, then the page says so beside the field
    page.get_by_label("Username").fill("liwei")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#id_password_error")).to_contain_text("too short")
    shot(page, "member-error")

    # when they add a manager of East with a good password
    page.get_by_label("Username").fill("liwei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Role").select_option("manager")
    page.get_by_label("Team", exact=True).select_option(label="East")
    page.get_by_role("group", name="Manages").get_by_label("East").check()
    page.get_by_role("button", name="Add member").click()

    # then the list shows them, and the membership is what was chosen
    row = page.get_by_role("row").filter(has_text="liwei")
    expect(row).to_contain_text("manager")
    expect(row).to_contain_text(re.compile("East"))
    member = Membership.objects.get(workspace_id=world.admin.workspace_id, user__username="liwei")
    assert (member.role, member.team_id) == (Role.MANAGER, world.teams["east"].pk)
    assert list(member.manages.values_list("name", flat=True)) == ["East"]
    shot(page, "members")
