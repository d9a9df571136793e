"""Workspace, membership, teams, API tokens and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

_M = TypeVar("_M", bound=models.Model)


class Workspace(models.Model):
    """One company using Salesflow; every business row belongs to exactly one."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    base_currency = models.CharField(_("base currency"), max_length=3, default="CNY")
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return self.name


class WorkspaceOwned(models.Model):
    """Base of every business row: its workspace, who made and changed it, and a version."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace")
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    # The path from this model to the owning user, or None when every member may see the row.
    scope_owner_path: ClassVar[str | None] = "owner"

    class Meta:
        abstract = True


class Trashable(models.Model):
    """A row that deleting moves to the trash; `visible()` leaves trashed rows out everywhere."""

    trashed_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("deleted by"),
    )

    class Meta:
        abstract = True


class Team(WorkspaceOwned):
    """A node in the workspace's team tree; `path` ("/1/4/9/") makes sub-tree queries one filter."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent team"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)

    scope_owner_path = None

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("admin")
    MANAGER = "manager", _("manager")
    REP = "rep", _("rep")


class Membership(WorkspaceOwned):
    """A user's place in a workspace: role, team, and the teams they manage."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("team"),
    )
    manages = models.ManyToManyField(
        Team, blank=True, related_name="managers", verbose_name=_("manages")
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_owner_path = None

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace_id} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only the SHA-256 of the secret is stored."""

    PREFIX = "sf_"

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("membership")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("hint"), max_length=12, editable=False)
    name = models.CharField(_("name"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.hint}… ({self.name or self.membership_id})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk edits would bypass `AppendOnly.save`, so they are refused here as well.

    Rows still go when their owner does: Django's cascade deletes without calling `delete()`.
    """

    def update(self, **kwargs: Any) -> int:
        raise TypeError(f"{self.model.__name__} is append-only")

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        raise TypeError(f"{self.model.__name__} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model.__name__} is append-only")


class AppendOnly(models.Model):
    """Rows that record facts: written once, never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{type(self).__name__} is append-only")


class AuditRecord(AppendOnly):
    """Who changed what, when: one row per write, with each changed field's old and new value."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=now, editable=False)
    # Looked up by the index below, which starts with it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    entity = models.CharField(max_length=40)
    entity_id = models.BigIntegerField()
    action = models.CharField(max_length=20)
    changes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            models.Index(fields=["workspace", "entity", "entity_id", "at"]),
            # a member's recent attempts of one kind (refused reveals)
            models.Index(fields=["actor", "action", "at"], name="audit_by_actor_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity}#{self.entity_id} @ {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message in one member's in-app inbox.

    `title` and `text` are English templates (marked with gettext_noop) filled with `params`
    when read, so each reader sees them in their own language; `on`, the day it is about, is
    shown in the reader's date format as `%(on)s`. `dedupe_key` makes a repeated notice (a
    daily command run twice) a no-op for the same member.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    text = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    on = models.DateField(null=True, blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)

    scope_owner_path: ClassVar[str | None] = "user"

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["workspace", "user", "id"]),
            models.Index(
                fields=["workspace", "user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
