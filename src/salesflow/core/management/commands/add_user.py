"""`salesflow add_user USERNAME --workspace NAME --role ROLE`: a login's place in a workspace."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import domain_errors, workspace_named
from salesflow.core.models import Role, Team, Workspace
from salesflow.core.services import add_member, create_team

OPTIONS = {
    "username": "USERNAME",
    "password": "--password",
    "role": "--role",
    "name": "--team/--manages",
}


class Command(BaseCommand):
    help = (
        "Add a user (created if new) to a workspace with a role, a team and the teams they "
        "manage. Teams are found by name; a name not yet used creates a new team."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("Login name; a new user is created if needed."))
        parser.add_argument("--workspace", required=True, help=_("The workspace's name."))
        parser.add_argument(
            "--role", required=True, help=_("One of: %(roles)s.") % {"roles": ", ".join(Role)}
        )
        parser.add_argument(
            "--password", help=_("Password for a new user; an existing user keeps theirs.")
        )
        parser.add_argument("--team", help=_("The team the user belongs to."))
        parser.add_argument(
            "--manages",
            nargs="+",
            action="extend",
            default=[],
            metavar="TEAM",
            help=_("Teams a manager manages (with every sub-team)."),
        )
        parser.add_argument(
            "--parent-team",
            help=_("An existing team under which new teams are created (default: top level)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_named(options["workspace"])
        created: list[str] = []
        with domain_errors(OPTIONS), transaction.atomic():
            parent = self._parent(workspace, options["parent_team"])

            def team(name: str) -> Team:
                found = Team.objects.filter(workspace=workspace, name=name).first()
                if found is not None:
                    return found
                created.append(name)
                return create_team(None, workspace, name, parent)

            home = team(options["team"]) if options["team"] else None
            manages = [team(name) for name in dict.fromkeys(options["manages"])]
            add_member(
                None,
                workspace,
                username=options["username"],
                password=options["password"],
                role=options["role"],
                team=home,
                manages=manages,
            )
        message = _("Added %(username)s to “%(workspace)s” as %(role)s.") % {
            "username": options["username"],
            "workspace": workspace.name,
            "role": Role(options["role"]).label,
        }
        if created:
            message += " " + _("New teams: %(teams)s.") % {"teams": ", ".join(created)}
        self.stdout.write(message)

    def _parent(self, workspace: Workspace, name: str | None) -> Team | None:
        if not name:
            return None
        parent = Team.objects.filter(workspace=workspace, name=name).first()
        if parent is None:
            raise CommandError(
                _("--parent-team: No team is named “%(name)s” in this workspace.") % {"name": name}
            )
        return parent
