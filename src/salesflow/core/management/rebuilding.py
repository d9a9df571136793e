"""What the commands that recompute derived data, for one workspace or every one, share."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from salesflow.core.management.commands.create_workspace import workspaces_chosen
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress, progress_bar


class WorkspaceRebuild(BaseCommand):
    """Runs `rebuild` for the workspace `--workspace NAME` names, or for every workspace, with a
    progress bar (`progress_text`) on standard error and, when each is done, `done_text` filled
    with the workspace, the seconds it took and the values `rebuild` returns."""

    progress_text: Promise  # with %(workspace)s, %(bar)s, %(done)s and %(total)s
    done_text: Promise  # with %(workspace)s, %(seconds)f and the values `rebuild` returns

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help=_("The workspace's name (default: every one)."))

    def handle(self, *args: Any, **options: Any) -> None:
        for workspace in workspaces_chosen(options["workspace"]):
            started = time.monotonic()
            values = self.rebuild(workspace, self._progress(workspace, options["verbosity"]))
            self.stdout.write(
                str(self.done_text)
                % {"workspace": workspace.name, "seconds": time.monotonic() - started, **values}
            )

    def rebuild(self, workspace: Workspace, progress: Progress | None) -> dict[str, str]:
        raise NotImplementedError

    def _progress(self, workspace: Workspace, verbosity: int) -> Progress | None:
        if verbosity < 1:
            return None
        return progress_bar(
            self.stderr.write,
            lambda bar, done, total: (
                str(self.progress_text)
                % {"workspace": workspace.name, "bar": bar, "done": done, "total": total}
            ),
        )
