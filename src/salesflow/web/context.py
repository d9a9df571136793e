"""Template context every page shares."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from salesflow.core.models import Membership


def memberships(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's active workspaces, for the workspace switch (one query, if used)."""
    actor = getattr(request, "actor", None)
    if actor is None:
        return {}
    return {
        "my_memberships": SimpleLazyObject(
            lambda: list(
                Membership.objects.filter(user_id=actor.user_id, is_active=True)
                .select_related("workspace")
                .order_by("workspace__name")
            )
        )
    }
