"""The activities page: my open tasks by due date, mark done, reschedule, stale versions."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity, update_activity
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))  # the workspace's time zone, no DST


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def task(actor, subject: str, due_at: datetime.datetime | None, **data) -> Activity:
    customer = make_customer(actor)
    return create_activity(
        actor,
        {"kind": "task", "subject": subject, "due_at": due_at, "customer_id": customer.pk, **data},
    )


def group_of(html: str, key: str) -> list[str]:
    section = re.search(rf'<section class="task-group {key}".*?</section>', html, re.S)
    return re.findall(r"<strong>([^<]+)</strong>", section.group(0)) if section else []


def test_my_tasks_are_grouped_today_overdue_upcoming_in_my_time_zone(world: World) -> None:
    # given, in Shanghai time, tasks due yesterday, today at 23:30, tomorrow, and one done
    today = timezone.now().astimezone(SHANGHAI).date()
    at = lambda day, hour, minute=0: datetime.datetime.combine(  # noqa: E731
        day, datetime.time(hour, minute), tzinfo=SHANGHAI
    )
    task(world.rep_east, "Call back", at(today - datetime.timedelta(days=1), 9))
    task(world.rep_east, "Send quote", at(today, 23, 30))
    task(world.rep_east, "Visit plant", at(today + datetime.timedelta(days=1), 0, 30))
    task(world.rep_east, "Someday", None)
    done = task(world.rep_east, "Already done", at(today, 10))
    update_activity(world.rep_east, done.pk, done.version, {"done_at": timezone.now()})
    task(world.rep_west, "Colleague's task", at(today, 10))

    # when the rep opens the activities page
    html = signed_in(world.rep_east).get("/activities/").text

    # then each open task of theirs sits in its group, shown in Shanghai time
    assert group_of(html, "today") == ["Send quote"]
    assert group_of(html, "overdue") == ["Call back"]
    assert group_of(html, "upcoming") == ["Visit plant"]
    assert group_of(html, "undated") == ["Someday"]
    assert "23:30" in html or "11:30" in html
    assert "Already done" not in html
    assert "Colleague" not in html


def test_a_manager_may_look_at_a_member_they_manage_but_not_others(world: World) -> None:
    task(world.rep_east, "East task", timezone.now())
    task(world.rep_west, "West task", timezone.now())
    client = signed_in(world.east_manager)
    assert "East task" in client.get("/activities/", {"member": world.rep_east.user_id}).text
    html = client.get("/activities/", {"member": world.rep_west.user_id}).text
    assert "West task" not in html
    assert "My tasks" in html


def test_mark_done_records_the_outcome_and_leaves_the_list(world: World) -> None:
    activity = task(world.rep_east, "Send quote", timezone.now())
    response = signed_in(world.rep_east).post(
        f"/activities/{activity.pk}/done/",
        {"version": activity.version, "outcome": "Quote accepted"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Send quote" not in response.text
    assert "Marked done" in response["HX-Trigger"]
    activity.refresh_from_db()
    assert activity.done_at is not None
    assert (activity.outcome, activity.version) == ("Quote accepted", 2)


def test_mark_done_without_javascript_redirects_back(world: World) -> None:
    activity = task(world.rep_east, "Send quote", timezone.now())
    response = signed_in(world.rep_east).post(
        f"/activities/{activity.pk}/done/", {"version": activity.version, "outcome": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == "/activities/"
    activity.refresh_from_db()
    assert activity.done_at is not None


def test_reschedule_moves_the_task_to_its_new_day(world: World) -> None:
    activity = task(world.rep_east, "Send quote", timezone.now() - datetime.timedelta(days=3))
    response = signed_in(world.rep_east).post(
        f"/activities/{activity.pk}/reschedule/",
        {"version": activity.version, "due_at": "2031-01-02T15:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert group_of(response.text, "upcoming") == ["Send quote"]
    activity.refresh_from_db()
    # 15:00 in Shanghai (UTC+8) is 07:00 UTC
    assert activity.due_at.isoformat() == "2031-01-02T07:00:00+00:00"


def test_a_stale_version_answers_409_with_a_clear_message_and_changes_nothing(world: World) -> None:
    # given a task the rep's page shows at version 1, then rescheduled elsewhere (version 2)
    activity = task(world.rep_east, "Send quote", timezone.now())
    moved = timezone.now() + datetime.timedelta(days=5)
    update_activity(world.rep_east, activity.pk, 1, {"due_at": moved})
    client = signed_in(world.rep_east)

    # when the page marks it done, or reschedules it, with version 1
    for url, data in (
        (f"/activities/{activity.pk}/done/", {"version": 1, "outcome": "Done"}),
        (f"/activities/{activity.pk}/reschedule/", {"version": 1, "due_at": "2031-01-02T15:00"}),
    ):
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        # then it answers 409 with the message and the fresh list, and nothing changed
        assert response.status_code == 409
        assert "was changed by someone else" in response.text
        assert 'name="version" value="2"' in response.text
    activity.refresh_from_db()
    assert (activity.done_at, activity.outcome, activity.version) == (None, "", 2)
    assert activity.due_at == moved


def test_bad_date_and_foreign_tasks_are_refused(world: World, other_world: World) -> None:
    mine = task(world.rep_east, "Send quote", timezone.now())
    response = signed_in(world.rep_east).post(
        f"/activities/{mine.pk}/reschedule/",
        {"version": 1, "due_at": "tomorrow-ish"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    colleague = task(world.rep_west, "West task", timezone.now())
    foreign = task(other_world.admin, "Foreign task", timezone.now())
    for activity in (colleague, foreign):
        response = signed_in(world.rep_east).post(
            f"/activities/{activity.pk}/done/", {"version": 1, "outcome": "x"}
        )
        assert response.status_code == 404
        activity.refresh_from_db()
        assert activity.done_at is None
