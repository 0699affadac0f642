"""Staff pages for flows: templates -> flows -> subflows -> messages, each editable in place on its
parent's page, plus export/import/duplicate and a simulator."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DrfValidationError

from config.json_input import loads_untrusted
from flows.diagram import flows_diagram_load
from flows.models import Flow, FlowMessage, FlowPosition, FlowTemplate, FlowVersion, Subflow
from flows.services import flow_simulate, flow_template_export, flow_template_import, flow_template_publish
from tenants.admin_mixins import CompanyScopedAdmin, CompanyScopedInline
from tenants.scoping import company_scope


class FlowInline(CompanyScopedInline, admin.TabularInline):
    model = Flow
    fields = ("name", "is_default", "is_active", "order_index")
    extra = 0
    show_change_link = True


class SubflowInline(CompanyScopedInline, admin.TabularInline):
    model = Subflow
    fk_name = "flow"
    fields = ("name", "trigger_keywords", "parent_subflow", "order_index", "is_active")
    extra = 0
    show_change_link = True


class FlowVersionInline(CompanyScopedInline, admin.TabularInline):
    """Published versions, read-only: they are written by the publish button only."""

    model = FlowVersion
    fields = ("number", "published_at", "published_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)
    verbose_name_plural = _("published versions")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FlowMessageInline(CompanyScopedInline, admin.StackedInline):
    model = FlowMessage
    fields = (
        ("order_index", "message_type", "is_active"),
        "message_text",
        ("wait_for_response", "wait_for_file", "expected_file_types"),
        ("delay_seconds", "save_reply_as", "action"),
    )
    extra = 0


def _set_active(queryset, value: bool) -> int:
    return queryset.update(is_active=value)


@admin.action(description=_("Activate"))
def activate(modeladmin, request, queryset):
    modeladmin.message_user(request, _("%(n)d activated.") % {"n": _set_active(queryset, True)})


@admin.action(description=_("Deactivate"))
def deactivate(modeladmin, request, queryset):
    modeladmin.message_user(request, _("%(n)d deactivated.") % {"n": _set_active(queryset, False)})


class FlowImportForm(forms.Form):
    file = forms.FileField(label=_("Exported JSON file"))


class FlowSimulateForm(forms.Form):
    inputs = forms.CharField(
        label=_("Customer messages, one per line"), widget=forms.Textarea(attrs={"rows": 6, "cols": 60})
    )
    version = forms.ChoiceField(
        label=_("Version"),
        choices=[("draft", _("Draft")), ("published", _("Published"))],
        initial="draft",
        required=False,
    )


@admin.register(FlowTemplate)
class FlowTemplateAdmin(CompanyScopedAdmin):
    list_display = ("name", "is_active", "created_at")
    list_editable = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("published_version",)
    inlines = [FlowInline, FlowVersionInline]
    actions = [activate, deactivate, "export_json", "duplicate"]
    change_list_template = "admin/flows/flowtemplate/change_list.html"
    change_form_template = "admin/flows/flowtemplate/change_form.html"

    def get_urls(self):
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="flows_flowtemplate_import"),
            path(
                "<int:object_id>/simulate/",
                self.admin_site.admin_view(self.simulate_view),
                name="flows_flowtemplate_simulate",
            ),
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="flows_flowtemplate_publish",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        template = self.get_object(request, object_id) if object_id else None
        if template is not None:
            with company_scope(template.company_id):
                flow_ids = list(Flow.objects.filter(template=template).values_list("pk", flat=True))
                extra_context["diagram"] = flows_diagram_load(flow_ids=flow_ids)
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def publish_view(self, request, object_id):
        template = self.get_object(request, str(object_id))
        if template is None:
            raise Http404
        if not self.has_change_permission(request, template):
            raise PermissionDenied
        try:
            with company_scope(template.company_id):
                version = flow_template_publish(template=template, published_by=request.user.get_username())
        except DrfValidationError as exc:
            self.message_user(request, _("Not published: %(detail)s") % {"detail": exc.detail}, messages.ERROR)
        else:
            self.message_user(request, _("Published as version %(number)d.") % {"number": version.number})
        return HttpResponseRedirect(reverse("admin:flows_flowtemplate_change", args=[template.pk]))

    @admin.action(description=_("Export as JSON"))
    def export_json(self, request, queryset):
        templates = list(queryset[:2])
        if len(templates) != 1:
            self.message_user(request, _("Choose exactly one template to export."), messages.WARNING)
            return None
        document = flow_template_export(template=templates[0])
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="flow-template-{templates[0].pk}.json"'
        return response

    @admin.action(description=_("Duplicate"))
    def duplicate(self, request, queryset):
        with company_scope(request.company), transaction.atomic():
            for template in queryset:
                flow_template_import(document=flow_template_export(template=template))
        self.message_user(request, _("Duplicated."))

    def import_view(self, request):
        if not self.has_add_permission(request) or request.company is None:
            raise PermissionDenied
        form = FlowImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                document = loads_untrusted(form.cleaned_data["file"].read())
                with company_scope(request.company):
                    template = flow_template_import(document=document)
            except (ValueError, DrfValidationError) as exc:
                detail = exc.detail if isinstance(exc, DrfValidationError) else str(exc)
                form.add_error("file", _("Not a valid export: %(detail)s") % {"detail": detail})
            else:
                self.message_user(request, _("Imported as %(name)s.") % {"name": template.name})
                return HttpResponseRedirect(reverse("admin:flows_flowtemplate_change", args=[template.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Import a flow template"),
        }
        return render(request, "admin/flows/flowtemplate/import.html", context)

    def simulate_view(self, request, object_id):
        template = self.get_object(request, str(object_id))
        if template is None:
            raise Http404
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        form = FlowSimulateForm(request.POST or None)
        turns = None
        if request.method == "POST" and form.is_valid():
            inputs = [line for line in form.cleaned_data["inputs"].splitlines() if line.strip()]
            version = None
            if form.cleaned_data.get("version") == "published":
                version = template.published_version or None
                if version is None:
                    form.add_error("version", _("This template has not been published yet."))
            if form.is_valid():
                with company_scope(template.company_id):
                    turns = flow_simulate(template_id=template.pk, inputs=inputs, version=version)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "form": form,
            "turns": turns,
            "title": _("Simulate %(name)s") % {"name": template.name},
        }
        return render(request, "admin/flows/flowtemplate/simulate.html", context)


@admin.register(Flow)
class FlowAdmin(CompanyScopedAdmin):
    list_display = ("name", "template", "is_default", "is_active", "order_index")
    list_editable = ("is_active", "order_index")
    list_filter = ("is_active", "is_default")
    search_fields = ("name",)
    ordering = ("template", "order_index", "id")
    inlines = [SubflowInline]
    actions = [activate, deactivate]
    change_form_template = "admin/flows/flow/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        flow = self.get_object(request, object_id) if object_id else None
        if flow is not None:
            with company_scope(flow.company_id):
                extra_context["diagram"] = flows_diagram_load(flow_ids=[flow.pk])
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Subflow)
class SubflowAdmin(CompanyScopedAdmin):
    list_display = ("name", "flow", "trigger_keywords", "parent_subflow", "is_active", "order_index")
    list_select_related = ("flow", "parent_subflow")  # nullable parent: not in the automatic select_related()
    list_editable = ("is_active", "order_index")
    list_filter = ("is_active",)
    search_fields = ("name",)
    ordering = ("flow", "order_index", "id")
    inlines = [FlowMessageInline]
    actions = [activate, deactivate]


@admin.register(FlowMessage)
class FlowMessageAdmin(CompanyScopedAdmin):
    list_display = ("__str__", "subflow", "order_index", "wait_for_response", "wait_for_file", "action", "is_active")
    list_editable = ("order_index", "is_active")
    list_filter = ("is_active", "wait_for_response", "wait_for_file")
    search_fields = ("message_text",)
    ordering = ("subflow", "order_index", "id")
    actions = [activate, deactivate]


@admin.register(FlowPosition)
class FlowPositionAdmin(CompanyScopedAdmin):
    """Read-only: where each conversation stands (the engine writes these)."""

    list_display = (
        "conversation",
        "waiting_for",
        "current_flow_id",
        "current_subflow_id",
        "current_message_id",
        "last_activity_at",
    )
    list_filter = ("waiting_for",)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
