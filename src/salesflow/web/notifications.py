"""The notification bell of the top bar, its menu, and the page of all one's notifications."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from salesflow.core import notifications
from salesflow.core.models import Notification
from salesflow.core.pagination import keyset_page
from salesflow.web.pages import PageRequest, page

PAGE_SIZE = 50


def _shown(rows: list[Notification]) -> list[dict[str, Any]]:
    shown = []
    for row in rows:
        title, text = notifications.render(row)
        shown.append({"row": row, "title": title, "text": text})
    return shown


@page()
def bell_count(request: PageRequest) -> HttpResponse:
    context = {"count": notifications.unread_count(request.actor)}
    return render(request, "web/_bell_count.html", context)


def _menu(request: PageRequest) -> HttpResponse:
    context = {"items": _shown(notifications.latest(request.actor))}
    return render(request, "web/_notification_menu.html", context)


@page()
def menu(request: PageRequest) -> HttpResponse:
    return _menu(request)


def _after_marking(request: PageRequest) -> HttpResponse:
    if not request.htmx:
        return HttpResponseRedirect(reverse("notifications"))
    response = _menu(request)
    response.headers["HX-Trigger"] = json.dumps({"notificationsChanged": True})
    return response


@page("POST")
def mark_read(request: PageRequest, notification_id: int) -> HttpResponse:
    notifications.mark_read(request.actor, notification_id)
    return _after_marking(request)


@page("POST")
def mark_all_read(request: PageRequest) -> HttpResponse:
    notifications.mark_all_read(request.actor)
    return _after_marking(request)


@page()
def notification_list(request: PageRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    rows, next_cursor = keyset_page(notifications.mine(request.actor), "-id", cursor, PAGE_SIZE)
    context = {
        "items": _shown(rows),
        "next_url": f"?cursor={next_cursor}" if next_cursor else "",
        "first_url": "?" if cursor else "",
    }
    return render(request, "web/notifications.html", context)
