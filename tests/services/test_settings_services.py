"""Services behind the settings pages: members, teams, stage order, templates by name."""

from __future__ import annotations

import pytest

from salesflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from salesflow.core.models import AuditRecord, Membership, Role, Team
from salesflow.core.scoping import Actor, visible
from salesflow.core.services import (
    add_member,
    create_team,
    delete_team,
    update_member,
    update_team,
)
from salesflow.pipeline.models import Deal, Pipeline, Stage
from salesflow.pipeline.services.pipelines import install_template, reorder_stages
from tests.conftest import PASSWORD, World, make_deal
from tests.services.support import error_fields


def audits(obj: object, action: str) -> list[AuditRecord]:
    return list(
        AuditRecord.objects.filter(
            entity=obj._meta.label_lower,  # type: ignore[attr-defined]
            entity_id=obj.pk,  # type: ignore[attr-defined]
            action=action,
        ).order_by("id")
    )


def fresh(actor: Actor) -> Membership:
    return Membership.objects.get(pk=actor.membership.pk)


# update_member


def test_admin_changes_role_team_and_managed_teams_in_one_audited_write(world: World) -> None:
    # given rep_east (team East, version v)
    member = fresh(world.rep_east)
    west = world.teams["west"]
    version = member.version

    # when the admin makes them a manager of West, in team West
    update_member(
        world.admin,
        member.pk,
        member.version,
        {"role": Role.MANAGER, "team_id": west.pk, "manages": [west.pk]},
    )

    # then the row changed, its version went up by one, and one audit record names each change
    member = fresh(world.rep_east)
    assert (member.role, member.team_id) == (Role.MANAGER, west.pk)
    assert list(member.manages.values_list("pk", flat=True)) == [west.pk]
    [record] = audits(member, "update")
    assert record.changes == {
        "role": [Role.REP, Role.MANAGER],
        "team_id": [world.teams["east"].pk, west.pk],
        "manages": [[], [west.pk]],
    }
    assert member.version == version + 1


def test_only_an_admin_may_change_members(world: World) -> None:
    member = fresh(world.rep_east)
    with pytest.raises(Forbidden):
        update_member(world.boss, member.pk, member.version, {"role": Role.ADMIN})
    assert fresh(world.rep_east).role == Role.REP


def test_a_stale_version_changes_nothing(world: World) -> None:
    member = fresh(world.rep_east)
    with pytest.raises(Conflict) as conflict:
        update_member(world.admin, member.pk, member.version - 1 or 99, {"is_active": False})
    assert conflict.value.current_version == member.version
    assert fresh(world.rep_east).is_active


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(world: World) -> None:
    admin = fresh(world.admin)
    for change in ({"role": Role.MANAGER}, {"is_active": False}):
        with pytest.raises(ValidationFailed) as refused:
            update_member(world.admin, admin.pk, admin.version, change)
        assert error_fields(refused.value) == ["role"]
    assert (fresh(world.admin).role, fresh(world.admin).is_active) == (Role.ADMIN, True)

    # when a second admin exists, the first may step down
    second = fresh(world.boss)
    update_member(world.admin, second.pk, second.version, {"role": Role.ADMIN})
    update_member(world.admin, admin.pk, admin.version, {"role": Role.MANAGER})
    assert fresh(world.admin).role == Role.MANAGER


def test_an_inactive_admin_does_not_count_as_the_other_admin(world: World) -> None:
    # given a second admin who has been deactivated
    second = fresh(world.boss)
    update_member(world.admin, second.pk, second.version, {"role": Role.ADMIN})
    second = fresh(world.boss)
    update_member(world.admin, second.pk, second.version, {"is_active": False})

    # then the first admin is still the last active one
    admin = fresh(world.admin)
    with pytest.raises(ValidationFailed):
        update_member(world.admin, admin.pk, admin.version, {"is_active": False})


