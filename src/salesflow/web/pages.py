"""What every page view shares: the signed-in member, and how a page view is declared."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from salesflow.core.scoping import Actor

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

P = ParamSpec("P")


class PageRequest(HttpRequest):
    """A request from a signed-in member: `actor` is set by ActorMiddleware."""

    actor: Actor
    htmx: HtmxDetails


# A page may stream its answer (a download), so any response will do.
View = Callable[Concatenate[PageRequest, P], HttpResponseBase]


def page(
    *methods: str,
) -> Callable[[View[P]], Callable[Concatenate[HttpRequest, P], HttpResponseBase]]:
    """Declare a page view: signed-in members only, with the HTTP methods it answers."""
    allowed = list(methods or ("GET",))

    def decorate(view: View[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        @require_http_methods(allowed)
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "actor", None) is None:
                return render(request, "web/errors/no_workspace.html", status=403)
            return view(cast(PageRequest, request), *args, **kwargs)

        return wrapper

    return decorate


def fragment_or_page(
    request: PageRequest, fragment: str, page_template: str, context: dict[str, Any]
) -> HttpResponse:
    """An HTMX request gets the fragment alone; a normal request the whole page around it."""
    template = fragment if request.htmx and not request.htmx.boosted else page_template
    return render(request, template, context)
