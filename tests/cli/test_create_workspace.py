"""`salesflow create_workspace`: a new workspace from the command line, or a clear refusal."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, ManagementUtility

from salesflow.core.models import Membership, Role, Workspace
from salesflow.pipeline.models import LostReason, Pipeline
from tests.cli.conftest import PASSWORD, make_workspace, row_counts, run

pytestmark = pytest.mark.django_db


def test_creates_the_workspace_its_admin_and_the_chosen_pipeline() -> None:
    # when a workspace is created with every option given
    output = run(
        "create_workspace",
        "Globex",
        "--admin",
        "hank",
        "--password",
        PASSWORD,
        "--template",
        "funnel4",
        "--language",
        "en",
        "--currency",
        "USD",
        "--timezone",
        "Europe/Paris",
    )

    # then one confirmation line is printed
    assert output.stdout == "Created workspace “Globex” with admin hank.\n"
    # and the workspace carries the options
    workspace = Workspace.objects.get(name="Globex")
    assert (workspace.language, workspace.base_currency, workspace.timezone) == (
        "en",
        "USD",
        "Europe/Paris",
    )
    # and hank is its admin and can sign in with the password
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user.username, membership.role) == ("hank", Role.ADMIN)
    assert membership.user.check_password(PASSWORD)
    # and the default pipeline is the four-stage funnel in English, with lost reasons
    pipeline = Pipeline.objects.get(workspace=workspace, is_default=True)
    assert list(pipeline.stages.order_by("position").values_list("name", flat=True)) == [
        "Prospect",
        "Interested",
        "Closed",
        "Retained",
        "Lost",
    ]
    assert LostReason.objects.filter(workspace=workspace).count() == 6


def test_defaults_are_a_chinese_b2b_workspace_in_cny_and_shanghai_time() -> None:
    # when only the name, admin and password are given
    workspace = make_workspace("Initech")

    # then the defaults apply: Chinese, yuan, Shanghai, the seven-stage B2B process
    assert (workspace.language, workspace.base_currency, workspace.timezone) == (
        "zh-hans",
        "CNY",
        "Asia/Shanghai",
    )
    pipeline = Pipeline.objects.get(workspace=workspace, is_default=True)
    assert pipeline.name == "B2B 七阶段销售流程"
    assert pipeline.stages.count() == 8


def test_an_existing_user_becomes_admin_and_keeps_their_password() -> None:
    # given hank already administers one workspace
    make_workspace("Acme")
    existing = User.objects.get(username="admin-acme")

    # when a second workspace names him as admin with another password
    output = run(
        "create_workspace", "Umbrella", "--admin", "admin-acme", "--password", "Other-pass-77"
    )

    # then the message says so and his password is unchanged
    assert output.stdout == (
        "Created workspace “Umbrella” with the existing user admin-acme as admin.\n"
    )
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert Membership.objects.filter(user=existing, role=Role.ADMIN).count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "123"], "--password: This password is too short."),
        (["--password", "123"], "--password: This password is entirely numeric."),
        (["--template", "waterfall"], "--template: Choose one of: b2b7, funnel4, consultative."),
        (["--currency", "XYZ"], "--currency: Not an ISO 4217 currency code."),
        (["--timezone", "Mars/Olympus"], "--timezone: Not a known time zone."),
        (["--language", "fr"], "--language: Value 'fr' is not a valid choice."),
    ],
)
def test_bad_input_is_refused_naming_the_option_and_nothing_is_written(
    args: list[str], message: str
) -> None:
    # given the rows before
    before = row_counts()

    # when a workspace is created with one bad option
    with pytest.raises(CommandError) as refused:
        run("create_workspace", "Acme", "--admin", "wile", "--password", PASSWORD, *args)

    # then the message names the option and the reason
    assert message in str(refused.value)
    # and nothing was written: no workspace, no user, no pipeline
    assert row_counts() == before


def test_a_duplicate_name_is_refused() -> None:
    # given a workspace named Acme
    make_workspace("Acme")
    before = row_counts()

    # when another is created with the same name
    with pytest.raises(CommandError) as refused:
        run("create_workspace", "Acme", "--admin", "roadrunner", "--password", PASSWORD)

    # then the name is refused and nothing is written
    assert str(refused.value) == "NAME: A workspace with this name already exists."
    assert row_counts() == before


def test_from_the_shell_a_refusal_goes_to_stderr_with_a_failing_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a workspace named Acme
    make_workspace("Acme")

    # when the real command line tries to create it again
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(
            ["salesflow", "create_workspace", "Acme", "--admin", "x", "--password", PASSWORD]
        ).execute()

    # then the exit code is non-zero and the reason is on stderr, not stdout
    assert exited.value.code == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    assert "NAME: A workspace with this name already exists." in printed.err
