"""`salesflow add_user`: members, their teams, and what they manage."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError

from salesflow.core.models import Membership, Role, Team
from salesflow.core.scoping import Actor
from salesflow.core.services import create_team
from tests.cli.conftest import PASSWORD, make_workspace, row_counts, run

pytestmark = pytest.mark.django_db


def test_a_rep_joins_a_team_that_is_created_on_the_way() -> None:
    # given a workspace without teams
    workspace = make_workspace("Acme")

    # when a rep is added to the team "East"
    output = run(
        "add_user", "lily", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD,
        "--team", "East",
    )  # fmt: skip

    # then the message says who joined and which team was new
    assert output.stdout == "Added lily to “Acme” as rep. New teams: East.\n"
    # and East is a top-level team of Acme with lily in it
    membership = Membership.objects.select_related("team", "user").get(
        workspace=workspace, user__username="lily"
    )
    assert membership.role == Role.REP
    assert membership.team is not None
    assert (membership.team.name, membership.team.parent_id) == ("East", None)
    assert membership.team.path == f"/{membership.team.pk}/"
    assert membership.user.check_password(PASSWORD)


def test_a_manager_manages_existing_and_new_teams_under_a_parent() -> None:
    # given Acme with the team tree Sales ─ East
    workspace = make_workspace("Acme")
    sales = create_team(None, workspace, "Sales", None)
    east = create_team(None, workspace, "East", sales)

    # when a manager of East and the new team West (under Sales) is added to Sales
    output = run(
        "add_user", "max", "--workspace", "Acme", "--role", "manager", "--password", PASSWORD,
        "--team", "Sales", "--manages", "East", "West", "--parent-team", "Sales",
    )  # fmt: skip

    # then only West was new, and it hangs under Sales
    assert output.stdout == "Added max to “Acme” as manager. New teams: West.\n"
    west = Team.objects.get(workspace=workspace, name="West")
    assert west.parent_id == sales.pk
    assert west.path == f"/{sales.pk}/{west.pk}/"
    # and max manages East and West, so his scope covers both sub-trees
    membership = Membership.objects.get(workspace=workspace, user__username="max")
    assert membership.team_id == sales.pk
    assert set(membership.manages.values_list("name", flat=True)) == {"East", "West"}
    assert set(Actor(membership).managed_paths) == {east.path, west.path}


def test_a_user_of_another_workspace_joins_without_a_password() -> None:
    # given lily is a member of Acme
    make_workspace("Acme")
    globex = make_workspace("Globex")
    run("add_user", "lily", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD)

    # when she is added to Globex as admin without a password
    run("add_user", "lily", "--workspace", "Globex", "--role", "admin")

    # then she is the same login, with her password unchanged
    assert User.objects.filter(username="lily").count() == 1
    membership = Membership.objects.get(workspace=globex, user__username="lily")
    assert membership.role == Role.ADMIN
    assert membership.user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["lily", "--workspace", "Nowhere", "--role", "rep", "--password", PASSWORD],
            "--workspace: No workspace is named “Nowhere”.",
        ),
        (
            ["lily", "--workspace", "Acme", "--role", "boss", "--password", PASSWORD],
            "--role: Choose admin, manager or rep.",
        ),
        (
            ["lily", "--workspace", "Acme", "--role", "rep", "--password", "abc"],
            "--password: This password is too short.",
        ),
        (
            ["lily", "--workspace", "Acme", "--role", "rep"],
            "--password: A new user needs a password.",
        ),
        (
            ["admin-acme", "--workspace", "Acme", "--role", "rep"],
            "USERNAME: This user is already a member.",
        ),
        (
            ["lily ?", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD],
            "USERNAME: Enter a valid username.",
        ),
        (
            ["lily", "--workspace", "Acme", "--role", "rep", "--parent-team", "Nope"],
            "--parent-team: No team is named “Nope” in this workspace.",
        ),
        (
            ["lily", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD,
             "--team", "x" * 121],
            "--team/--manages: Ensure this value has at most 120 characters",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    args: list[str], message: str
) -> None:
    # given Acme
    make_workspace("Acme")
    before = row_counts()

    # when a member is added with one bad input, and a new team to create on the way
    with pytest.raises(CommandError) as refused:
        run("add_user", *args, "--manages", "Brand new team")

    # then the message names the field and the reason
    assert message in str(refused.value)
    # and nothing was written, not even the new team
    assert row_counts() == before
    assert not Team.objects.filter(name="Brand new team").exists()
