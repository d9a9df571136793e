"""`salesflow rotate_field_key`: re-encrypt every protected value with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from salesflow.core.encryption import UnreadableValue, rotate
from salesflow.core.progress import Progress, progress_bar


class Command(BaseCommand):
    help = (
        "Re-encrypt every protected field with the first key of SALESFLOW_FIELD_KEYS. Values "
        "made with any other configured key are read as they are; once this has finished, the "
        "older keys may be removed. Salesflow keeps running meanwhile."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = rotate(self._progress(options["verbosity"]))
        except UnreadableValue as unreadable:
            raise CommandError(
                _(
                    "No key in SALESFLOW_FIELD_KEYS opens the value of %(where)s. Put back the "
                    "key it was made with, then run this again."
                )
                % {"where": unreadable}
            ) from unreadable
        self.stdout.write(
            _(
                "Re-encrypted %(values)s protected values in %(rows)s rows; %(skipped)s changed "
                "meanwhile and were already on the newest key."
            )
            % {
                "values": f"{result.values:,}",
                "rows": f"{result.rows:,}",
                "skipped": f"{result.skipped:,}",
            }
        )

    def _progress(self, verbosity: int) -> Progress | None:
        if verbosity < 1:
            return None
        return progress_bar(
            self.stderr.write,
            lambda bar, done, total: (
                _("[%(bar)s] %(done)s / %(total)s rows")
                % {"bar": bar, "done": done, "total": total}
            ),
        )
