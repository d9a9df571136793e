"""`salesflow recompute_tiers [--workspace NAME]`: recompute the tier inputs and tiers."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress, progress_bar
from salesflow.customers.tiers import recompute_workspace


class Command(BaseCommand):
    help = (
        "Recompute every customer's revenue, potential, fit and tier, for one workspace or all "
        "of them. Run it daily: the revenue counts the won deals of the last 12 months, a "
        "window that moves with the date. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        for workspace in workspaces_chosen(options["workspace"]):
            started = time.monotonic()
            changed = recompute_workspace(
                workspace.pk, progress=self._progress(workspace, options["verbosity"])
            )
            self.stdout.write(
                _("Recomputed the tiers of “%(workspace)s” in %(seconds).1f s: %(n)s changed.")
                % {
                    "workspace": workspace.name,
                    "seconds": time.monotonic() - started,
                    "n": f"{changed:,}",
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
