"""Signing in and out, language and workspace switches, and the home page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from salesflow.core.errors import NotFound, ValidationFailed
from salesflow.core.models import Membership
from salesflow.core.services import set_preferences
from salesflow.web import home as home_queries
from salesflow.web.middleware import WORKSPACE_KEY
from salesflow.web.pages import PageRequest, page


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the page the form was sent from, if it is one of ours."""
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return HttpResponseRedirect(target)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language: remembered for a signed-in user, else for this browser."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        try:
            set_preferences(request.user, language=language)
        except ValidationFailed:
            return _back(request)
    response = _back(request)
    if language in {"zh-hans", "en"}:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@page("POST")
def switch_workspace(request: PageRequest) -> HttpResponse:
    workspace_id = request.POST.get("workspace_id", "")
    if (
        not workspace_id.isdigit()
        or not Membership.objects.filter(
            user=request.actor.user, workspace_id=int(workspace_id), is_active=True
        ).exists()
    ):
        raise NotFound()
    request.session[WORKSPACE_KEY] = int(workspace_id)
    return HttpResponseRedirect("/")


@page()
def home(request: PageRequest) -> HttpResponse:
    return render(request, "web/home.html", home_queries.overview(request.actor))
