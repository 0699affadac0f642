"""The privacy desk's one table: every export and erasure asked for, with who, when, why and how many rows."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import CompanyOwned


class PrivacyRequest(CompanyOwned):
    """One LGPD request about one customer. An erasure's row is the erasure record: it holds no
    personal data (the customer's id, gone after the erasure, and row counts only). An export's zip
    holds the person's data and is deleted after EXPORT_KEPT_DAYS or when the person is erased."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Data export")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")  # waiting for a worker
        RUNNING = "running", _("Running")  # progress is live in the cache
        SUCCEEDED = "succeeded", _("Succeeded")  # done; counts say what was exported, deleted or anonymised
        FAILED = "failed", _("Failed")  # stopped; error says why (an erasure can be asked again: it resumes)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # A plain id, not a foreign key: the erasure deletes the customer and its record must stay.
    customer_ref = models.PositiveBigIntegerField(_("customer id"))
    requested_by = models.CharField(_("requested by"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)
    counts = models.JSONField(_("row counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("export file"), upload_to="privacy/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "created_at"], name="privacyrequest_created_idx"),
            models.Index(fields=["company", "customer_ref"], name="privacyrequest_customer_idx"),
            # Retention: export files still stored, oldest first.
            models.Index(
                fields=["company", "finished_at"],
                condition=Q(kind="export") & ~Q(file=""),
                name="privacyrequest_export_file_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"
