"""Workspaces, members, teams and API tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import writes
from salesflow.core.errors import FieldError, NotFound, ValidationFailed
from salesflow.core.models import ApiToken, Membership, Role, Team, Workspace
from salesflow.core.money import CURRENCIES
from salesflow.core.scoping import Actor, require_admin, visible


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise ValidationFailed([FieldError("password", m) for m in weak.messages]) from weak


@transaction.atomic
def create_workspace(
    name: str,
    *,
    admin_username: str,
    admin_password: str,
    template: str = "b2b7",
    language: str = "zh-hans",
    base_currency: str = "CNY",
    time_zone: str = "Asia/Shanghai",
) -> Actor:
    """A new workspace with its first admin, a pipeline from a template and lost reasons."""
    from salesflow.pipeline.services.pipelines import install_template

    errors: list[FieldError] = []
    if Workspace.objects.filter(name=name).exists():
        errors.append(FieldError("name", _("A workspace with this name already exists.")))
    if base_currency not in CURRENCIES:
        errors.append(FieldError("base_currency", _("Not an ISO 4217 currency code.")))
    if time_zone not in available_timezones():
        errors.append(FieldError("timezone", _("Not a known time zone.")))
    if errors:
        raise ValidationFailed(errors)
    workspace = Workspace(
        name=name, language=language, base_currency=base_currency, timezone=time_zone
    )
    writes.validate(workspace)
    workspace.save()
    user = _user(admin_username, admin_password)
    membership = Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    actor = Actor(membership)
    writes.audit(actor, membership, "create", {"user_id": user.pk, "role": Role.ADMIN})
    install_template(actor, template, language=language, default=True)
    return actor


def _user(username: str, password: str | None) -> User:
    """Existing login for this username (password unchanged), or a new one."""
    users = get_user_model()
    existing = users.objects.filter(username=username).first()
    if existing is not None:
        return existing
    if not password:
        raise ValidationFailed.one("password", _("A new user needs a password."))
    user = users(username=username)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as invalid:
        raise ValidationFailed(
            [FieldError("username", m) for msgs in invalid.message_dict.values() for m in msgs]
        ) from invalid
    _check_password(password, user)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def create_team(actor: Actor | None, workspace: Workspace, name: str, parent: Team | None) -> Team:
    if actor is not None:
        require_admin(actor)
    if parent is not None and parent.workspace_id != workspace.pk:
        raise NotFound()
    team = Team(workspace=workspace, name=name, parent=parent, path="/")
    writes.create(actor, team, exclude=["path"])
    team.path = f"{parent.path if parent else '/'}{team.pk}/"
    Team.objects.filter(pk=team.pk).update(path=team.path)
    return team


@transaction.atomic
def add_member(
    actor: Actor | None,
    workspace: Workspace,
    *,
    username: str,
    password: str | None,
    role: str,
    team: Team | None = None,
    manages: list[Team] | None = None,
) -> Membership:
    """Add a login to the workspace (creating the user if new) with a role and team."""
    if actor is not None:
        require_admin(actor)
    if role not in Role.values:
        raise ValidationFailed.one("role", _("Choose admin, manager or rep."))
    for t in [team, *(manages or [])]:
        if t is not None and t.workspace_id != workspace.pk:
            raise NotFound()
    user = _user(username, password)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationFailed.one("username", _("This user is already a member."))
    membership = Membership(workspace=workspace, user=user, role=role, team=team)
    writes.create(actor, membership)
    if manages:
        membership.manages.set(manages)
    return membership


MEMBER_FIELDS = frozenset({"role", "team_id", "manages", "is_active"})
TEAM_FIELDS = frozenset({"name", "parent_id"})


@transaction.atomic
def update_member(
    actor: Actor, membership_id: int, version: int | None, data: Mapping[str, Any]
) -> Membership:
    """Change a member's role, team, managed teams or active state; never the last admin's."""
    require_admin(actor)
    writes.only(data, MEMBER_FIELDS)
    membership = writes.lock(actor, Membership, membership_id, version)
    values: dict[str, Any] = {k: v for k, v in data.items() if k in {"role", "is_active"}}
    if "role" in values and values["role"] not in Role.values:
        raise ValidationFailed.one("role", _("Choose admin, manager or rep."))
    if "team_id" in data:
        values["team"] = (
            None
            if data["team_id"] is None
            else writes.reference(actor, Team, data["team_id"], "team_id")
        )
    manages = None
    if "manages" in data:
        manages = [writes.reference(actor, Team, pk, "manages") for pk in data["manages"]]
    stays_admin = values.get("role", membership.role) == Role.ADMIN and values.get(
        "is_active", membership.is_active
    )
    if membership.role == Role.ADMIN and membership.is_active and not stays_admin:
        _require_another_admin(actor, membership)
    changes = writes.apply(membership, values)
    if manages is not None:
        old = sorted(membership.manages.values_list("pk", flat=True))
        new = sorted({t.pk for t in manages})
        if old != new:
            membership.manages.set(manages)
            changes["manages"] = [old, new]
    if not changes:
        return membership
    # One audit record for fields and managed teams together; the row is locked, so the
    # version check already happened in writes.lock.
    writes.validate(membership)
    membership.updated_at = timezone.now()
    membership.updated_by_id = actor.user_id
    membership.version += 1
    scalars = [name for name in changes if name != "manages"]
    membership.save(update_fields=[*scalars, "version", "updated_at", "updated_by"])
    writes.audit(actor, membership, "update", changes)
    return membership


def _require_another_admin(actor: Actor, leaving: Membership) -> None:
    """Lock the workspace's active admins, so two admins cannot demote each other at once."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(workspace_id=actor.workspace_id, role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if not set(admins) - {leaving.pk}:
        raise ValidationFailed.one(
            "role", _("A workspace needs at least one active admin: make someone else admin first.")
        )


