"""`salesflow recompute_tiers [--workspace NAME]`: recompute the tier inputs and tiers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.core.management.rebuilding import WorkspaceRebuild
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress
from salesflow.customers.tiers import recompute_workspace


class Command(WorkspaceRebuild):
    help = (
        "Recompute every customer's revenue, potential, fit and tier, for one workspace or all "
        "of them. Run it daily: the revenue counts the won deals of the last 12 months, a "
        "window that moves with the date. Running it again changes nothing."
    )
    progress_text = _("%(workspace)s [%(bar)s] %(done)s / %(total)s customers")
    done_text = _("Recomputed the tiers of “%(workspace)s” in %(seconds).1f s: %(n)s changed.")

    def rebuild(self, workspace: Workspace, progress: Progress | None) -> dict[str, str]:
        return {"n": f"{recompute_workspace(workspace.pk, progress=progress):,}"}
