"""`salesflow rebuild_aggregates [--workspace NAME]`: recompute the analytics aggregates."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.analytics.aggregates import rebuild
from salesflow.core.management.rebuilding import WorkspaceRebuild
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress


class Command(WorkspaceRebuild):
    help = (
        "Recompute the funnel and forecast aggregates from the recorded stage changes, for one "
        "workspace or all of them. Reports read these aggregates; the deal services keep them "
        "up to date, so this is needed only after restoring or importing raw history."
    )
    progress_text = _("%(workspace)s [%(bar)s] %(done)s / %(total)s deals")
    done_text = _("Rebuilt the aggregates of “%(workspace)s” in %(seconds).1f s.")

    def rebuild(self, workspace: Workspace, progress: Progress | None) -> dict[str, str]:
        rebuild(workspace.pk, progress)
        return {}