def test_another_workspaces_team_or_member_is_refused(world: World, other_world: World) -> None:
    member = fresh(world.rep_east)
    foreign_team = other_world.teams["east"]
    with pytest.raises(ValidationFailed) as refused:
        update_member(world.admin, member.pk, member.version, {"team_id": foreign_team.pk})
    assert error_fields(refused.value) == ["team_id"]
    with pytest.raises(ValidationFailed) as refused:
        update_member(world.admin, member.pk, member.version, {"manages": [foreign_team.pk]})
    assert error_fields(refused.value) == ["manages"]
    foreign_member = fresh(other_world.rep_east)
    with pytest.raises(NotFound):
        update_member(world.admin, foreign_member.pk, foreign_member.version, {"role": "admin"})
    assert fresh(world.rep_east).team_id == world.teams["east"].pk


def test_unknown_fields_and_roles_are_refused(world: World) -> None:
    member = fresh(world.rep_east)
    with pytest.raises(ValidationFailed) as refused:
        update_member(world.admin, member.pk, member.version, {"username": "x"})
    assert error_fields(refused.value) == ["username"]
    with pytest.raises(ValidationFailed) as refused:
        update_member(world.admin, member.pk, member.version, {"role": "owner"})
    assert error_fields(refused.value) == ["role"]


# Teams


def paths(world: World) -> dict[str, str]:
    return {t.name: t.path for t in Team.objects.filter(workspace_id=world.admin.workspace_id)}


def test_moving_a_team_rewrites_the_path_of_its_whole_sub_tree(world: World) -> None:
    # given Sales > East > Shanghai and Sales > West
    east, west, shanghai = world.teams["east"], world.teams["west"], world.teams["shanghai"]
    east.refresh_from_db()

    # when East moves under West
    update_team(world.admin, east.pk, east.version, {"parent_id": west.pk})

    # then East and Shanghai hang below West: /sales/west/east/ and /sales/west/east/shanghai/
    sales = world.teams["sales"]
    expected_east = f"/{sales.pk}/{west.pk}/{east.pk}/"
    assert paths(world)["East"] == expected_east
    assert paths(world)["Shanghai"] == f"{expected_east}{shanghai.pk}/"
    assert Team.objects.get(pk=east.pk).parent_id == west.pk
    assert audits(east, "update")[-1].changes["path"] == [
        f"/{sales.pk}/{east.pk}/",
        expected_east,
    ]
    # and the West manager's scope now covers rep_shanghai (the paths are what scoping reads)
    west_rep = world.rep_west
    update_member(world.admin, fresh(west_rep).pk, fresh(west_rep).version, {"role": Role.MANAGER})
    update_member(world.admin, fresh(west_rep).pk, fresh(west_rep).version, {"manages": [west.pk]})
    deal = make_deal(world.rep_shanghai)
    manager = Actor(fresh(west_rep))
    assert visible(Deal, manager).filter(pk=deal.pk).exists()


def test_moving_a_team_to_the_top_and_renaming_it(world: World) -> None:
    east = Team.objects.get(pk=world.teams["east"].pk)
    update_team(world.admin, east.pk, east.version, {"parent_id": None, "name": "East China"})
    assert paths(world)["East China"] == f"/{east.pk}/"
    assert paths(world)["Shanghai"] == f"/{east.pk}/{world.teams['shanghai'].pk}/"


def test_a_team_cannot_move_under_itself_or_its_sub_team(world: World) -> None:
    before = paths(world)
    east = Team.objects.get(pk=world.teams["east"].pk)
    for parent in (east, world.teams["shanghai"]):
        with pytest.raises(ValidationFailed) as refused:
            update_team(world.admin, east.pk, east.version, {"parent_id": parent.pk})
        assert error_fields(refused.value) == ["parent_id"]
    assert paths(world) == before


def test_team_names_stay_unique_and_only_admins_change_teams(world: World) -> None:
    east = Team.objects.get(pk=world.teams["east"].pk)
    with pytest.raises(ValidationFailed) as refused:
        update_team(world.admin, east.pk, east.version, {"name": "West"})
    assert error_fields(refused.value) == ["name"]
    with pytest.raises(Forbidden):
        update_team(world.boss, east.pk, east.version, {"name": "Eastern"})
    with pytest.raises(Conflict):
        update_team(world.admin, east.pk, east.version + 1, {"name": "Eastern"})
    assert Team.objects.get(pk=east.pk).name == "East"


