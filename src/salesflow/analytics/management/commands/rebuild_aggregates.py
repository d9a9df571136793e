"""`salesflow rebuild_aggregates [--workspace NAME]`: recompute the analytics aggregates."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salesflow.analytics.aggregates import rebuild
from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress, progress_bar


class Command(BaseCommand):
    help = (
        "Recompute the funnel and forecast aggregates from the recorded stage changes, for one "
        "workspace or all of them. Reports read these aggregates; the deal services keep them "
        "up to date, so this is needed only after restoring or importing raw history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        for workspace in workspaces_chosen(options["workspace"]):
            started = time.monotonic()
            rebuild(workspace.pk, self._progress(workspace, options["verbosity"]))
            self.stdout.write(
                _("Rebuilt the aggregates of “%(workspace)s” in %(seconds).1f s.")
                % {"workspace": workspace.name, "seconds": time.monotonic() - started}
            )

    def _progress(self, workspace: Workspace, verbosity: int) -> Progress | None:
        if verbosity < 1:
            return None
        return progress_bar(
            self.stderr.write,
            lambda bar, done, total: (
                _("%(workspace)s [%(bar)s] %(done)s / %(total)s deals")
                % {"workspace": workspace.name, "bar": bar, "done": done, "total": total}
            ),
        )
