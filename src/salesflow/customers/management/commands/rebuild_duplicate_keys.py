"""`salesflow rebuild_duplicate_keys [--workspace NAME]`: recompute the duplicate keys."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.core.management.rebuilding import WorkspaceRebuild
from salesflow.core.models import Workspace
from salesflow.core.progress import Progress
from salesflow.customers.duplicates import rebuild


class Command(WorkspaceRebuild):
    help = (
        "Recompute the phone, e-mail and name keys that duplicate customers are found by, for "
        "one workspace or all of them. The customer services keep them up to date, so this is "
        "needed only after restoring or importing customers by other means, or after the "
        "matching rules changed."
    )
    progress_text = _("%(workspace)s [%(bar)s] %(done)s / %(total)s customers")
    done_text = _("Rebuilt %(keys)s duplicate keys of “%(workspace)s” in %(seconds).1f s.")

    def rebuild(self, workspace: Workspace, progress: Progress | None) -> dict[str, str]:
        return {"keys": f"{rebuild(workspace.pk, progress):,}"}
