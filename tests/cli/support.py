"""A canonical dump of a seeded workspace: its content without database ids or username prefixes.

Two workspaces seeded alike must dump equal; any difference in a name, an amount, a stage,
a timestamp or a link between rows shows up as a difference in the dump.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model

from salesflow.activities.models import Activity
from salesflow.core.encryption import decrypt
from salesflow.core.models import Membership, Role, Team, Workspace
from salesflow.customers.models import Contact, Customer, PoolEvent
from salesflow.pipeline.models import Deal, LostReason, Stage, StageChange

Row = tuple[tuple[str, Any], ...]


def _ordinals(model: type[Model], workspace: Workspace) -> dict[int | None, int | None]:
    """Each row's place in insertion order, which is the same in two alike seeded workspaces."""
    ids = model._default_manager.filter(workspace=workspace).order_by("id")
    found: dict[int | None, int | None] = {None: None}
    found.update({pk: n for n, pk in enumerate(ids.values_list("id", flat=True))})
    return found


def _rows(
    model: type[Model], workspace: Workspace, remap: dict[str, Callable[[Any], Any]]
) -> list[Row]:
    rows = []
    for values in model._default_manager.filter(workspace=workspace).order_by("id").values():
        del values["id"], values["workspace_id"]
        for key, translate in remap.items():
            if key in values:
                values[key] = translate(values[key])
        rows.append(tuple(sorted(values.items())))
    return rows


def canonical(workspace: Workspace) -> dict[str, list[Any]]:
    prefix = f"w{workspace.pk}."
    members = Membership.objects.filter(workspace=workspace)
    usernames = dict(
        User.objects.filter(memberships__workspace=workspace).values_list("id", "username")
    )
    admins = set(members.filter(role=Role.ADMIN).values_list("user_id", flat=True))

    def who(user_id: int | None) -> str | None:
        if user_id is None:
            return None
        return "admin" if user_id in admins else usernames[user_id].removeprefix(prefix)

    teams = dict(Team.objects.filter(workspace=workspace).values_list("id", "name"))
    positions = dict(Stage.objects.filter(workspace=workspace).values_list("id", "position"))
    reasons = dict(LostReason.objects.filter(workspace=workspace).values_list("id", "name"))
    customers, contacts, deals = (
        _ordinals(model, workspace) for model in (Customer, Contact, Deal)
    )
    people = {
        "owner_id": who,
        "created_by_id": who,
        "updated_by_id": who,
        "locked_by_id": who,
    }
    return {
        "teams": sorted(
            (name, teams.get(parent))
            for name, parent in Team.objects.filter(workspace=workspace).values_list(
                "name", "parent_id"
            )
        ),
        "members": sorted(
            (
                who(m.user_id),
                m.role,
                teams.get(m.team_id),
                tuple(sorted(m.manages.values_list("name", flat=True))),
            )
            for m in members
        ),
        # Protected values are compared in clear: each encryption of a value differs.
        "customers": _rows(
            Customer,
            workspace,
            {**people, **dict.fromkeys(("id_number", "bank_account", "private_notes"), decrypt)},
        ),
        "contacts": _rows(Contact, workspace, {**people, "customer_id": customers.get}),
        "pool_events": _rows(
            PoolEvent,
            workspace,
            {
                "customer_id": customers.get,
                "user_id": who,
                "owner_id": who,
                "previous_owner_id": who,
            },
        ),
        "deals": _rows(
            Deal,
            workspace,
            {
                **people,
                "customer_id": customers.get,
                "contact_id": contacts.get,
                "pipeline_id": lambda _pk: "default",
                "stage_id": positions.get,
                "lost_reason_id": reasons.get,
                "checklist": lambda ticked: {positions[int(k)]: v for k, v in ticked.items()},
            },
        ),
        "stage_changes": _rows(
            StageChange,
            workspace,
            {
                "deal_id": deals.get,
                "pipeline_id": lambda _pk: "default",
                "from_stage_id": positions.get,
                "to_stage_id": positions.get,
                "actor_id": who,
                "owner_id": who,
            },
        ),
        "activities": _rows(
            Activity,
            workspace,
            {
                **people,
                "customer_id": customers.get,
                "contact_id": contacts.get,
                "deal_id": deals.get,
            },
        ),
    }
