from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.throttle import Limit, attempt_allowed, throttle_key
from customers.models import Customer
from exports.sheets import SheetsExportAdminMixin
from exports.writers import LEAD_MESSAGE, ExportAdminMixin, column
from integrations.wordpress.connection import test_connection
from leads.models import ImportRun, Lead
from leads.progress import progress_get, progress_percent
from leads.services.imports import import_run_enqueue
from leads.source_config import SourceNotConfigured, import_options_for
from tenants.admin_mixins import CompanyScopedAdmin


@admin.register(Customer)
class CustomerAdmin(SheetsExportAdminMixin, ExportAdminMixin, CompanyScopedAdmin):
    export_name = "clientes"
    export_columns = (
        column(_("name"), "name"),
        column(_("phone"), "phone"),
        column(_("email"), "email"),
        column(_("created at"), "created_at"),
    )
    list_display = ("name", "phone", "email", "opted_out_at", "created_at")
    search_fields = ("name", "phone", "email")
    list_filter = ("opted_out_at",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Lead)
class LeadAdmin(SheetsExportAdminMixin, ExportAdminMixin, CompanyScopedAdmin):
    export_name = "leads"
    export_message = LEAD_MESSAGE
    export_columns = (
        column(_("name"), "name"),
        column(_("phone"), "phone"),
        column(_("phone as typed"), "phone_raw"),
        column(_("email"), "email"),
        column(_("size"), "size"),
        column(_("submitted at"), "submitted_at"),
        column(_("email sent"), "email_sent"),
        column(_("WhatsApp sent"), "whatsapp_sent"),
    )
    list_display = ("name", "phone", "email", "size", "submitted_at", "email_sent", "whatsapp_sent")
    list_editable = ("email_sent", "whatsapp_sent")
    list_filter = ("source", "email_sent", "whatsapp_sent", "submitted_at")
    search_fields = ("name", "phone", "email", "phone_raw")
    date_hierarchy = "submitted_at"
    readonly_fields = ("customer", "source", "external_id", "extra", "created_at", "updated_at")


@admin.register(ImportRun)
class ImportRunAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "kind", "period_start", "period_end", "status", "progress_bar", "triggered_by")
    list_filter = ("kind", "status")
    change_form_template = "admin/leads/importrun/change_form.html"
    change_list_template = "admin/leads/importrun/change_list.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "period_start", "period_end", "check_recovery")
        return (
            "kind",
            "period_start",
            "period_end",
            "check_recovery",
            "status",
            "progress_bar",
            "summary_text",
            "error",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        percent = (
            100 if obj.status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED) else progress_percent(obj.pk)
        )
        return format_html('<progress max="100" value="{}"></progress> {}%', percent, percent)

    def save_model(self, request, obj, form, change):
        if change:
            return
        obj.triggered_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        import_run_enqueue(obj)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="leads_importrun_progress"),
            path(
                "test-connection/", self.admin_site.admin_view(self.test_connection_view), name="leads_importrun_test"
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        run = self.get_object(request, str(pk))
        if run is None or not self.has_view_permission(request, run):
            raise Http404
        return JsonResponse(
            {
                "status": run.status,
                "status_label": run.get_status_display(),
                "percent": 100 if run.finished_at else progress_percent(run.pk),
                "progress": progress_get(run.pk),
                "summary_text": run.summary_text,
                "error": run.error,
            }
        )

    @method_decorator(require_POST)
    def test_connection_view(self, request):
        """Connect to the company's WordPress database once (a POST; a few per minute per company)."""
        if request.company is None:
            raise Http404
        if not attempt_allowed(
            throttle_key("connection-test", str(request.company.pk)), Limit(settings.CONNECTION_TESTS_PER_MINUTE, 60)
        ):
            messages.error(request, _("Too many connection tests. Wait a minute and try again."))
            return redirect(reverse("admin:leads_importrun_changelist"))
        try:
            options = import_options_for(request.company)
        except (SourceNotConfigured, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            # The tables of everything the company imports (carts and orders; leads when mapped).
            check = test_connection(options.source, required_tables=options.required_tables())
            messages.add_message(request, messages.SUCCESS if check.ok else messages.ERROR, check.message)
        return redirect(reverse("admin:leads_importrun_changelist"))
