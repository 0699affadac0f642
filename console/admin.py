"""The console chat page, added to the flow templates' admin (it reads flows, conversations and carts).

Flows registers FlowTemplateAdmin; this app, on the top layer, registers it again with the console
chat URL (`admin:flows_flowtemplate_console_chat`, the same address the flows pages link to).
"""

import mimetypes

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from console.chat import console_chat_load, console_chat_send
from console.preview import preview_orders
from flows.admin import FlowTemplateAdmin
from flows.models import FlowTemplate
from tenants.scoping import company_scope

PREVIEW_MAX_TEXT = 4096


class ConsoleChatForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60, "autofocus": True})
    )
    document_name = forms.CharField(
        label=_("Send a file named (optional)"),
        required=False,
        max_length=255,
        help_text=_("Only the name and its type reach the flow, e.g. comprovante.pdf."),
    )

    def document(self) -> dict | None:
        name = (self.cleaned_data.get("document_name") or "").strip()
        if not name:
            return None
        return {"name": name, "mime": mimetypes.guess_type(name)[0] or "application/octet-stream"}


class ConsoleFlowTemplateAdmin(FlowTemplateAdmin):
    def get_urls(self):
        own = [
            path(
                "console-chat/",
                self.admin_site.admin_view(self.console_chat_view),
                name="flows_flowtemplate_console_chat",
            ),
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="flows_flowtemplate_preview",
            ),
        ]
        return own + super().get_urls()

    def builder_extra_context(self, request, template) -> dict:
        """The builder page docks the preview chat (for those who may use the console chat)."""
        if request.company is None or not self.has_change_permission(request, template):
            return {}
        return {"preview_url": reverse("admin:flows_flowtemplate_preview", args=[template.pk])}

    def preview_view(self, request, object_id):
        """The builder's docked chat with this template's draft, through the real pipeline (as the
        console chat): htmx posts a message and gets the panel back, with the graph (current
        subflow highlighted) swapped out of band. Without htmx a post goes back to the builder."""
        template = self._template_for(request, object_id, change=True)
        if request.company is None:
            raise PermissionDenied
        if request.method == "POST":
            chat = console_chat_send(
                company=request.company,
                user=request.user,
                text=(request.POST.get("text") or "")[:PREVIEW_MAX_TEXT],
                reset="reset" in request.POST,
                template_id=template.pk,
            )
            if not request.htmx:
                return HttpResponseRedirect(reverse("admin:flows_flowtemplate_builder", args=[template.pk]))
        else:
            chat = console_chat_load(company=request.company, user=request.user, template_id=template.pk)
        current = (chat.step or {}).get("subflow_id")
        with company_scope(template.company_id):
            context = {
                "original": template,
                "chat": chat,
                "orders": preview_orders(customer=chat.customer),
                "cart_url": _cart_url(chat.cart),
                "preview_url": reverse("admin:flows_flowtemplate_preview", args=[template.pk]),
                "graph_oob": bool(request.htmx),
                **self.graph_context(request, template, current_subflow_id=current),
            }
        return render(request, "admin/flows/flowtemplate/preview_panel.html", context)

    def console_chat_view(self, request):
        """Chat with the company's live flows (their draft) through the console channel and the real
        pipeline: the transcript, the current step, the variables and the open cart."""
        if request.company is None or not self.has_change_permission(request):
            raise PermissionDenied
        form = ConsoleChatForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            chat = console_chat_send(
                company=request.company,
                user=request.user,
                text=form.cleaned_data["text"],
                document=form.document(),
                reset="reset" in request.POST,
            )
            form = ConsoleChatForm()
        else:
            chat = console_chat_load(company=request.company, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "chat": chat,
            "title": _("Console chat"),
        }
        return render(request, "admin/flows/flowtemplate/console_chat.html", context)


def _cart_url(cart: dict | None) -> str:
    if not cart:
        return ""
    try:
        return reverse("admin:carts_cart_change", args=[cart["id"]])
    except NoReverseMatch:
        return ""


admin.site.unregister(FlowTemplate)
admin.site.register(FlowTemplate, ConsoleFlowTemplateAdmin)
