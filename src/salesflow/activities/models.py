"""Calls, emails, meetings, visits, notes and tasks, linked to a customer."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesflow.core.models import Trashable, WorkspaceOwned


class ActivityKind(models.TextChoices):
    CALL = "call", _("call")
    EMAIL = "email", _("email")
    MEETING = "meeting", _("meeting")
    VISIT = "visit", _("visit")
    NOTE = "note", _("note")
    TASK = "task", _("task")


class Activity(Trashable, WorkspaceOwned):
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True, max_length=20000)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("contact"),
    )
    deal = models.ForeignKey(
        "pipeline.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("deal"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    # Went to the trash with its customer, and comes back with it.
    trashed_with_customer = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(
                fields=["workspace", "trashed_at"],
                condition=models.Q(trashed_at__isnull=False, trashed_with_customer=False),
                name="activity_trash",
            ),
            models.Index(fields=["workspace", "owner", "done_at", "due_at"]),
            models.Index(fields=["workspace", "customer", "id"]),
            models.Index(fields=["workspace", "deal", "id"]),
        ]

    def __str__(self) -> str:
        return self.subject
