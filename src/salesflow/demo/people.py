"""The demo sales organisation: a team tree by region and city, its managers and its reps.

Django usernames are global, so every demo login is `<prefix>.manager<n>` or
`<prefix>.rep<n>`; the prefix defaults to `w<workspace id>`, which no other workspace has.
`manager1` is the sales director who manages the whole tree.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q

from salesflow.core.models import Membership, Role, Team
from salesflow.core.scoping import Actor
from salesflow.core.services import create_team
from salesflow.demo.names import Person, person_name
from salesflow.demo.vocabulary import SALES_REGIONS, City, Word

ROOT_TEAM = Word("销售部", "", "Sales")
# How much better or worse than average a rep converts, and how many customers they carry.
REP_SKILL_RANGE = (0.75, 1.3)
REP_LOAD_RANGE = (0.6, 1.4)


@dataclass(frozen=True)
class TeamPlan:
    key: str
    name: str
    parent_key: str | None
    cities: tuple[City, ...] = ()


@dataclass(frozen=True)
class PersonPlan:
    """A demo login: its username suffix, real name, role, team and the teams it manages."""

    suffix: str
    person: Person
    role: str
    team_key: str
    manages: tuple[str, ...] = ()
    skill: float = 1.0
    load: float = 1.0


@dataclass(frozen=True)
class OrganisationPlan:
    teams: tuple[TeamPlan, ...]
    people: tuple[PersonPlan, ...]

    def usernames(self, prefix: str) -> list[str]:
        return [f"{prefix}.{p.suffix}" for p in self.people]


@dataclass(frozen=True)
class Seller:
    """A rep who owns customers, with the cities their team covers."""

    user_id: int
    cities: tuple[City, ...]
    skill: float
    load: float


def plan_organisation(
    rng: random.Random,
    *,
    chinese: bool,
    regions: int,
    teams_per_region: int,
    reps_per_team: int,
    team_leads: bool,
) -> OrganisationPlan:
    """Teams and people for a scale; draws names from `rng`, touches no database."""
    teams = [TeamPlan("root", ROOT_TEAM.text(chinese), None)]
    managers: list[tuple[str, tuple[str, ...]]] = [("root", ("root",))]
    reps: list[str] = []
    for r, region in enumerate(SALES_REGIONS[:regions]):
        region_key = f"r{r}"
        teams.append(TeamPlan(region_key, region.name.text(chinese), "root"))
        managers.append((region_key, (region_key,)))
        for t, city_team in enumerate(region.teams[:teams_per_region]):
            key = f"{region_key}t{t}"
            teams.append(TeamPlan(key, city_team.name.text(chinese), region_key, city_team.cities))
            if team_leads:
                managers.append((key, (key,)))
            reps.extend([key] * reps_per_team)
    people = [
        PersonPlan(f"manager{n}", person_name(rng, chinese), Role.MANAGER, team, manages)
        for n, (team, manages) in enumerate(managers, start=1)
    ]
    people.extend(
        PersonPlan(
            f"rep{n}",
            person_name(rng, chinese),
            Role.REP,
            team,
            skill=round(rng.uniform(*REP_SKILL_RANGE), 3),
            load=round(rng.uniform(*REP_LOAD_RANGE), 3),
        )
        for n, team in enumerate(reps, start=1)
    )
    return OrganisationPlan(tuple(teams), tuple(people))


def conflicts(
    workspace_id: int, plan: OrganisationPlan, prefix: str
) -> tuple[list[str], list[str]]:
    """Usernames already taken anywhere and team names already used in this workspace."""
    taken_users = sorted(
        User.objects.filter(username__in=plan.usernames(prefix)).values_list("username", flat=True)
    )
    names = [t.name for t in plan.teams]
    taken_teams = sorted(
        Team.objects.filter(Q(workspace_id=workspace_id) & Q(name__in=names)).values_list(
            "name", flat=True
        )
    )
    return taken_users, taken_teams


def write_organisation(
    admin: Actor,
    plan: OrganisationPlan,
    *,
    prefix: str,
    password_hash: str,
    now: datetime.datetime,
) -> list[Seller]:
    """Create the teams through the service and the logins in bulk; return the reps."""
    workspace = admin.workspace
    teams: dict[str, Team] = {}
    for spec in plan.teams:
        parent = teams[spec.parent_key] if spec.parent_key else None
        teams[spec.key] = create_team(admin, workspace, spec.name, parent)
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}.{p.suffix}",
                first_name=p.person.given,
                last_name=p.person.family,
                email=f"{prefix}.{p.suffix}@example.com",
                password=password_hash,
                date_joined=now,
            )
            for p in plan.people
        ]
    )
    memberships = Membership.objects.bulk_create(
        [
            Membership(
                workspace=workspace,
                user=user,
                role=p.role,
                team=teams[p.team_key],
                created_at=now,
                updated_at=now,
                created_by_id=admin.user_id,
                updated_by_id=admin.user_id,
                version=1,
            )
            for p, user in zip(plan.people, users, strict=True)
        ]
    )
    Membership.manages.through.objects.bulk_create(
        [
            Membership.manages.through(membership_id=m.pk, team_id=teams[key].pk)
            for p, m in zip(plan.people, memberships, strict=True)
            for key in p.manages
        ]
    )
    cities = {spec.key: spec.cities for spec in plan.teams}
    return [
        Seller(user.pk, cities[p.team_key], p.skill, p.load)
        for p, user in zip(plan.people, users, strict=True)
        if p.role == Role.REP
    ]