@transaction.atomic
def update_team(actor: Actor, team_id: int, version: int | None, data: Mapping[str, Any]) -> Team:
    """Rename a team or move it under another parent, rewriting the path of its whole sub-tree."""
    require_admin(actor)
    writes.only(data, TEAM_FIELDS)
    team = writes.lock(actor, Team, team_id, version)
    values: dict[str, Any] = {k: v for k, v in data.items() if k == "name"}
    old_path = team.path
    if "parent_id" in data:
        parent = (
            None
            if data["parent_id"] is None
            else writes.reference(actor, Team, data["parent_id"], "parent_id")
        )
        if parent is not None and parent.path.startswith(old_path):
            raise ValidationFailed.one(
                "parent_id", _("A team cannot move under itself or one of its sub-teams.")
            )
        values["parent"] = parent
        values["path"] = f"{parent.path if parent else '/'}{team.pk}/"
    writes.update(actor, team, writes.apply(team, values))
    if team.path != old_path:
        descendants = (
            visible(Team, actor)
            .select_for_update()
            .filter(path__startswith=old_path)
            .exclude(pk=team.pk)
        )
        for sub_team in descendants:
            new_path = team.path + sub_team.path.removeprefix(old_path)
            writes.update(actor, sub_team, writes.apply(sub_team, {"path": new_path}))
    return team


@transaction.atomic
def delete_team(actor: Actor, team_id: int, version: int | None = None) -> None:
    """Delete a team nobody belongs to, manages, or hangs below."""
    require_admin(actor)
    team = writes.lock(actor, Team, team_id, version)
    if team.children.exists() or team.members.exists() or team.managers.exists():
        raise ValidationFailed.one(
            "id",
            _("Only an empty team can be deleted: it still has members, managers or sub-teams."),
        )
    writes.delete(actor, team)


@transaction.atomic
def create_token(membership: Membership, name: str = "") -> str:
    """Issue a token; the secret is returned once and only its hash is kept."""
    raw = ApiToken.new_secret()
    ApiToken.objects.create(
        membership=membership, key_hash=ApiToken.hash(raw), hint=raw[:7], name=name
    )
    return raw


def actor_for_token(raw: str) -> Actor | None:
    """The actor a bearer token speaks for, or None for an unknown or revoked token."""
    token = (
        ApiToken.objects.select_related("membership__user", "membership__workspace")
        .filter(key_hash=ApiToken.hash(raw), membership__is_active=True)
        .first()
    )
    if token is None or not token.membership.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Actor(token.membership)


@transaction.atomic
def set_preferences(
    user: User, *, language: str | None = None, time_zone: str | None = None
) -> None:
    """A user's own language and time zone, kept on each of their memberships."""
    changes: dict[str, str] = {}
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationFailed.one("language", _("Choose a language Salesflow speaks."))
        changes["language"] = language
    if time_zone is not None:
        if time_zone and time_zone not in available_timezones():
            raise ValidationFailed.one("timezone", _("Choose a time zone from the list."))
        changes["timezone"] = time_zone
    if changes:
        Membership.objects.filter(user=user).update(
            **changes, updated_at=timezone.now(), version=F("version") + 1
        )
