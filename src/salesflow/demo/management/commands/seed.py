"""`salesflow seed --workspace NAME --scale small --seed 42`: deterministic demo data."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from salesflow.core.management.commands.create_workspace import domain_errors, workspace_named
from salesflow.demo.generator import (
    DEFAULT_PASSWORD,
    SCALES,
    Progress,
    SeedRequest,
    SeedSummary,
    seed_workspace,
    today_in,
)

OPTIONS = {
    "deals": "--deals",
    "password": "--password",
    "user_prefix": "--user-prefix",
    "workspace": "--workspace",
}
# Seeds at least this big report their progress on standard error.
PROGRESS_FROM_DEALS = 10_000
PROGRESS_STEPS = 20
DEALS_DONE = gettext_noop("… %(done)s of %(total)s deals (%(percent)d%%)")
AGGREGATES_DONE = gettext_noop(
    "… analytics aggregates: %(done)s of %(total)s deals (%(percent)d%%)"
)


class Command(BaseCommand):
    help = (
        "Fill a workspace with a demo sales organisation and its history: teams, managers "
        "and reps, customers, contacts, deals moving through the default pipeline, and "
        "activities. The same seed and anchor day always give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help=_("The workspace's name."))
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help=_(
                "small: about 1,000 deals; medium: about 100,000 deals; large: about "
                "1,000,000 deals with about ten stage changes each."
            ),
        )
        parser.add_argument(
            "--seed", type=int, default=42, help=_("Random seed; the same seed repeats the data.")
        )
        parser.add_argument(
            "--anchor",
            help=_(
                "The day the history runs up to, YYYY-MM-DD (default: today in the "
                "workspace's time zone). Open tasks fall due around it."
            ),
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("Password of every demo login (default: %(password)s).")
            % {"password": DEFAULT_PASSWORD},
        )
        parser.add_argument(
            "--user-prefix",
            default="",
            help=_(
                "Demo usernames are PREFIX.manager1, PREFIX.rep1, ... (default: w<workspace "
                "id>, which no other workspace uses)."
            ),
        )
        parser.add_argument(
            "--deals", type=int, help=_("Number of deals, instead of the scale's number.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_named(options["workspace"])
        anchor = self._anchor(options["anchor"]) or today_in(workspace)
        request = SeedRequest(
            workspace=workspace,
            scale=SCALES[options["scale"]],
            seed=options["seed"],
            anchor=anchor,
            password=options["password"],
            user_prefix=options["user_prefix"],
            deals=options["deals"],
        )
        verbosity = options["verbosity"]
        with domain_errors(OPTIONS):
            summary = seed_workspace(
                request,
                self._progress(request, verbosity, DEALS_DONE),
                self._progress(request, verbosity, AGGREGATES_DONE),
            )
        self.stdout.write(
            _(
                "Seeded “%(workspace)s” (seed %(seed)d, anchor %(anchor)s) in %(seconds).1f s; "
                "analytics aggregates rebuilt in %(aggregate_seconds).1f s."
            )
            % {
                "workspace": workspace.name,
                "seed": request.seed,
                "anchor": anchor.isoformat(),
                "seconds": summary.seconds,
                "aggregate_seconds": summary.aggregate_seconds,
            }
        )
        self.stdout.write(describe(summary))
        self.stdout.write(
            _("Logins: %(first)s … %(last)s, password “%(password)s”.")
            % {
                "first": summary.usernames[0],
                "last": summary.usernames[-1],
                "password": request.password,
            }
        )

    def _anchor(self, text: str | None) -> datetime.date | None:
        if text is None:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as bad:
            raise CommandError(
                _("--anchor: “%(value)s” is not a date of the form YYYY-MM-DD.") % {"value": text}
            ) from bad

    def _progress(self, request: SeedRequest, verbosity: int, message: str) -> Progress | None:
        """A line on standard error every twentieth of the way, for seeds that take a while."""
        if verbosity < 1 or request.deal_count < PROGRESS_FROM_DEALS:
            return None
        step = max(1, request.deal_count // PROGRESS_STEPS)
        shown = 0

        def report(done: int, total: int) -> None:
            nonlocal shown
            if done - shown >= step or done == total:
                shown = done
                self.stderr.write(
                    _(message)
                    % {"done": f"{done:,}", "total": f"{total:,}", "percent": done * 100 // total}
                )

        return report


def describe(summary: SeedSummary) -> str:
    """The counts of a seeding run, for people and for the benchmark notes."""
    return _(
        "teams %(teams)s · users %(users)s · customers %(customers)s · contacts %(contacts)s\n"
        "deals %(deals)s (won %(won)s, lost %(lost)s, open %(open)s) · "
        "stage changes %(stage_changes)s · activities %(activities)s"
    ) % {
        key: f"{getattr(summary, key):,}"
        for key in (
            "teams",
            "users",
            "customers",
            "contacts",
            "deals",
            "won",
            "lost",
            "open",
            "stage_changes",
            "activities",
        )
    }
