"""LGPD in the admin: the customer page's "Exportar dados (LGPD)" and "Apagar dados (LGPD)" buttons and
actions, the erasure confirmation, and the privacy requests with their progress and export download.

Leads registers CustomerAdmin; this app, on the top layer, registers it again with the LGPD
buttons, actions and pages. Who may use them is the role matrix's (tenants.permissions: owners
and managers), which the scoped admin enforces on every action and page.
"""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from leads.admin import CustomerAdmin
from leads.progress import progress_get, progress_percent
from privacy.downloads import export_download
from privacy.models import PrivacyRequest
from privacy.services import EXPORT_KEPT_DAYS, PROGRESS_NAMESPACE, person_erase_plan, privacy_request_start
from privacy.services.erase import MAX_REASON_CHARS
from tenants.admin_mixins import CompanyScopedAdmin
from tenants.permissions import admin_page_allows
from tenants.selectors import NO_ACCESS


def _own_row(model_admin, request, pk):
    """The company's row `pk` (the page's role check has run): 404 when it is not theirs."""
    found = model_admin.get_object(request, str(pk))
    if found is None:
        raise Http404
    return found


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Why the data is erased, e.g. “request by e-mail of 2025-03-01”. Kept in the erasure record: "
            "no name, e-mail or phone of the person."
        ),
    )


def plan_lines(plan: dict) -> list[dict]:
    """The confirmation's lines: what happens to each kind of row, with how many."""
    lines = []
    for action, counts in ((_("deleted"), plan["deleted"]), (_("kept, anonymised"), plan["anonymised"])):
        for label, count in counts.items():
            if count:
                model = apps.get_model(label)
                lines.append({"label": model._meta.verbose_name_plural, "count": count, "action": action})
    return lines


class PrivacyCustomerAdmin(CustomerAdmin):
    change_form_template = "admin/privacy/customer/change_form.html"
    actions = [*CustomerAdmin.actions, "privacy_export", "privacy_erase"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/privacy-export/", wrap(self.export_view), name="customers_customer_privacy_export"),
            path("<int:pk>/privacy-erase/", wrap(self.erase_view), name="customers_customer_privacy_erase"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        access = getattr(request, "company_access", NO_ACCESS)
        context["may_handle_personal_data"] = admin_page_allows(access, Customer, "customers_customer_privacy_erase")
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description=_("Export data (LGPD)"))
    def privacy_export(self, request, queryset):
        started = [self._start(request, customer, PrivacyRequest.Kind.EXPORT) for customer in queryset]
        return self._after(request, started)

    @admin.action(description=_("Erase data (LGPD)"))
    def privacy_erase(self, request, queryset):
        customers = list(queryset)
        form = ErasureForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            return self._erase(request, customers, form)
        return self._confirmation(request, customers, form, action_ids=[c.pk for c in customers])

    def export_view(self, request, pk):
        customer = _own_row(self, request, pk)
        if request.method == "POST":
            return self._after(request, [self._start(request, customer, PrivacyRequest.Kind.EXPORT)])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Export personal data (LGPD)"),
            "customer": customer,
            "kept_days": EXPORT_KEPT_DAYS,
        }
        return render(request, "admin/privacy/customer/export_confirmation.html", context)

    def erase_view(self, request, pk):
        customer = _own_row(self, request, pk)
        form = ErasureForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self._erase(request, [customer], form)
        return self._confirmation(request, [customer], form)

    def _start(self, request, customer, kind, reason=""):
        return privacy_request_start(
            company=request.company,
            customer=customer,
            kind=kind,
            requested_by=request.user.get_username(),
            reason=reason,
        )

    def _erase(self, request, customers, form):
        started = []
        for customer in customers:
            try:
                started.append(self._start(request, customer, PrivacyRequest.Kind.ERASURE, form.cleaned_data["reason"]))
            except ValidationError as exc:
                form.add_error("reason", exc.message_dict.get("reason", exc.messages))
                return self._confirmation(request, customers, form, action_ids=[c.pk for c in customers])
        return self._after(request, started)

    def _confirmation(self, request, customers, form, action_ids=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Erase personal data (LGPD)"),
            "people": [
                {"customer": c, "lines": plan_lines(person_erase_plan(company=request.company, customer=c))}
                for c in customers
            ],
            "form": form,
            "action_ids": action_ids,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/privacy/customer/erase_confirmation.html", context)

    def _after(self, request, started: list[PrivacyRequest]):
        for done in started:
            level = messages.ERROR if done.status == PrivacyRequest.Status.FAILED else messages.SUCCESS
            self.message_user(
                request, _("%(request)s: %(status)s.") % {"request": done, "status": done.get_status_display()}, level
            )
        if len(started) == 1:
            return HttpResponseRedirect(reverse("admin:privacy_privacyrequest_change", args=[started[0].pk]))
        return HttpResponseRedirect(reverse("admin:privacy_privacyrequest_changelist"))


admin.site.unregister(Customer)
admin.site.register(Customer, PrivacyCustomerAdmin)


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "kind", "status", "customer_ref", "requested_by", "progress_bar", "finished_at")
    list_filter = ("kind", "status")
    fields = (
        "kind",
        "status",
        "customer_ref",
        "requested_by",
        "reason",
        "progress_bar",
        "counts",
        "error",
        "download",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    change_form_template = "admin/privacy/privacyrequest/change_form.html"

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        percent = progress_percent(obj.pk, namespace=PROGRESS_NAMESPACE) if not obj.finished_at else 100
        return format_html('<progress max="100" value="{}"></progress> {}%', percent, percent)

    @admin.display(description=_("export file"))
    def download(self, obj):
        if obj.kind != PrivacyRequest.Kind.EXPORT or not obj.file:
            return "—"
        url = reverse("admin:privacy_privacyrequest_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (zip)"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", wrap(self.progress_view), name="privacy_privacyrequest_progress"),
            path("<int:pk>/download/", wrap(self.download_view), name="privacy_privacyrequest_download"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        found = _own_row(self, request, pk)
        return JsonResponse(
            {
                "status": found.status,
                "status_label": found.get_status_display(),
                "percent": 100 if found.finished_at else progress_percent(found.pk, namespace=PROGRESS_NAMESPACE),
                "progress": progress_get(found.pk, namespace=PROGRESS_NAMESPACE),
                "error": found.error,
            }
        )

    def download_view(self, request, pk):
        return export_download(_own_row(self, request, pk))
