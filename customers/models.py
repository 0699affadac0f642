"""The person every app talks to: one Customer per person of a company, found by phone or e-mail."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import CompanyOwned


class Customer(CompanyOwned):
    """One person of one company, found by normalised phone and/or lowercased email."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +5511987654321"))
    email = models.EmailField(_("email"), blank=True)
    # Provider -> the contact/chat id that provider gave; replies go to it, not to a rebuilt number.
    provider_contact_ids = models.JSONField(_("provider contact ids"), default=dict, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "phone"], condition=~Q(phone=""), name="customer_unique_phone"),
            models.UniqueConstraint(fields=["company", "email"], condition=~Q(email=""), name="customer_unique_email"),
        ]
        indexes = [models.Index(fields=["company", "created_at"], name="customer_company_created_idx")]

    def __str__(self) -> str:
        return self.name or self.phone or self.email or f"#{self.pk}"
