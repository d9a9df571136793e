"""`salesflow create_token`: the token alone on stdout, and it speaks for its member."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from salesflow.core.models import ApiToken, Membership
from salesflow.core.services import actor_for_token
from tests.cli.conftest import PASSWORD, make_workspace, row_counts, run

pytestmark = pytest.mark.django_db


def test_prints_only_the_token_and_it_authenticates_as_the_member() -> None:
    # given lily, a rep of Acme
    workspace = make_workspace("Acme")
    run("add_user", "lily", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD)

    # when a token is created for her
    output = run("create_token", "lily", "--workspace", "Acme", "--name", "ci script")

    # then stdout holds the token and nothing else, and stderr is empty
    token = output.stdout.removesuffix("\n")
    assert output.stdout == token + "\n"
    assert token.startswith(ApiToken.PREFIX)
    assert " " not in token
    assert output.stderr == ""
    # and the token speaks for lily in Acme
    actor = actor_for_token(token)
    assert actor is not None
    assert (actor.user.username, actor.workspace_id, actor.role) == ("lily", workspace.pk, "rep")
    # and only its hash is kept, under the label given
    stored = ApiToken.objects.get(membership__user__username="lily")
    assert (stored.name, stored.hint) == ("ci script", token[:7])
    assert stored.key_hash == ApiToken.hash(token)


def test_each_call_issues_a_new_token() -> None:
    # given Acme's admin
    make_workspace("Acme")

    # when two tokens are created
    first = run("create_token", "admin-acme", "--workspace", "Acme").stdout.strip()
    second = run("create_token", "admin-acme", "--workspace", "Acme").stdout.strip()

    # then they differ and both work
    assert first != second
    assert actor_for_token(first) is not None
    assert actor_for_token(second) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["admin-acme", "--workspace", "Nowhere"], "--workspace: No workspace is named “Nowhere”."),
        (["nobody", "--workspace", "Acme"],
         "USERNAME: “nobody” is not an active member of “Acme”."),
        (["admin-globex", "--workspace", "Acme"],
         "USERNAME: “admin-globex” is not an active member of “Acme”."),
        (["admin-acme", "--workspace", "Acme", "--name", "x" * 121],
         "--name: Use at most 120 characters."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_no_token_is_made(args: list[str], message: str) -> None:
    # given Acme and Globex, each with its admin
    make_workspace("Acme")
    make_workspace("Globex")
    before = row_counts()

    # when a token is asked for with one bad input
    with pytest.raises(CommandError) as refused:
        run("create_token", *args)

    # then the message names the field and the reason, and no token exists
    assert str(refused.value) == message
    assert row_counts() == before


def test_an_inactive_member_gets_no_token() -> None:
    # given lily, whose membership of Acme was deactivated
    make_workspace("Acme")
    run("add_user", "lily", "--workspace", "Acme", "--role", "rep", "--password", PASSWORD)
    Membership.objects.filter(user__username="lily").update(is_active=False)

    # when a token is asked for her
    with pytest.raises(CommandError) as refused:
        run("create_token", "lily", "--workspace", "Acme")

    # then she is refused
    assert str(refused.value) == "USERNAME: “lily” is not an active member of “Acme”."
    assert not ApiToken.objects.exists()
