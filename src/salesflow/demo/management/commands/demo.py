"""`salesflow demo`: a ready-to-try workspace, created once, and how to sign in to it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import domain_errors
from salesflow.core.models import Membership, Role, Workspace
from salesflow.core.services import create_token, create_workspace
from salesflow.demo.generator import (
    DEFAULT_PASSWORD,
    SCALES,
    SeedRequest,
    seed_workspace,
    today_in,
)
from salesflow.demo.management.commands.seed import describe
from salesflow.demo.organise import organise_demo

DEMO_WORKSPACE = "演示公司"
DEMO_ADMIN = "demo"
DEMO_SEED = 42
TOKEN_LABEL = "salesflow demo"


class Command(BaseCommand):
    help = (
        "Create the demo workspace “演示公司” with a small seeded history if it does not "
        "exist yet, then print the demo logins and a new API token for its admin. "
        "Running it again changes nothing but the token."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("Password of every demo login when the demo is created (default: %(pw)s).")
            % {"pw": DEFAULT_PASSWORD},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        workspace = Workspace.objects.filter(name=DEMO_WORKSPACE).first()
        if workspace is None:
            options_named = {"password": "--password", "user_prefix": _("demo logins")}
            with domain_errors(options_named), transaction.atomic():
                admin = create_workspace(
                    DEMO_WORKSPACE,
                    admin_username=DEMO_ADMIN,
                    admin_password=password,
                    template="b2b7",
                    language="zh-hans",
                )
                workspace = admin.workspace
                summary = seed_workspace(
                    SeedRequest(
                        workspace=workspace,
                        scale=SCALES["small"],
                        seed=DEMO_SEED,
                        anchor=today_in(workspace),
                        password=password,
                        user_prefix=DEMO_ADMIN,
                    )
                )
                organise_demo(admin, chinese=True)
            self.stdout.write(
                _("Created the demo workspace “%(name)s” in %(seconds).1f s:")
                % {"name": workspace.name, "seconds": summary.seconds}
            )
            self.stdout.write(describe(summary))
        else:
            self.stdout.write(
                _("The demo workspace “%(name)s” already exists; it was left as it is.")
                % {"name": workspace.name}
            )
        self._print_logins(workspace, password)

    def _print_logins(self, workspace: Workspace, password: str) -> None:
        members = Membership.objects.filter(workspace=workspace, is_active=True).select_related(
            "user"
        )
        admin = (
            members.filter(role=Role.ADMIN, user__username=DEMO_ADMIN).first()
            or members.filter(role=Role.ADMIN).order_by("id").first()
        )
        if admin is None:
            raise CommandError(
                _("The demo workspace “%(name)s” has no active admin.") % {"name": workspace.name}
            )
        logins = [(_("admin"), admin)]
        for role, label in ((Role.MANAGER, _("manager")), (Role.REP, _("rep"))):
            member = members.filter(role=role).select_related("team").order_by("id").first()
            if member is not None:
                logins.append((label, member))
        width = max(len(label) for label, _member in logins)
        name_width = max(len(member.user.username) for _label, member in logins)
        self.stdout.write("")
        self.stdout.write(_("Sign in with one of these logins:"))
        for label, member in logins:
            line = f"  {label.ljust(width)}  {member.user.username.ljust(name_width)}"
            if member.team is not None:
                line += f"  ({member.team.name})"
            self.stdout.write(line.rstrip())
        if admin.user.check_password(password):
            self.stdout.write(_("Password: %(password)s") % {"password": password})
        else:
            self.stdout.write(
                _("Password: the one set when the demo was created (not “%(password)s”).")
                % {"password": password}
            )
        token = create_token(admin, name=TOKEN_LABEL)
        self.stdout.write("")
        self.stdout.write(
            _("API token for the admin %(username)s (new, shown only now):")
            % {"username": admin.user.username}
        )
        self.stdout.write(f"  {token}")
