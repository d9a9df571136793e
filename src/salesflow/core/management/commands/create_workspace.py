"""`salesflow create_workspace NAME --admin USERNAME --password PW`: a new company here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError, ValidationFailed
from salesflow.core.models import Workspace
from salesflow.core.services import create_workspace
from salesflow.pipeline.templates import TEMPLATES


@contextmanager
def domain_errors(options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn a service's refusal into a command error that names the option at fault.

    `options` maps the service's field names to the command's own (`base_currency` is
    `--currency` here), so the message points at what the user typed.
    """
    try:
        yield
    except ValidationFailed as invalid:
        names = options or {}
        lines = [f"{names.get(e.field, e.field)}: {e.message}" for e in invalid.errors]
        raise CommandError("\n".join(lines) or str(invalid.detail)) from invalid
    except DomainError as refused:
        raise CommandError(str(refused.detail)) from refused


def workspace_named(name: str, option: str = "--workspace") -> Workspace:
    workspace = Workspace.objects.filter(name=name).first()
    if workspace is None:
        raise CommandError(
            _("%(option)s: No workspace is named “%(name)s”.") % {"option": option, "name": name}
        )
    return workspace


def workspaces_chosen(name: str | None) -> list[Workspace]:
    """The workspace a `--workspace NAME` option names, or every workspace without it."""
    if name:
        return [workspace_named(name)]
    return list(Workspace.objects.order_by("id"))


OPTIONS = {
    "name": "NAME",
    "username": "--admin",
    "password": "--password",
    "template": "--template",
    "language": "--language",
    "base_currency": "--currency",
    "timezone": "--timezone",
}


class Command(BaseCommand):
    help = (
        "Create a workspace with its first admin, a pipeline from a template and the "
        "standard lost reasons."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=_("The workspace's name, unique on this server."))
        parser.add_argument(
            "--admin", required=True, help=_("Username of the first admin (new or existing).")
        )
        parser.add_argument(
            "--password",
            required=True,
            help=_("The admin's password when the user is new; an existing user keeps theirs."),
        )
        parser.add_argument(
            "--template",
            default="b2b7",
            help=_("Pipeline template: %(keys)s.") % {"keys": ", ".join(TEMPLATES)},
        )
        parser.add_argument("--language", default="zh-hans", help=_("zh-hans or en."))
        parser.add_argument("--currency", default="CNY", help=_("ISO 4217 base currency."))
        parser.add_argument("--timezone", default="Asia/Shanghai", help=_("IANA time zone."))

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["admin"]
        existing = get_user_model().objects.filter(username=username).exists()
        with domain_errors(OPTIONS):
            admin = create_workspace(
                options["name"],
                admin_username=username,
                admin_password=options["password"],
                template=options["template"],
                language=options["language"],
                base_currency=options["currency"],
                time_zone=options["timezone"],
            )
        message = (
            _("Created workspace “%(name)s” with the existing user %(admin)s as admin.")
            if existing
            else _("Created workspace “%(name)s” with admin %(admin)s.")
        )
        self.stdout.write(message % {"name": admin.workspace.name, "admin": username})
