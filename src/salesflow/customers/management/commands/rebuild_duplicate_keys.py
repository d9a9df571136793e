"""`salesflow rebuild_duplicate_keys [--workspace NAME]`: recompute the duplicate keys."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress, progress_bar
from salesflow.customers.duplicates import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the phone, e-mail and name keys that duplicate customers are found by, for "
        "one workspace or all of them. The customer services keep them up to date, so this is "
        "needed only after restoring or importing customers by other means, or after the "
        "matching rules changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        for workspace in workspaces_chosen(options["workspace"]):
            started = time.monotonic()
            keys = rebuild(workspace.pk, self._progress(workspace, options["verbosity"]))
            self.stdout.write(
                _("Rebuilt %(keys)s duplicate keys of “%(workspace)s” in %(seconds).1f s.")
                % {
                    "keys": f"{keys:,}",
                    "workspace": workspace.name,
                    "seconds": time.monotonic() - started,
                }
            )

    def _progress(self, workspace: Workspace, verbosity: int) -> Progress | None:
        if verbosity < 1:
            return None
        return progress_bar(
            self.stderr.write,
            lambda bar, done, total: (
                _("%(workspace)s [%(bar)s] %(done)s / %(total)s customers")
                % {"workspace": workspace.name, "bar": bar, "done": done, "total": total}
            ),
        )
