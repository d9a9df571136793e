"""Who is signed in, in which workspace, speaking which language, in which time zone."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from salesflow.core.errors import Conflict, DomainError, Forbidden, NotFound
from salesflow.core.models import Membership
from salesflow.core.scoping import Actor

WORKSPACE_KEY = "workspace_id"


def current_actor(request: HttpRequest) -> Actor | None:
    """The signed-in user's membership in the workspace they chose (else their first one)."""
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("user", "workspace", "team").filter(
        user_id=request.user.pk, is_active=True
    )
    chosen = request.session.get(WORKSPACE_KEY)
    membership = (chosen and memberships.filter(workspace_id=chosen).first()) or (
        memberships.order_by("workspace__name", "id").first()
    )
    return Actor(membership) if membership else None


class ActorMiddleware:
    """Sets `request.actor` for pages and speaks the member's language and time zone.

    Runs after LocaleMiddleware: a member's own language wins over the browser's, then the
    workspace's. API requests carry their own token and are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = None if request.path.startswith("/api/") else current_actor(request)
        request.actor = actor  # type: ignore[attr-defined]
        if actor is None:
            return self.get_response(request)
        membership = actor.membership
        language = membership.language or actor.workspace.language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        timezone.activate(ZoneInfo(membership.timezone or actor.workspace.timezone))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", language)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Domain errors raised while rendering a page become the matching error page."""
        if request.path.startswith("/api/") or not isinstance(exception, DomainError):
            return None
        template = {
            NotFound: "web/errors/404.html",
            Forbidden: "web/errors/403.html",
            Conflict: "web/errors/409.html",
        }.get(type(exception), "web/errors/400.html")
        return render(request, template, {"detail": exception.detail}, status=exception.status)
