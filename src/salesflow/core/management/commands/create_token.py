"""`salesflow create_token USERNAME --workspace NAME`: an API token, printed alone for scripts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspace_named
from salesflow.core.models import ApiToken, Membership
from salesflow.core.services import create_token


class Command(BaseCommand):
    help = (
        "Issue an API token for a member of a workspace. Only the token goes to standard "
        "output, so `TOKEN=$(salesflow create_token ...)` works; it is shown this once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("An active member of the workspace."))
        parser.add_argument("--workspace", required=True, help=_("The workspace's name."))
        parser.add_argument("--name", default="", help=_("A label to recognise the token by."))

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_named(options["workspace"])
        limit = ApiToken._meta.get_field("name").max_length or 0
        if len(options["name"]) > limit:
            raise CommandError(_("--name: Use at most %(limit)d characters.") % {"limit": limit})
        membership = (
            Membership.objects.filter(
                workspace=workspace, user__username=options["username"], is_active=True
            )
            .select_related("user")
            .first()
        )
        if membership is None or not membership.user.is_active:
            raise CommandError(
                _("USERNAME: “%(username)s” is not an active member of “%(workspace)s”.")
                % {"username": options["username"], "workspace": workspace.name}
            )
        self.stdout.write(create_token(membership, name=options["name"]))
