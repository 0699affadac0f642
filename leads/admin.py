from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.throttle import Limit, attempt_allowed, throttle_key
from customers.models import Customer, CustomerIdentity
from customers.services import MergeBlocked
from exports.sheets import SheetsExportAdminMixin
from exports.writers import LEAD_MESSAGE, ExportAdminMixin, column
from integrations.wordpress.connection import test_connection
from leads.admin_customer_related import CustomerRelatedListsMixin
from leads.models import ImportRun, Lead
from leads.progress import run_progress
from leads.recovery import leads_with_customer_flag
from leads.services.imports import import_run_enqueue
from leads.services.merge import customers_merge_two
from leads.source_config import SourceNotConfigured, import_options_for
from tenants.admin_mixins import CompanyScopedAdmin, CompanyScopedInline

KIND_LABELS = dict(ImportRun.Kind.choices)  # a run's live progress names its parts (leads, carts, orders)


class CustomerIdentityInline(CompanyScopedInline, admin.TabularInline):
    """The customer's phones and e-mails (every one identifies them); added by imports and merges."""

    model = CustomerIdentity
    fields = ("kind", "value", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(CustomerRelatedListsMixin, SheetsExportAdminMixin, ExportAdminMixin, CompanyScopedAdmin):
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
    inlines = [CustomerIdentityInline]
    actions = ["merge_customers"]

    @admin.action(description=_("Merge the two selected customers (one person)"), permissions=["change"])
    def merge_customers(self, request, queryset):
        company = getattr(request, "company", None)
        customers = list(queryset[:3])
        if company is None or len(customers) != 2:
            self.message_user(request, _("Select exactly two customers of one company to merge."), messages.ERROR)
            return
        try:
            keep, moved = customers_merge_two(company=company, customers=customers)
        except MergeBlocked as exc:
            self.message_user(
                request,
                _("Not merged: both customers have a %(kind)s of which a customer may have only one.")
                % {"kind": exc.args[0]},
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            _("Merged into %(customer)s: %(rows)s rows moved.") % {"customer": keep, "rows": sum(moved.values())},
            messages.SUCCESS,
        )


class AlreadyCustomerFilter(admin.SimpleListFilter):
    """Leads whose person already has a completed order (leads.recovery.leads_with_customer_flag)."""

    title = _("already a customer")
    parameter_name = "already_customer"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        return queryset.filter(is_customer=self.value() == "yes")  # annotated by LeadAdmin.get_queryset


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
    list_display = (
        "name",
        "phone",
        "email",
        "size",
        "submitted_at",
        "already_customer",
        "email_sent",
        "whatsapp_sent",
    )
    list_editable = ("email_sent", "whatsapp_sent")
    list_filter = ("source", AlreadyCustomerFilter, "email_sent", "whatsapp_sent", "submitted_at")
    search_fields = ("name", "phone", "email", "phone_raw")
    date_hierarchy = "submitted_at"
    readonly_fields = ("customer", "source", "external_id", "extra", "created_at", "updated_at")

    def get_queryset(self, request):
        return leads_with_customer_flag(super().get_queryset(request), getattr(request, "company", None))

    @admin.display(description=_("already a customer"), boolean=True, ordering="is_customer")
    def already_customer(self, obj):
        return getattr(obj, "is_customer", None)


@admin.register(ImportRun)
class ImportRunAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "kind", "period_start", "period_end", "status", "progress_bar", "triggered_by")
    list_filter = ("kind", "status")
    change_form_template = "admin/leads/importrun/change_form.html"
    change_list_template = "admin/leads/importrun/change_list.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "period_start", "period_end", "check_recovery")
        # Status, progress, summary and error are the live box under the fields (job_progress.html):
        # as read-only fields they kept the state the page was opened in ("Na fila" beside "Em andamento").
        return ("kind", "period_start", "period_end", "check_recovery")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        progress = run_progress(obj)
        bar = (
            mark_safe('<progress max="100"></progress>')  # no value: the browser shows "waiting"
            if progress.percent is None
            else format_html('<progress max="100" value="{}"></progress> {}%', progress.percent, progress.percent)
        )
        reason = format_html(' <span class="import-reason">{}</span>', progress.reason[:300]) if progress.reason else ""
        return format_html(
            '<span class="import-progress import-{}">{} <span class="import-state">{}</span>{}</span>',
            progress.status,
            bar,
            progress.label,
            reason,
        )

    def add_view(self, request, form_url="", extra_context=None):
        """No import starts while the company's source is not configured: the page says what is
        missing and links to the WordPress settings form instead of offering the import form."""
        if request.company is not None and self.has_add_permission(request):
            try:
                import_options_for(request.company)
            except (SourceNotConfigured, ValueError) as exc:
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Start an import"),
                    "opts": self.model._meta,
                    "reason": str(exc),
                    "settings_url": reverse("admin:tenants_companysetting_integration", args=["wordpress"]),
                }
                return TemplateResponse(request, "admin/leads/importrun/not_configured.html", context)
        return super().add_view(request, form_url, extra_context)

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
        progress = run_progress(run)
        return JsonResponse(
            {
                "status": run.status,
                "status_label": progress.label,
                "percent": progress.percent,  # null: queued, or running with nothing counted yet
                "progress": {  # each part's name as staff read it (pt-BR), not the internal kind
                    kind: {**part, "label": str(KIND_LABELS.get(kind, kind))} for kind, part in progress.counts.items()
                },
                "summary_text": run.summary_text,
                "error": progress.reason,
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