def test_only_an_empty_team_can_be_deleted(world: World) -> None:
    # given teams with sub-teams, members, and one that is empty
    empty = create_team(world.admin, world.admin.workspace, "Export", world.teams["sales"])
    for busy in (world.teams["sales"], world.teams["shanghai"]):
        with pytest.raises(ValidationFailed):
            delete_team(world.admin, busy.pk, None)
    with pytest.raises(Forbidden):
        delete_team(world.boss, empty.pk, empty.version)

    delete_team(world.admin, empty.pk, empty.version)

    assert not Team.objects.filter(pk=empty.pk).exists()
    assert Team.objects.filter(pk=world.teams["shanghai"].pk).exists()
    assert len(audits(empty, "delete")) == 1


def test_a_team_someone_manages_is_not_empty(world: World) -> None:
    team = create_team(world.admin, world.admin.workspace, "Key accounts", None)
    add_member(
        world.admin,
        world.admin.workspace,
        username="ka_manager",
        password=PASSWORD,
        role=Role.MANAGER,
        manages=[team],
    )
    with pytest.raises(ValidationFailed):
        delete_team(world.admin, team.pk, team.version)


# Stage order


def test_reorder_sets_every_position_in_one_audited_write(world: World) -> None:
    # given the seven stages of b2b7 plus Lost, in order s1..s8
    pipeline = world.pipeline
    ids = [s.pk for s in world.stages]
    wanted = [ids[1], ids[0], *ids[2:]]

    reorder_stages(world.admin, pipeline.pk, pipeline.version, wanted)

    # then positions follow the list, the pipeline's version rose, and the order is audited
    assert [s.pk for s in world.stages] == wanted
    assert list(
        Stage.objects.filter(pk__in=ids).order_by("position").values_list("position", flat=True)
    ) == list(range(1, len(ids) + 1))
    assert Pipeline.objects.get(pk=pipeline.pk).version == pipeline.version + 1
    assert audits(pipeline, "reorder")[0].changes == {"stage_ids": [ids, wanted]}
    # and only the two stages that moved were written
    assert {
        r.entity_id for r in AuditRecord.objects.filter(entity="pipeline.stage", action="update")
    } == {ids[0], ids[1]}


def test_a_reorder_from_an_out_of_date_screen_changes_nothing(world: World) -> None:
    pipeline = world.pipeline
    ids = [s.pk for s in world.stages]
    reversed_ids = list(reversed(ids))

    # a stale version, a missing stage, a repeated stage, a stage of another pipeline
    other = install_template(world.admin, "funnel4", language="en")
    for version, order in (
        (pipeline.version + 1, reversed_ids),
        (pipeline.version, reversed_ids[1:]),
        (pipeline.version, [ids[0], *ids[:-1]]),
        (pipeline.version, [*ids[:-1], other.stages.first().pk]),
    ):
        with pytest.raises(Conflict):
            reorder_stages(world.admin, pipeline.pk, version, order)
    assert [s.pk for s in world.stages] == ids
    assert Pipeline.objects.get(pk=pipeline.pk).version == pipeline.version


def test_only_an_admin_reorders_stages(world: World) -> None:
    pipeline = world.pipeline
    ids = [s.pk for s in world.stages]
    with pytest.raises(Forbidden):
        reorder_stages(world.boss, pipeline.pk, pipeline.version, list(reversed(ids)))
    assert [s.pk for s in world.stages] == ids


def test_a_template_can_be_installed_under_a_name_of_ones_own(world: World) -> None:
    pipeline = install_template(world.admin, "b2b7", language="en", name="Key accounts")
    assert pipeline.name == "Key accounts"
    assert pipeline.stages.count() == len(world.stages)
    with pytest.raises(ValidationFailed) as refused:
        install_template(world.admin, "b2b7", language="en")
    assert error_fields(refused.value) == ["name"]
