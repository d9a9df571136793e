"""`salesflow pool_sweep [--workspace NAME]`: return unfollowed customers to the public pool."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.customers.sweep import sweep


class Command(BaseCommand):
    help = (
        "Return to the public pool the customers nobody followed up for as long as their "
        "workspace's rules allow, and warn their owners ahead. Run it daily or hourly; running "
        "it again changes nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [workspace.pk for workspace in workspaces_chosen(options["workspace"])]
        result = sweep(workspace_ids=chosen)
        self.stdout.write(
            _("Returned %(returned)s customers to the public pool; warned %(warned)s owners.")
            % {"returned": result.returned, "warned": result.warned}
        )
