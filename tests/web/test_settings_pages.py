"""The settings pages: admins only, errors beside their fields, atomic stage order, scoping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from salesflow.core.models import AuditRecord, Membership, Role, Team
from salesflow.core.scoping import Actor
from salesflow.pipeline.models import Pipeline, Stage
from tests.conftest import PASSWORD, World, make_deal


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def client_for(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def field_error(page: str, field: str) -> str:
    """The message shown beside a form field (its element id is id_<field>_error)."""
    found = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def text(response) -> str:
    return html.unescape(response.content.decode())


def stage_ids(pipeline: Pipeline) -> list[int]:
    return list(pipeline.stages.order_by("position", "id").values_list("pk", flat=True))


def fresh(actor: Actor) -> Membership:
    return Membership.objects.get(pk=actor.membership.pk)


def pages_and_actions(world: World) -> tuple[list[str], list[str]]:
    """The settings URLs that answer GET (pages; most also take a form) and POST only."""
    pipeline = world.pipeline
    stage = world.stages[0]
    pages = [
        reverse("core:settings"),
        reverse("core:pipelines"),
        reverse("core:pipeline", args=[pipeline.pk]),
        reverse("core:stage", args=[stage.pk]),
        reverse("core:members"),
        reverse("core:member", args=[world.rep_east.membership.pk]),
        reverse("core:team", args=[world.teams["east"].pk]),
        reverse("core:tiers"),
    ]
    actions = [
        *pages[1:],
        reverse("core:pipeline_default", args=[pipeline.pk]),
        reverse("core:pipeline_delete", args=[pipeline.pk]),
        reverse("core:stage_add", args=[pipeline.pk]),
        reverse("core:stage_order", args=[pipeline.pk]),
        reverse("core:stage_delete", args=[stage.pk]),
        reverse("core:team_add"),
        reverse("core:team_delete", args=[world.teams["west"].pk]),
    ]
    return pages, actions


# Who may enter


@pytest.mark.parametrize("who", ["boss", "rep_east"])
def test_managers_and_reps_get_403_from_every_settings_page(world: World, who: str) -> None:
    # given a manager or a rep, and the state before
    client = client_for(getattr(world, who))
    audit_count = AuditRecord.objects.count()

    pages, actions = pages_and_actions(world)

    # when they open any settings page or send any settings form, then each answers 403
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url in actions:
        assert client.post(url, {"name": "x", "version": 1}).status_code == 403, url

    # and nothing was written
    assert AuditRecord.objects.count() == audit_count


def test_the_settings_nav_item_is_shown_to_admins_only(world: World) -> None:
    home = reverse("home")
    settings_link = f'href="{reverse("core:settings")}"'
    assert settings_link in client_for(world.admin).get(home).content.decode()
    assert settings_link not in client_for(world.boss).get(home).content.decode()
    assert settings_link not in client_for(world.rep_east).get(home).content.decode()


def test_another_workspaces_pipeline_stage_member_and_team_are_not_found(
    world: World, other_world: World
) -> None:
    client = client_for(world.admin)
    foreign_stage = other_world.stages[0]
    for url in (
        reverse("core:pipeline", args=[other_world.pipeline.pk]),
        reverse("core:stage", args=[foreign_stage.pk]),
        reverse("core:member", args=[other_world.rep_east.membership.pk]),
        reverse("core:team", args=[other_world.teams["east"].pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("core:stage", args=[foreign_stage.pk]),
        {"name": "Hijacked", "kind": "open", "probability": 1, "expected_days": 1, "version": 1},
    )
    assert response.status_code == 404
    assert Stage.objects.get(pk=foreign_stage.pk).name == foreign_stage.name
    response = client.post(
        reverse("core:pipeline_delete", args=[other_world.pipeline.pk]), {"version": 1}
    )
    assert response.status_code == 404


# Pipelines


def test_admin_sees_overview_and_pipeline_list(world: World) -> None:
    client = client_for(world.admin)
    overview = text(client.get(reverse("core:settings")))
    assert "Pipelines and stages" in overview
    assert "Users and teams" in overview
    listing = text(client.get(reverse("core:pipelines")))
    assert world.pipeline.name in listing
    assert "default" in listing


def test_create_a_pipeline_from_a_template_or_empty(world: World) -> None:
    client = client_for(world.admin)

    response = client.post(reverse("core:pipelines"), {"template": "funnel4", "name": ""})
    funnel = Pipeline.objects.get(workspace_id=world.admin.workspace_id, is_default=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:pipeline", args=[funnel.pk])
    assert funnel.stages.count() > 0

    client.post(reverse("core:pipelines"), {"template": "", "name": "Renewals"})
    renewals = Pipeline.objects.get(workspace_id=world.admin.workspace_id, name="Renewals")
    assert renewals.stages.count() == 0


def test_a_pipeline_name_already_taken_is_shown_beside_the_name(world: World) -> None:
    client = client_for(world.admin)
    before = Pipeline.objects.count()
    response = client.post(reverse("core:pipelines"), {"template": "", "name": world.pipeline.name})
    assert response.status_code == 422
    assert field_error(text(response), "name")
    assert Pipeline.objects.count() == before


def test_make_default_and_delete_pipelines(world: World) -> None:
    client = client_for(world.admin)
    client.post(reverse("core:pipelines"), {"template": "", "name": "Renewals"})
    renewals = Pipeline.objects.get(name="Renewals", workspace_id=world.admin.workspace_id)
    old_default = world.pipeline

    client.post(reverse("core:pipeline_default", args=[renewals.pk]), {"version": renewals.version})
    assert world.pipeline.pk == renewals.pk

    # when a pipeline with deals is deleted, the page says why and nothing goes
    make_deal(world.rep_east, pipeline_id=old_default.pk)
    old_default.refresh_from_db()
    response = client.post(
        reverse("core:pipeline_delete", args=[old_default.pk]), {"version": old_default.version}
    )
    assert response.status_code == 422
    assert "This pipeline still has deals." in text(response)
    assert Pipeline.objects.filter(pk=old_default.pk).exists()

    # a stale version is a conflict
    client.post(reverse("core:pipelines"), {"template": "", "name": "Spare"})
    spare = Pipeline.objects.get(name="Spare", workspace_id=world.admin.workspace_id)
    response = client.post(
        reverse("core:pipeline_delete", args=[spare.pk]), {"version": spare.version + 1}
    )
    assert response.status_code == 409
    response = client.post(
        reverse("core:pipeline_delete", args=[spare.pk]), {"version": spare.version}
    )
    assert response.status_code == 302
    assert not Pipeline.objects.filter(pk=spare.pk).exists()


def test_rename_a_pipeline_with_a_blank_name_is_refused_beside_the_field(world: World) -> None:
    client = client_for(world.admin)
    pipeline = world.pipeline
    url = reverse("core:pipeline", args=[pipeline.pk])
    response = client.post(url, {"name": "", "version": pipeline.version})
    assert response.status_code == 422
    assert field_error(text(response), "name") == "This field cannot be blank."
    assert Pipeline.objects.get(pk=pipeline.pk).name == pipeline.name

    response = client.post(url, {"name": "Main", "version": pipeline.version})
    assert response.status_code == 302
    assert Pipeline.objects.get(pk=pipeline.pk).name == "Main"


# Stages


def stage_post(stage: Stage, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": stage.name,
        "kind": stage.kind,
        "goal": stage.goal,
        "probability": stage.probability,
        "expected_days": stage.expected_days,
        "exit_fields": stage.exit_fields,
        "exit_checklist": "\n".join(stage.exit_checklist),
        "playbook_role": stage.playbook_role,
        "playbook_activities": stage.playbook_activities,
        "playbook_materials": stage.playbook_materials,
        "playbook_output": stage.playbook_output,
        "version": stage.version,
    }
    return {**data, **changes}


def test_add_a_stage_then_edit_its_exit_criteria_and_playbook(world: World) -> None:
    client = client_for(world.admin)
    pipeline = world.pipeline
    count = pipeline.stages.count()

    response = client.post(
        reverse("core:stage_add", args=[pipeline.pk]), {"name": "Pilot", "kind": "open"}
    )
    stage = Stage.objects.get(pipeline=pipeline, name="Pilot")
    assert response["Location"] == reverse("core:stage", args=[stage.pk])
    assert stage.position == count + 1

    response = client.post(
        reverse("core:stage", args=[stage.pk]),
        stage_post(
            stage,
            probability=35,
            expected_days=21,
            goal="Prove the value on site",
            exit_fields=["amount", "contact"],
            exit_checklist="Pilot report signed\n\n  Sponsor agrees  \n",
            playbook_role="Solution engineer",
            playbook_output="Pilot report",
        ),
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.probability, stage.expected_days) == (35, 21)
    assert stage.exit_fields == ["amount", "contact"]
    assert stage.exit_checklist == ["Pilot report signed", "Sponsor agrees"]
    assert (stage.playbook_role, stage.playbook_output) == ("Solution engineer", "Pilot report")

    # the edit page shows what was saved
    page = text(client.get(reverse("core:stage", args=[stage.pk])))
    assert "Pilot report signed\nSponsor agrees" in page
    assert 'value="amount" id="id_exit_fields_0" checked' in page


def test_stage_errors_are_shown_beside_each_field_and_nothing_changes(world: World) -> None:
    client = client_for(world.admin)
    stage = world.stages[0]
    response = client.post(
        reverse("core:stage", args=[stage.pk]),
        stage_post(stage, name="", probability=150),
    )
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "name") == "This field cannot be blank."
    assert field_error(page, "probability") == "Ensure this value is less than or equal to 100."
    # the submitted values stay in the form, to be corrected
    assert 'name="probability" value="150"' in page

    response = client.post(
        reverse("core:stage", args=[stage.pk]), stage_post(stage, exit_checklist="x" * 201)
    )
    assert response.status_code == 422
    assert "at most 200 characters" in field_error(text(response), "exit_checklist")
    assert Stage.objects.get(pk=stage.pk).version == stage.version
    assert Stage.objects.get(pk=stage.pk).probability == stage.probability


def test_a_stale_stage_version_is_a_409_showing_the_current_stage(world: World) -> None:
    # given two admins' screens read the same stage; the first saves
    client = client_for(world.admin)
    stage = world.stages[0]
    url = reverse("core:stage", args=[stage.pk])
    assert client.post(url, stage_post(stage, probability=20)).status_code == 302

    # when the second saves from the old version
    response = client.post(url, stage_post(stage, probability=90))

    # then nothing was written, and the page says so and shows the current values
    assert response.status_code == 409
    assert "Someone else changed this stage" in text(response)
    assert 'name="probability" value="20"' in text(response)
    assert Stage.objects.get(pk=stage.pk).probability == 20


def test_a_stage_holding_deals_cannot_be_deleted(world: World) -> None:
    client = client_for(world.admin)
    deal = make_deal(world.rep_east)
    stage = deal.stage
    response = client.post(
        reverse("core:stage_delete", args=[stage.pk]), {"version": stage.version}
    )
    assert response.status_code == 422
    assert "Move this stage's deals elsewhere first." in text(response)
    assert Stage.objects.filter(pk=stage.pk).exists()

    empty = world.stages[-2]
    response = client.post(
        reverse("core:stage_delete", args=[empty.pk]), {"version": empty.version}
    )
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=empty.pk).exists()


def test_reorder_stages_in_one_request(world: World) -> None:
    client = client_for(world.admin)
    pipeline = world.pipeline
    ids = stage_ids(pipeline)
    wanted = [ids[2], ids[0], ids[1], *ids[3:]]

    response = client.post(
        reverse("core:stage_order", args=[pipeline.pk]),
        {"version": pipeline.version, "stage": wanted},
        headers={"HX-Request": "true"},
    )

    # then the answer is the stage list fragment in the new order, and the rows agree
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert re.findall(r'data-stage-id="(\d+)"', page) == [str(pk) for pk in wanted]
    assert stage_ids(pipeline) == wanted


def test_the_move_down_button_sends_the_whole_new_order(world: World) -> None:
    client = client_for(world.admin)
    pipeline = world.pipeline
    ids = stage_ids(pipeline)
    page = text(client.get(reverse("core:pipeline", args=[pipeline.pk])))

    # the first stage's "move down" form lists the second stage first, then the first
    form = re.search(
        rf'<input type="hidden" name="moved" value="{ids[0]}">'
        r'<input type="hidden" name="direction" value="down">(.*?)</form>',
        page,
        re.S,
    )
    assert form is not None
    sent = [int(v) for v in re.findall(r'name="stage" value="(\d+)"', form.group(1))]
    assert sent == [ids[1], ids[0], *ids[2:]]

    client.post(
        reverse("core:stage_order", args=[pipeline.pk]),
        {"version": pipeline.version, "stage": sent},
    )
    assert stage_ids(pipeline) == sent


def test_a_reorder_from_a_stale_screen_is_a_409_and_changes_nothing(world: World) -> None:
    client = client_for(world.admin)
    pipeline = world.pipeline
    ids = stage_ids(pipeline)
    url = reverse("core:stage_order", args=[pipeline.pk])
    swapped = [ids[1], ids[0], *ids[2:]]

    # given another admin reordered first (the pipeline's version moved on)
    assert client.post(url, {"version": pipeline.version, "stage": swapped}).status_code == 302

    # when this screen sends its own order with the old version, or a list missing a stage
    stale = client.post(
        url,
        {"version": pipeline.version, "stage": list(reversed(ids))},
        headers={"HX-Request": "true"},
    )
    fresh_version = Pipeline.objects.get(pk=pipeline.pk).version
    partial = client.post(url, {"version": fresh_version, "stage": ids[1:]})

    # then both are refused with the list as it is now, and the order stays the first admin's
    assert stale.status_code == 409
    assert "Someone else changed this pipeline" in text(stale)
    assert re.findall(r'data-stage-id="(\d+)"', text(stale)) == [str(pk) for pk in swapped]
    assert partial.status_code == 409
    assert stage_ids(pipeline) == swapped


# Members and teams


def test_members_page_lists_members_and_the_team_tree(world: World) -> None:
    page = text(client_for(world.admin).get(reverse("core:members")))
    for actor in (world.admin, world.boss, world.rep_shanghai):
        assert actor.user.username in page
    # Shanghai is listed inside East's nested list
    assert re.search(
        r">East</a>.*?<ul class=\"team-tree\">\s*<li>\s*<a[^>]*>Shanghai</a>", page, re.S
    )


def test_add_a_member(world: World) -> None:
    client = client_for(world.admin)
    east, west = world.teams["east"], world.teams["west"]
    response = client.post(
        reverse("core:members"),
        {
            "username": "newrep",
            "password": PASSWORD,
            "role": "manager",
            "team": east.pk,
            "manages": [east.pk, west.pk],
        },
    )
    assert response.status_code == 302
    member = Membership.objects.get(workspace_id=world.admin.workspace_id, user__username="newrep")
    assert (member.role, member.team_id) == (Role.MANAGER, east.pk)
    assert set(member.manages.values_list("pk", flat=True)) == {east.pk, west.pk}


def test_add_member_errors_are_shown_beside_the_fields(world: World) -> None:
    client = client_for(world.admin)
    before = Membership.objects.count()

    weak = client.post(
        reverse("core:members"), {"username": "newrep", "password": "123", "role": "rep"}
    )
    taken = client.post(
        reverse("core:members"),
        {"username": world.rep_east.user.username, "password": "", "role": "rep"},
    )
    no_password = client.post(reverse("core:members"), {"username": "fresh", "role": "rep"})

    assert weak.status_code == taken.status_code == no_password.status_code == 422
    assert "too short" in field_error(text(weak), "password")
    assert field_error(text(taken), "username") == "This user is already a member."
    assert field_error(text(no_password), "password") == "A new user needs a password."
    assert Membership.objects.count() == before


def member_post(membership: Membership, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "role": membership.role,
        "team": membership.team_id or "",
        "manages": list(membership.manages.values_list("pk", flat=True)),
        "version": membership.version,
    }
    if membership.is_active:
        data["is_active"] = "on"
    return {**data, **changes}


def test_change_a_members_role_and_deactivate_them(world: World) -> None:
    client = client_for(world.admin)
    member = fresh(world.rep_east)
    url = reverse("core:member", args=[member.pk])
    response = client.post(
        url, member_post(member, role="manager", manages=[world.teams["east"].pk])
    )
    assert response.status_code == 302
    member = fresh(world.rep_east)
    assert member.role == Role.MANAGER

    data = member_post(member)
    del data["is_active"]
    assert client.post(url, data).status_code == 302
    assert not fresh(world.rep_east).is_active


def test_the_last_admin_is_not_demoted_and_the_page_says_why(world: World) -> None:
    client = client_for(world.admin)
    admin = fresh(world.admin)
    response = client.post(reverse("core:member", args=[admin.pk]), member_post(admin, role="rep"))
    assert response.status_code == 422
    assert "at least one active admin" in field_error(text(response), "role")
    assert fresh(world.admin).role == Role.ADMIN


def test_a_stale_member_version_is_a_409(world: World) -> None:
    client = client_for(world.admin)
    member = fresh(world.rep_east)
    url = reverse("core:member", args=[member.pk])
    assert client.post(url, member_post(member, role="manager")).status_code == 302
    response = client.post(url, member_post(member, role="admin"))
    assert response.status_code == 409
    assert "Someone else changed this member" in text(response)
    assert fresh(world.rep_east).role == Role.MANAGER


def test_add_move_and_delete_teams(world: World) -> None:
    client = client_for(world.admin)
    sales, west = world.teams["sales"], world.teams["west"]

    assert (
        client.post(reverse("core:team_add"), {"name": "Export", "parent": sales.pk}).status_code
        == 302
    )
    export = Team.objects.get(workspace_id=world.admin.workspace_id, name="Export")
    assert export.path == f"/{sales.pk}/{export.pk}/"

    response = client.post(
        reverse("core:team", args=[export.pk]),
        {"name": "Export", "parent": west.pk, "version": export.version},
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=export.pk).path == f"/{sales.pk}/{west.pk}/{export.pk}/"

    export.refresh_from_db()
    response = client.post(
        reverse("core:team_delete", args=[export.pk]), {"version": export.version}
    )
    assert response.status_code == 302
    assert not Team.objects.filter(pk=export.pk).exists()


def test_team_errors_are_shown_beside_the_fields(world: World) -> None:
    client = client_for(world.admin)
    east, shanghai = world.teams["east"], world.teams["shanghai"]
    before = {t.pk: t.path for t in Team.objects.all()}

    duplicate = client.post(reverse("core:team_add"), {"name": "East", "parent": ""})
    cycle = client.post(
        reverse("core:team", args=[east.pk]),
        {"name": "East", "parent": shanghai.pk, "version": east.version},
    )
    busy = client.post(reverse("core:team_delete", args=[east.pk]), {"version": east.version})

    assert duplicate.status_code == cycle.status_code == busy.status_code == 422
    assert field_error(text(duplicate), "name")
    assert field_error(text(cycle), "parent") == (
        "A team cannot move under itself or one of its sub-teams."
    )
    assert "Only an empty team can be deleted" in text(busy)
    assert {t.pk: t.path for t in Team.objects.all()} == before
