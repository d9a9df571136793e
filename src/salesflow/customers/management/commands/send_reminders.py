"""`salesflow send_reminders [--workspace NAME]`: birthday and service date reminders."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.customers.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Remind each customer's owner of its contacts' birthdays and its next service date, "
        "ahead and on the day. Run it daily; a reminder is never sent twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [workspace.pk for workspace in workspaces_chosen(options["workspace"])]
        sent = send_reminders(workspace_ids=chosen)
        self.stdout.write(_("Sent %(count)s reminders.") % {"count": sent})
