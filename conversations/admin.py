"""Staff pages of the pipeline: channels (QR, masked credentials, inbound URL), conversations,
messages (errors visible), inbound events (ingest lag, replay) and received files."""

import json

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.json_input import UntrustedJsonError, loads_untrusted
from conversations.admin_inbox import InboxAdminMixin, received_file_response
from conversations.channel_admin import ChannelPageAdminMixin
from conversations.models import Channel, Conversation, InboundEvent, Message, ReceivedFile
from conversations.providers import credentials_validate_urls
from conversations.selectors import failed_event_count, ingest_lag_seconds
from conversations.services import inbound_event_replay, message_resend
from integrations.destinations import validate_public_url
from tenants.admin_filters import LinkedParameterFilter
from tenants.admin_mixins import CompanyScopedAdmin, HttpsURLField, scoped_queryset_for
from tenants.scoping import company_scope

RESENDABLE = (Message.Status.FAILED, Message.Status.EXPIRED)


class ChannelForm(forms.ModelForm):
    new_credentials = forms.CharField(
        label=_("new credentials (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('e.g. {"token": "..."}; leave empty to keep the stored credentials.'),
    )

    class Meta:
        model = Channel
        fields = ("provider", "name", "base_url")
        field_classes = {"base_url": HttpsURLField}

    def clean_base_url(self):
        url = self.cleaned_data.get("base_url")
        if url:
            validate_public_url(url)
        return url

    def clean_new_credentials(self):
        raw = self.cleaned_data.get("new_credentials") or ""
        if not raw.strip():
            return ""
        try:
            value = loads_untrusted(raw)
        except UntrustedJsonError as exc:
            raise forms.ValidationError(_("Credentials must be a JSON object.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Credentials must be a JSON object."))
        credentials_validate_urls(value)
        return json.dumps(value)

    def save(self, commit=True):
        if self.cleaned_data.get("new_credentials"):
            self.instance.credentials = self.cleaned_data["new_credentials"]
        return super().save(commit)


@admin.register(Channel)
class ChannelAdmin(ChannelPageAdminMixin, CompanyScopedAdmin):
    form = ChannelForm
    list_display = ("name", "provider", "status", "phone", "last_seen_at", "reconnect_attempts")
    list_filter = ("provider", "status")
    search_fields = ("name", "phone")
    # The QR, the inbound URL, the credentials and the history are in the page's own panel.
    readonly_fields = ("status", "phone", "last_seen_at", "next_check_at")
    fields = ("provider", "name", "base_url", "new_credentials", *readonly_fields)


class MessagedBetweenFilter(LinkedParameterFilter):
    """?messages_since=&messages_until= (ISO datetimes): conversations with a message in [since, until).
    The dashboard's "conversations" figure links here."""

    title = _("messages in the period")
    parameters = ("messages_since", "messages_until")
    lookups = {"messages_since": "created_at__gte", "messages_until": "created_at__lt"}

    def parse(self, name, raw):
        return parse_datetime(raw)

    def describe(self, values):
        return " – ".join(formats.localize(timezone.localtime(value)) for value in values.values())

    def filter(self, request, queryset, values):
        bounds = {self.lookups[name]: value for name, value in values.items()}
        messages = scoped_queryset_for(Message, request).filter(conversation=OuterRef("pk"), **bounds)
        return queryset.filter(Exists(messages))


@admin.register(Conversation)
class ConversationAdmin(InboxAdminMixin, CompanyScopedAdmin):
    list_display = ("customer", "channel_name", "status", "bot_paused", "assigned_to", "last_inbound_at", "chat_link")
    list_filter = (MessagedBetweenFilter, "status", "bot_paused", "channel")
    list_select_related = ("customer", "channel", "assigned_to")
    search_fields = ("customer__name", "customer__phone")
    raw_id_fields = ("customer",)
    readonly_fields = (
        "chat_link", "assigned_to", "assigned_at", "staff_read_at", "last_inbound_at", "last_outbound_at", "created_at",
        "updated_at",
    )  # fmt: skip
    fields = ("channel", "customer", "status", "bot_paused", "variables", *readonly_fields, "recent_messages")
    readonly_fields = (*readonly_fields, "recent_messages")

    @admin.display(description=_("chat"))
    def chat_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:conversations_conversation_chat", args=[obj.pk]),
            _("Open in the inbox"),
        )

    @admin.display(description=_("channel"), ordering="channel__name")
    def channel_name(self, obj):
        return obj.channel.name

    @admin.display(description=_("latest messages"))
    def recent_messages(self, obj):
        if not obj.pk:
            return "-"
        rows = Message.objects.for_company(obj.company_id).filter(conversation=obj).order_by("-created_at")[:30]
        return (
            format_html_join(
                "",
                "<div>{} {} [{}] {} {}</div>",
                (
                    (
                        formats.date_format(timezone.localtime(m.created_at), "SHORT_DATETIME_FORMAT"),
                        m.get_direction_display(),
                        m.get_status_display(),
                        m.text[:120],
                        m.error[:120],
                    )
                    for m in rows
                ),
            )
            or "-"
        )


@admin.register(Message)
class MessageAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "direction", "kind", "short_text", "status", "attempts", "reason", "error")
    list_filter = ("direction", "status", "kind", "channel")
    search_fields = ("text", "provider_message_id")
    readonly_fields = [f.name for f in Message._meta.fields if f.name not in ("id", "company")]
    actions = ["resend"]

    @admin.action(description=_("Resend the selected failed messages"))
    def resend(self, request, queryset):
        count = 0
        for message in queryset.filter(direction=Message.Direction.OUTBOUND, status__in=RESENDABLE).order_by("id"):
            with company_scope(message.company_id), transaction.atomic():
                count += bool(message_resend(message=message, user=request.user))
        self.message_user(request, _("%(count)s messages queued to send again.") % {"count": count}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return obj.text[:60]


@admin.register(InboundEvent)
class InboundEventAdmin(CompanyScopedAdmin):
    list_display = ("received_at", "channel", "status", "reason", "processed_at")
    list_filter = ("status", "channel")
    readonly_fields = ("channel", "headers", "body", "status", "reason", "received_at", "processed_at")
    fields = readonly_fields
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        company = getattr(request, "company", None)
        company_id = company.pk if company else None
        lag = ingest_lag_seconds(company_id)
        failed = failed_event_count(company_id)
        title = _("Inbound events — ingest lag %(lag)s s, %(failed)s failed") % {"lag": round(lag), "failed": failed}
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    @admin.action(description=_("Replay the selected events"))
    def replay(self, request, queryset):
        count = 0
        for event in queryset.select_related("channel"):
            with company_scope(event.company_id):
                inbound_event_replay(event)
            count += 1
        self.message_user(request, _("%(count)s events replayed.") % {"count": count}, messages.SUCCESS)


@admin.register(ReceivedFile)
class ReceivedFileAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "original_name", "content_type", "size", "download_link")
    readonly_fields = (
        "conversation", "message", "download_link", "original_name", "content_type", "size", "sha256",
    )  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        download = path(
            "<int:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="conversations_receivedfile_download",
        )
        return [download, *super().get_urls()]

    @admin.display(description=_("file"))
    def download_link(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:conversations_receivedfile_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name or _("download"))

    def download_view(self, request, object_id):
        """The stored file, to staff of its company: images inline (thumbnails in the inbox), anything
        else as a download, never interpreted by the browser as a page."""
        received = self.get_object(request, str(object_id))
        if received is None or not self.has_view_permission(request, received):
            raise Http404
        return received_file_response(received)
