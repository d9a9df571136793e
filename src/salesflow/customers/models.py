"""Customers (companies or people we sell to) and their contacts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesflow.core.models import WorkspaceOwned


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("company")
    PERSON = "person", _("person")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-99", _("10–99 employees")
    MEDIUM = "100-499", _("100–499 employees")
    LARGE = "500-999", _("500–999 employees")
    ENTERPRISE = "1000+", _("1000+ employees")


class Tier(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    CUSTOMER = "customer", _("customer")
    CHURNED = "churned", _("churned")


class Customer(WorkspaceOwned):
    kind = models.CharField(
        _("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    source_channel = models.CharField(_("source channel"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    lifecycle = models.CharField(
        _("lifecycle"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["workspace", "owner", "id"]),
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "lifecycle"]),
        ]

    def __str__(self) -> str:
        return self.name


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    INFLUENCER = "influencer", _("influencer")
    CHAMPION = "champion", _("champion")
    USER = "user", _("user")
    GATEKEEPER = "gatekeeper", _("gatekeeper")
    OTHER = "other", _("other")


class Contact(WorkspaceOwned):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    emails = models.JSONField(_("emails"), default=list, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    decision_role = models.CharField(
        _("decision role"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=10000)

    scope_owner_path = "customer__owner"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["workspace", "customer", "id"])]

    def __str__(self) -> str:
        return self.name
