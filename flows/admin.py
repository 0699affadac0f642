"""Staff pages for flows: templates -> flows -> subflows -> messages, each editable in place on its
parent's page, plus export/import/duplicate and a simulator."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib import messages as messages_module
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
from flows.analytics import template_node_analytics
from flows.checker import check_template
from flows.diagram import flows_diagram_load
from flows.forms import FlowFormSet, MessageFormSet, SubflowFormSet, action_choices, variable_choices
from flows.graph import graph_svg, template_graph_load
from flows.models import Flow, FlowMessage, FlowPosition, FlowTemplate, FlowVersion, Subflow
from flows.services import flow_simulate, flow_template_export, flow_template_import, flow_template_publish
from flows.services.builder import builder_save
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
            path(
                "<int:object_id>/builder/",
                self.admin_site.admin_view(self.builder_view),
                name="flows_flowtemplate_builder",
            ),
            path(
                "<int:object_id>/graph/",
                self.admin_site.admin_view(self.graph_view),
                name="flows_flowtemplate_graph",
            ),
        ]
        return own + super().get_urls()

    def response_add(self, request, obj, post_url_continue=None):
        """A new template opens in the builder, where its flows are made."""
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, _("Template created: build its flow here."))
        return HttpResponseRedirect(reverse("admin:flows_flowtemplate_builder", args=[obj.pk]))

    def _template_for(self, request, object_id, *, change=False) -> FlowTemplate:
        template = self.get_object(request, str(object_id))
        if template is None:
            raise Http404
        allowed = self.has_change_permission if change else self.has_view_permission
        if not allowed(request, template):
            raise PermissionDenied
        return template

    def builder_extra_context(self, request, template) -> dict:
        """What apps above flows add to the builder page (the console's docked preview)."""
        return {}

    def _graph_args(self, request, template) -> dict:
        """?version=<n> (a published version; default the draft) and ?compare=0 (no diff)."""
        raw = request.GET.get("version") or ""
        version = int(raw) if raw.isdigit() and 0 < int(raw) <= template.published_version else None
        compare = None
        if version is None and template.published_version and request.GET.get("compare") != "0":
            compare = template.published_version
        current = request.GET.get("current") or ""
        return {
            "version": version,
            "compare_version": compare,
            "current_subflow_id": int(current) if current.isdigit() else None,
        }

    def graph_context(self, request, template, **overrides) -> dict:
        """The graph panel's context (inside the template's company scope)."""
        args = {**self._graph_args(request, template), **overrides}
        analytics = None
        if args["version"] is not None:
            # A published version: how many conversations reached each subflow and stopped there.
            analytics = template_node_analytics(template_id=template.pk, version=args["version"])
            args["figures"] = {
                n["subflow_id"]: {"reached": n["reached"], "stopped": n["stopped"]} for n in analytics["nodes"]
            }
        graph = template_graph_load(template_id=template.pk, **args)
        builder = reverse("admin:flows_flowtemplate_builder", args=[template.pk])
        return {
            "graph": graph,
            "graph_svg": graph_svg(graph, href=lambda node_id: f"{builder}#subflow-{node_id}"),
            "graph_version": args["version"],
            "graph_compare": args["compare_version"],
            "graph_analytics": analytics,
            "graph_versions": list(
                FlowVersion.objects.filter(template=template).order_by("-number").values_list("number", flat=True)
            ),
        }

    def graph_view(self, request, object_id):
        """The graph panel alone (htmx swaps it when the version shown changes)."""
        template = self._template_for(request, object_id)
        with company_scope(template.company_id):
            context = {"original": template, **self.graph_context(request, template)}
        return render(request, "admin/flows/flowtemplate/graph_panel.html", context)

    def builder_view(self, request, object_id):
        """One page to build a template: its flows, subflows and messages as reorderable formsets,
        checked on save (a field issue refuses the save and shows on that field), the graph beside
        them, and the preview the console app docks there."""
        template = self._template_for(request, object_id)
        can_change = self.has_change_permission(request, template)
        if request.method == "POST" and not can_change:
            # Read-only roles see the page again, changed by nothing (as the settings pages answer).
            self.message_user(request, _("Your role can read this flow but not change it."), messages_module.ERROR)
        with company_scope(template.company_id):
            data = request.POST if request.method == "POST" and can_change else None
            flows, subflows, messages = _builder_formsets(template, data)
            result = None
            if data is not None and all(fs.is_valid() for fs in (flows, subflows, messages)):
                result = builder_save(template=template, flows=flows, subflows=subflows, messages=messages)
                if result.saved:
                    self.message_user(request, _("Draft saved."))
                    if result.issues:
                        self.message_user(
                            request,
                            _("%(n)d problem(s) left: the draft cannot be published until they are fixed.")
                            % {"n": len(result.issues)},
                            messages_module.WARNING,
                        )
                    return HttpResponseRedirect(request.path)
                _attach_errors(result.refusing, subflows, messages)
                for formset in (flows, subflows, messages):
                    for form in formset.extra_forms:
                        form.instance.pk = None  # its row was rolled back: it is still a new one
                if result.error:
                    self.message_user(request, result.error, messages_module.ERROR)
                else:
                    self.message_user(request, _("Not saved: fix the fields marked below."), messages_module.ERROR)
            elif data is not None:
                self.message_user(request, _("Not saved: fix the fields marked below."), messages_module.ERROR)
            issues = result.issues if result is not None else check_template(template_id=template.pk)
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": template,
                "title": _("Build %(name)s") % {"name": template.name},
                "can_change": can_change,
                "flows_formset": flows,
                "subflows_formset": subflows,
                "messages_formset": messages,
                "groups": _builder_groups(flows, subflows, messages, issues),
                "issues": issues,
                "actions_available": action_choices(),
                "variables_available": variable_choices(template.pk),
                **self.graph_context(request, template),
                **self.builder_extra_context(request, template),
            }
        return render(request, "admin/flows/flowtemplate/builder.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        template = self.get_object(request, object_id) if object_id else None
        if template is not None:
            with company_scope(template.company_id):
                flow_ids = list(Flow.objects.filter(template=template).values_list("pk", flat=True))
                extra_context["diagram"] = flows_diagram_load(flow_ids=flow_ids)
                extra_context.update(self.graph_context(request, template))
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def publish_view(self, request, object_id):
        template = self._template_for(request, object_id, change=True)
        try:
            with company_scope(template.company_id):
                version = flow_template_publish(template=template, published_by=request.user.get_username())
        except DrfValidationError as exc:
            lines = [str(line) for lines in exc.detail.values() for line in lines]
            self.message_user(request, _("Not published: %(detail)s") % {"detail": " · ".join(lines)}, messages.ERROR)
        else:
            self.message_user(request, _("Published as version %(number)d.") % {"number": version.number})
        if request.POST.get("next") == "builder":
            return HttpResponseRedirect(reverse("admin:flows_flowtemplate_builder", args=[template.pk]))
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


def _builder_formsets(template: FlowTemplate, data):
    """The builder's three formsets over the template's rows (inside its company scope); each
    subflow gets a blank message form, and the template a blank flow and a blank subflow."""
    flows = Flow.objects.filter(template=template).order_by("order_index", "id")
    subflows = list(
        Subflow.objects.filter(flow__template=template)
        .select_related("flow")
        .order_by("flow__order_index", "flow_id", "order_index", "id")
    )
    messages = FlowMessage.objects.filter(subflow__flow__template=template).order_by("order_index", "id")
    last_order = {}
    for subflow_id, order in messages.values_list("subflow_id", "order_index"):
        last_order[subflow_id] = max(order, last_order.get(subflow_id, order))
    first_flow = next(iter(flows), None)
    choices = {
        "flows": [(f.pk, f.name) for f in flows],
        "subflows": [(s.pk, f"{s.flow.name} › {s.name}") for s in subflows],
    }
    flow_set = FlowFormSet(
        data, queryset=flows, prefix="flows", initial=[{"order_index": len(flows) + 1, "is_default": not flows}]
    )
    subflow_set = SubflowFormSet(
        data,
        queryset=Subflow.objects.filter(pk__in=[s.pk for s in subflows]).order_by(
            "flow__order_index", "flow_id", "order_index", "id"
        ),
        prefix="subflows",
        template=template,
        form_kwargs={"choices": choices},
        initial=[{"flow": first_flow.pk if first_flow else None, "order_index": len(subflows) + 1}],
    )
    initial = [{"subflow": s.pk, "order_index": last_order.get(s.pk, 0) + 1} for s in subflows]
    message_set = MessageFormSet(
        data, queryset=messages, prefix="messages", template=template, initial=initial, form_kwargs={"choices": choices}
    )
    message_set.extra = len(initial)
    if first_flow is None:
        subflow_set.extra = 0  # a subflow needs a flow: the page says to make one first
    return flow_set, subflow_set, message_set


def _form_subflow_id(form):
    return form.instance.subflow_id if form.instance.pk else form.initial.get("subflow")


def _builder_groups(flows, subflows, messages, issues) -> list[dict]:
    """The page's layout: each flow with its subflow cards, each card with its message forms (the
    blank one last) and the checker's issues of the card and of each message."""
    by_node: dict[tuple, list] = {}
    for issue in issues:
        by_node.setdefault((issue.node_type, issue.node_id), []).append(issue)
    message_rows: dict = {}
    for form in messages.forms:
        message_rows.setdefault(_form_subflow_id(form), []).append(
            {
                "form": form,
                "id": form.instance.pk,
                "issues": by_node.get(("message", form.instance.pk), []) if form.instance.pk else [],
            }
        )
    groups = []
    for flow_form in flows.forms:
        if flow_form.instance.pk is None:
            continue
        cards = []
        for form in subflows.forms:
            if form.instance.pk is None or form.instance.flow_id != flow_form.instance.pk:
                continue
            cards.append(
                {
                    "form": form,
                    "id": form.instance.pk,
                    "issues": by_node.get(("subflow", form.instance.pk), []),
                    "messages": message_rows.get(form.instance.pk, []),
                }
            )
        groups.append({"form": flow_form, "flow": flow_form.instance, "subflows": cards})
    return groups


def _attach_errors(issues, subflows, messages) -> None:
    """Put each refusing issue on its field of the bound form of its row."""
    forms_by_node = {("subflow", f.instance.pk): f for f in subflows.forms if f.instance.pk}
    forms_by_node |= {("message", f.instance.pk): f for f in messages.forms if f.instance.pk}
    for issue in issues:
        form = forms_by_node.get((issue.node_type, issue.node_id))
        if form is not None and issue.field in form.fields:
            form.add_error(issue.field, issue.message)


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
