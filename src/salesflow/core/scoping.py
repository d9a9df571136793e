"""The one place that decides which rows an actor may see and what they may change.

A rep sees their own records; a manager sees records owned by members of the teams they
manage and of every sub-team (and their own), and records that nobody owns (customers in the
public pool); an admin sees the whole workspace. Nobody sees another workspace's rows. Pages,
the API, exports and reports all read through `visible`; what every member may read whatever
their role (the public pool) starts from `in_workspace`.

A model says how: `scope_owner_path` names the owner its rows are scoped by (None: rows of the
whole workspace that every member reads), and `scope_admins_only` marks rows added up over
every owner, which only admins may read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from salesflow.core.errors import Forbidden, NotFound, ValidationFailed
from salesflow.core.models import Membership, Role, Trashable, Workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which workspace, with which role."""

    membership: Membership

    @classmethod
    def of(cls, user: User, workspace: Workspace | int) -> Actor:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        try:
            membership = Membership.objects.select_related("user", "workspace").get(
                user=user, workspace_id=workspace_id, is_active=True
            )
        except Membership.DoesNotExist as missing:
            raise NotFound() from missing
        return cls(membership)

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    @property
    def workspace(self) -> Workspace:
        return self.membership.workspace

    @property
    def workspace_id(self) -> int:
        return self.membership.workspace_id

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @cached_property
    def managed_paths(self) -> tuple[str, ...]:
        if self.role != Role.MANAGER:
            return ()
        return tuple(self.membership.manages.values_list("path", flat=True))

    @cached_property
    def visible_owner_ids(self) -> tuple[int, ...]:
        """User ids whose records this actor sees (not used for admins, who see all).

        Read once and passed as values: a subquery on team paths leaves the database to guess
        how many owners match, and PostgreSQL guesses a handful for a whole region's teams,
        then plans a manager's report or search as if it were a rep's.
        """
        members = Membership.objects.filter(workspace_id=self.workspace_id)
        in_scope = Q(user_id=self.user_id)
        for path in self.managed_paths:
            in_scope |= Q(team__path__startswith=path)
        return tuple(members.filter(in_scope).values_list("user_id", flat=True).order_by("user_id"))


def in_workspace(source: type[M] | QuerySet[M], actor: Actor) -> QuerySet[M]:
    """Every row of `source` in the actor's workspace, whatever their role; rows in the trash
    are gone."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    queryset = queryset.filter(workspace_id=actor.workspace_id)
    if issubclass(queryset.model, Trashable):
        queryset = queryset.filter(trashed_at__isnull=True)
    return queryset


def visible(source: type[M] | QuerySet[M], actor: Actor) -> QuerySet[M]:
    """Every row of `source` the actor may see, and no other; rows in the trash are gone."""
    queryset = in_workspace(source, actor)
    owner_path: str | None = getattr(queryset.model, "scope_owner_path")  # noqa: B009
    if actor.is_admin:
        return queryset
    if getattr(queryset.model, "scope_admins_only", False):
        # counts added up over every owner: they would show other people's records
        return queryset.none()
    if owner_path is None:
        return queryset
    if actor.role == Role.MANAGER:
        in_teams = Q(**{f"{owner_path}__in": actor.visible_owner_ids})
        if _may_have_no_owner(queryset.model, owner_path):
            in_teams |= Q(**{f"{owner_path}__isnull": True})
        return queryset.filter(in_teams)
    return queryset.filter(**{owner_path: actor.user_id})


def in_trash(model: type[M], actor: Actor) -> QuerySet[M]:
    """The workspace's rows of `model` in the trash: only an admin may see the trash."""
    require_admin(actor)
    return model._default_manager.filter(workspace_id=actor.workspace_id, trashed_at__isnull=False)


@cache
def _may_have_no_owner(model: type[Model], owner_path: str) -> bool:
    """Whether the owner at the end of the path may be empty (a customer in the public pool)."""
    meta = model._meta
    nullable = False
    for name in owner_path.split("__"):
        field = meta.get_field(name)
        nullable = bool(getattr(field, "null", False))
        if field.related_model is not None and not isinstance(field.related_model, str):
            meta = field.related_model._meta
    return nullable


def get_visible(source: type[M] | QuerySet[M], actor: Actor, pk: object) -> M:
    """One visible row, or NotFound: another workspace's id looks exactly like a missing one."""
    try:
        return visible(source, actor).get(pk=pk)
    except (ValueError, TypeError) as bad:
        raise NotFound() from bad
    except ObjectDoesNotExist as missing:
        raise NotFound() from missing


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only a workspace admin may do this."))


def require_manager(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(_("Only a manager or an admin may do this."))


def require_can_own(actor: Actor, user_id: int, field_name: str = "owner_id") -> None:
    """The owner of a record must be an active member the actor may assign work to."""
    try:
        is_member = Membership.objects.filter(
            workspace_id=actor.workspace_id, user_id=user_id, is_active=True
        ).exists()
    except (ValueError, TypeError):  # not an id at all, e.g. a username sent by mistake
        is_member = False
    if not is_member:
        raise ValidationFailed.one(field_name, _("No active member of this workspace has this id."))
    if actor.is_admin or user_id == actor.user_id:
        return
    if actor.role == Role.MANAGER and user_id in actor.visible_owner_ids:
        return
    raise Forbidden(_("You may not assign records to this member."))
