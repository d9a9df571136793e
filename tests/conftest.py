"""Shared fixtures: a workspace with a team tree (admin, managers, reps) and a second workspace.

Sales (manager: boss)
├── East (manager: east_manager) ── rep_east
│   └── Shanghai ── rep_shanghai
└── West ── rep_west
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from salesflow.core.models import Membership, Role, Team
from salesflow.core.scoping import Actor
from salesflow.core.services import add_member, create_team, create_workspace
from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import create_contact, create_customer
from salesflow.pipeline.models import Deal, Pipeline, Stage
from salesflow.pipeline.services.deals import create_deal

# Fixtures shared beyond one folder: the hand-computed histories of the analytics tests.
pytest_plugins = ["tests.analytics.histories"]

PASSWORD = "Correct-horse-9"
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings: Any) -> None:
    """Pages find static files where they lie: tests do not run collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class World:
    admin: Actor
    boss: Actor
    east_manager: Actor
    rep_east: Actor
    rep_shanghai: Actor
    rep_west: Actor
    teams: dict[str, Team]

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline.objects.get(workspace_id=self.admin.workspace_id, is_default=True)

    @property
    def stages(self) -> list[Stage]:
        return list(self.pipeline.stages.order_by("position"))

    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == "open"]


def _member(workspace: Any, username: str, role: str, team: Team | None, manages=()) -> Actor:
    membership = add_member(
        None,
        workspace,
        username=username,
        password=PASSWORD,
        role=role,
        team=team,
        manages=list(manages),
    )
    return Actor(Membership.objects.select_related("user", "workspace").get(pk=membership.pk))


def make_world(name: str = "Acme", language: str = "en", template: str = "b2b7") -> World:
    suffix = next(_names)
    admin = create_workspace(
        f"{name} {suffix}",
        admin_username=f"admin{suffix}",
        admin_password=PASSWORD,
        language=language,
        template=template,
    )
    ws = admin.workspace
    sales = create_team(None, ws, "Sales", None)
    east = create_team(None, ws, "East", sales)
    shanghai = create_team(None, ws, "Shanghai", east)
    west = create_team(None, ws, "West", sales)
    return World(
        admin=admin,
        boss=_member(ws, f"boss{suffix}", Role.MANAGER, sales, [sales]),
        east_manager=_member(ws, f"eastm{suffix}", Role.MANAGER, east, [east]),
        rep_east=_member(ws, f"repe{suffix}", Role.REP, east),
        rep_shanghai=_member(ws, f"reps{suffix}", Role.REP, shanghai),
        rep_west=_member(ws, f"repw{suffix}", Role.REP, west),
        teams={"sales": sales, "east": east, "shanghai": shanghai, "west": west},
    )


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def other_world(db: None) -> World:
    return make_world("Globex")


def make_customer(actor: Actor, *, tier: str = "", **data: Any) -> Customer:
    """A new customer; `tier` is written as if the tier rules had given it, so that a test of
    a filter or a page need not set up rules (tests/services/test_tiers.py tests the rules)."""
    customer = create_customer(actor, {"name": f"Customer {next(_names)}", **data})
    if tier:
        Customer.objects.filter(pk=customer.pk).update(tier=tier)
        customer.tier = tier
    return customer


def make_contact(actor: Actor, customer: Customer, **data: Any) -> Contact:
    return create_contact(actor, {"customer_id": customer.pk, "name": "Li Lei", **data})


def make_deal(actor: Actor, customer: Customer | None = None, **data: Any) -> Deal:
    customer = customer or make_customer(actor)
    return create_deal(actor, {"name": f"Deal {next(_names)}", "customer_id": customer.pk, **data})


def user_of(actor: Actor) -> User:
    return actor.user
