"""`salesflow rebuild_search [--workspace NAME]`: recompute the customer search terms."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.core.management.rebuilding import WorkspaceRebuild
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress
from salesflow.customers.search import rebuild


class Command(WorkspaceRebuild):
    help = (
        "Recompute every customer's search terms and A–Z initial, for one workspace or all of "
        "them. The customer services keep them up to date, so this is needed only after "
        "restoring or importing customers by other means, or after the search rules changed."
    )
    progress_text = _("%(workspace)s [%(bar)s] %(done)s / %(total)s customers")
    done_text = _("Rebuilt %(terms)s search terms of “%(workspace)s” in %(seconds).1f s.")

    def rebuild(self, workspace: Workspace, progress: Progress | None) -> dict[str, str]:
        return {"terms": f"{rebuild(workspace.pk, progress):,}"}
