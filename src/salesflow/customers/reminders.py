"""Reminders for a customer's owner, run daily by `salesflow send_reminders`: each contact's
birthday and the customer's next service date, `remind_days_before` days ahead and on the day.

Days are calendar days in the workspace's time zone. A birthday on 29 February is remembered
on 28 February in other years; a birthday stored without its year (the vCard import keeps
such a day in the leap year 1604) is reminded every year like any other. Each reminder has a
key (what, which day, ahead or on the day), so running the command again, or twice a day,
reminds nobody twice; a day the command did not run is caught up by the next run's window.
Customers in the public pool have no owner, and nobody is reminded of them.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Iterator
from itertools import islice
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from salesflow.core.models import Workspace
from salesflow.core.notifications import Notice, notify
from salesflow.customers.models import Contact, Customer, CustomerRules
from salesflow.customers.pool import rules_of

CHUNK = 1000


def occurrence(birthday: datetime.date, year: int) -> datetime.date:
    """The day a birthday is celebrated in `year`: 29 February falls on the 28th in common years."""
    if (birthday.month, birthday.day) == (2, 29) and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return birthday.replace(year=year)


def send_reminders(
    now: datetime.datetime | None = None, workspace_ids: Iterable[int] | None = None
) -> int:
    """Remind the owners of every workspace; return how many reminders are new."""
    now = now or timezone.now()
    workspaces = Workspace.objects.order_by("pk")
    if workspace_ids is not None:
        workspaces = workspaces.filter(pk__in=list(workspace_ids))
    sent = 0
    for workspace in workspaces.iterator():
        rules = rules_of(workspace.pk)
        today = now.astimezone(ZoneInfo(workspace.timezone)).date()
        for notices in _chunks(_reminders(rules, today)):
            sent += notify(notices)
    return sent


def _chunks(notices: Iterator[Notice]) -> Iterator[list[Notice]]:
    while chunk := list(islice(notices, CHUNK)):
        yield chunk


def _reminders(rules: CustomerRules, today: datetime.date) -> Iterator[Notice]:
    days = [today + datetime.timedelta(days=n) for n in range(rules.remind_days_before + 1)]
    yield from _birthdays(rules.workspace_id, today, days)
    yield from _service_dates(rules.workspace_id, today, days[-1])


def _birthdays(
    workspace_id: int, today: datetime.date, days: list[datetime.date]
) -> Iterator[Notice]:
    month_days = {(day.month, day.day) for day in days}
    month_days |= {
        (2, 29) for day in days if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year)
    }
    on_one_of = Q()
    for month, day in sorted(month_days):
        on_one_of |= Q(birthday__month=month, birthday__day=day)
    contacts = (
        Contact.objects.filter(
            on_one_of,
            workspace_id=workspace_id,
            birthday__isnull=False,
            customer__owner__isnull=False,
        )
        .order_by("pk")
        .values_list(
            "pk", "name", "birthday", "customer_id", "customer__name", "customer__owner_id"
        )
    )
    for pk, name, birthday, customer_id, customer_name, owner_id in contacts.iterator(CHUNK):
        assert birthday is not None  # filtered on above, like the owner
        assert owner_id is not None
        born: datetime.date = birthday
        on = next(day for day in days if occurrence(born, day.year) == day)
        ahead = on != today
        yield Notice(
            workspace_id=workspace_id,
            user_id=owner_id,
            kind="reminder.birthday",
            title=gettext_noop("%(contact)s of %(customer)s has a birthday on %(on)s")
            if ahead
            else gettext_noop("%(contact)s of %(customer)s has a birthday today"),
            params={"contact": name, "customer": customer_name},
            on=on,
            link=reverse("customers:detail", args=[customer_id]),
            dedupe_key=f"birthday:{pk}:{on.isoformat()}:{'ahead' if ahead else 'day'}",
        )


def _service_dates(
    workspace_id: int, today: datetime.date, last: datetime.date
) -> Iterator[Notice]:
    customers = (
        Customer.objects.filter(
            workspace_id=workspace_id,
            owner__isnull=False,
            next_service_on__gte=today,
            next_service_on__lte=last,
        )
        .order_by("pk")
        .values_list("pk", "name", "next_service_on", "owner_id")
    )
    for pk, name, on, owner_id in customers.iterator(CHUNK):
        assert on is not None  # filtered on above, like the owner
        assert owner_id is not None
        ahead = on != today
        yield Notice(
            workspace_id=workspace_id,
            user_id=owner_id,
            kind="reminder.service",
            title=gettext_noop("Service date for %(customer)s: %(on)s")
            if ahead
            else gettext_noop("Service date for %(customer)s is today"),
            params={"customer": name},
            on=on,
            link=reverse("customers:detail", args=[pk]),
            dedupe_key=f"service:{pk}:{on.isoformat()}:{'ahead' if ahead else 'day'}",
        )
