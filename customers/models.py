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


class CustomerIdentity(CompanyOwned):
    """One phone (E.164) or e-mail (lowercased, a valid address) that identifies a customer; a customer
    has any number of them. A value identifies at most one customer of a company."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["company", "value"], name="customeridentity_unique_value")]
        indexes = [models.Index(fields=["customer"], name="customeridentity_customer_idx")]

    def __str__(self) -> str:
        return self.value


class CustomerLink(CompanyOwned):
    """A record (lead, cart, order) whose phone belongs to one customer and e-mail to another: the two
    are probably one person. Kept for staff, who may merge them (customers.services.customers_merge)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="links", verbose_name=_("customer"))
    other = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("the other customer")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")
        constraints = [models.UniqueConstraint(fields=["company", "customer", "other"], name="customerlink_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.other_id}"
