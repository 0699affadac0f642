"""The console chat page, added to the flow templates' admin (it reads flows, conversations and carts).

Flows registers FlowTemplateAdmin; this app, on the top layer, registers it again with the console
chat URL (`admin:flows_flowtemplate_console_chat`, the same address the flows pages link to).
"""

import mimetypes

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from console.chat import console_chat_load, console_chat_send
from flows.admin import FlowTemplateAdmin
from flows.models import FlowTemplate


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
            )
        ]
        return own + super().get_urls()

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


admin.site.unregister(FlowTemplate)
admin.site.register(FlowTemplate, ConsoleFlowTemplateAdmin)
