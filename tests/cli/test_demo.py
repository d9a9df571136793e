"""`salesflow demo`: the ready-to-try workspace and the logins printed for it."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from salesflow.core.models import Workspace
from salesflow.core.services import actor_for_token
from salesflow.pipeline.models import Deal
from tests.cli.conftest import row_counts, run

pytestmark = pytest.mark.django_db


def _token(stdout: str) -> str:
    return stdout.strip().splitlines()[-1].strip()


def test_demo_creates_a_workspace_whose_printed_logins_work() -> None:
    # when the demo is created on an empty database
    output = run("demo").stdout

    # then the demo workspace exists with deals on the seven-stage pipeline
    workspace = Workspace.objects.get(name="演示公司")
    assert Deal.objects.filter(workspace=workspace).count() == 1000
    assert "Created the demo workspace “演示公司”" in output
    # and every printed login signs in with the printed password
    lines = output.splitlines()
    start = lines.index("Sign in with one of these logins:")
    logins = [line.split()[1] for line in lines[start + 1 : start + 4]]
    assert logins[0] == "demo"
    assert "Password: salesflow-demo" in output
    for username in logins:
        assert authenticate(username=username, password="salesflow-demo") is not None
    # and the printed token speaks for the admin
    actor = actor_for_token(_token(output))
    assert actor is not None
    assert (actor.user.username, actor.workspace_id, actor.role) == ("demo", workspace.pk, "admin")


def test_running_it_again_keeps_the_data_and_issues_a_new_token() -> None:
    # given the demo, created once
    first = run("demo").stdout
    before = row_counts()

    # when it runs again
    second = run("demo").stdout

    # then the data is left as it was, apart from one new token
    assert "already exists; it was left as it is" in second
    after = row_counts()
    assert after.pop("ApiToken") == before.pop("ApiToken") + 1
    assert after == before
    assert _token(first) != _token(second)
    assert actor_for_token(_token(first)) is not None
