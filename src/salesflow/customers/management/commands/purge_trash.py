"""`salesflow purge_trash`: delete for good what has been in the trash for 30 days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from salesflow.customers.trash import TRASH_DAYS, purge_expired


class Command(BaseCommand):
    help = (
        "Delete for good every customer, contact, deal and activity that has been in the trash "
        "for more than 30 days, in every workspace. Run it once a day."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged, kept = purge_expired()
        self.stdout.write(
            _("Purged %(purged)s records deleted more than %(days)s days ago.")
            % {"purged": f"{purged:,}", "days": TRASH_DAYS}
        )
        if kept:
            self.stdout.write(
                _("%(kept)s records are still used by other records and stay in the trash.")
                % {"kept": f"{kept:,}"}
            )
