"""The import desk's rows: form leads and import runs (the person they belong to is customers.Customer)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from carts.models import Cart
from customers.models import Customer
from tenants.models import CompanyOwned


class Lead(CompanyOwned):
    """One form submission (Form Vibes) of a person interested in buying."""

    class Source(models.TextChoices):
        FORM_VIBES = "formvibes", "Form Vibes"

    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.FORM_VIBES)
    external_id = models.CharField(_("external id"), max_length=64)
    form_id = models.CharField(_("form"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone_raw = models.CharField(_("phone as typed"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    size = models.CharField(_("size"), max_length=50, blank=True)
    extra = models.JSONField(_("other fields"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    email_sent = models.BooleanField(_("email sent"), default=False)
    whatsapp_sent = models.BooleanField(_("WhatsApp sent"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "source", "external_id"], name="lead_unique_external"),
        ]
        indexes = [models.Index(fields=["company", "submitted_at"], name="lead_company_submitted_idx")]

    def __str__(self) -> str:
        return self.name or self.phone or self.email or self.external_id


class ImportRun(CompanyOwned):
    """One import from the company's WordPress database, with its progress and summary."""

    class Kind(models.TextChoices):
        LEADS = "leads", _("Leads (Form Vibes)")
        ALL = "all", _("Carts and orders")
        CARTS = "carts", _("Abandoned carts")
        ORDERS = "orders", _("Orders")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")  # waiting for a worker on the imports queue
        RUNNING = "running", _("Running")  # reading; progress is live in the cache
        SUCCEEDED = "succeeded", _("Succeeded")  # finished (rows that failed are counted in the summary)
        FAILED = "failed", _("Failed")  # stopped: the source could not be read; error says why

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("to"))
    check_recovery = models.BooleanField(_("check recovery"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    summary_text = models.TextField(_("summary text"), blank=True)
    error = models.TextField(_("error"), blank=True)
    triggered_by = models.CharField(_("triggered by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "created_at"], name="importrun_company_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y}"


class ImportedCart(Cart):
    """The recovery desk's view of carts.Cart: imported WooCommerce carts only, on their own admin page."""

    class Meta:
        proxy = True
        verbose_name = _("abandoned cart (WooCommerce)")
        verbose_name_plural = _("abandoned carts (WooCommerce)")
