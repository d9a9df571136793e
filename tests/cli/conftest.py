"""Fixtures for the command-line tests: English messages, cheap hashing, a command runner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Model
from django.test import override_settings
from django.utils import translation

from salesflow.activities.models import Activity
from salesflow.core.models import ApiToken, AuditRecord, Membership, Team, Workspace
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange

PASSWORD = "Correct-horse-9"
ANCHOR = "2025-06-02"

COUNTED: tuple[type[Model], ...] = (
    Workspace,
    User,
    Membership,
    Membership.manages.through,
    Team,
    ApiToken,
    Pipeline,
    Stage,
    LostReason,
    Customer,
    Contact,
    Deal,
    StageChange,
    Activity,
    AuditRecord,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English whatever the server's default language."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Demo seeding and every new login hash a password; a cheap hasher keeps tests quick."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@dataclass
class Output:
    stdout: str
    stderr: str


def run(command: str, *args: str) -> Output:
    """Run a `salesflow` command in-process and capture what it prints."""
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return Output(out.getvalue(), err.getvalue())


def row_counts() -> dict[str, int]:
    """How many rows each table holds, to prove a refused command left no trace."""
    return {model.__name__: model._default_manager.count() for model in COUNTED}


def make_workspace(name: str = "Acme", *args: str) -> Workspace:
    run("create_workspace", name, "--admin", f"admin-{name.lower()}", "--password", PASSWORD, *args)
    return Workspace.objects.get(name=name)
