"""The channel page: the provider's QR refreshing itself while the channel connects, a "Testar /
atualizar" button that asks the provider now, the inbound URL built for the address staff use,
credentials masked as plain text, and the status history in pt-BR and the company's time zone."""

import base64
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.public_url import public_url
from conversations.models import Channel, ChannelStatusChange
from conversations.providers import channel_credentials
from conversations.services.channels import (
    channel_connection_act,
    channel_connection_actions,
    channel_health_check,
)
from integrations.errors import IntegrationError
from integrations.messaging.base import CONNECT, DISCONNECT, RESTART
from integrations.qr import qr_png
from tenants.crypto import mask_secret

QR_REFRESH_SECONDS = 5  # how often the page asks for the QR while connecting
PROVIDER_ASK_SECONDS = 15  # and how often that asks the provider (QR codes expire within a minute)
HISTORY_ROWS = 20
CONNECTION_LABELS = {
    CONNECT: gettext_lazy("Connect"),
    RESTART: gettext_lazy("Restart"),
    DISCONNECT: gettext_lazy("Disconnect"),
}


def qr_data_url(qr_code: str) -> str:
    """The QR as an <img> source: providers often send it rendered already, else it is drawn here."""
    if not qr_code:
        return ""
    if qr_code.startswith("data:image/"):
        return qr_code
    return "data:image/png;base64," + base64.b64encode(qr_png(qr_code, box_size=6)).decode()


def masked_credentials_html(channel: Channel):
    """One line per credential, "name: ••••••1234", never a value (and no JSON escapes)."""
    rows = [(key, mask_secret(str(value))) for key, value in channel_credentials(channel).items()]
    return format_html_join("", '<div class="credential"><code>{}</code>: {}</div>', rows) or "-"


def status_history_html(channel: Channel):
    """The latest status changes: dd/mm/aaaa HH:MM in the company's time zone, statuses in words."""
    zone = zoneinfo.ZoneInfo(channel.company.timezone)
    labels = dict(Channel.Status.choices)
    changes = ChannelStatusChange.objects.for_company(channel.company_id).filter(channel=channel)[:HISTORY_ROWS]
    rows = (
        (
            timezone.localtime(change.created_at, zone).strftime("%d/%m/%Y %H:%M"),
            labels.get(change.from_status, "—") if change.from_status else "—",
            labels.get(change.to_status, change.to_status),
            change.reason,
        )
        for change in changes
    )
    return format_html_join("", "<li><time>{}</time> {} → <strong>{}</strong> <span>{}</span></li>", rows)


class ChannelPageAdminMixin:
    change_form_template = "admin/conversations/channel/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/qr/", view(self.qr_view), name="conversations_channel_qr"),
            path("<int:pk>/refresh/", view(require_POST(self.refresh_view)), name="conversations_channel_refresh"),
            path(
                "<int:pk>/connection/",
                view(require_POST(self.connection_view)),
                name="conversations_channel_connection",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        channel = self.get_object(request, object_id)
        if channel is not None:
            extra_context = {
                **(extra_context or {}),
                "inbound_url": public_url(reverse("webhook", args=[channel.inbound_key]), request),
                "qr_src": qr_data_url(channel.qr_code),
                "qr_url": reverse("admin:conversations_channel_qr", args=[channel.pk]),
                "refresh_url": reverse("admin:conversations_channel_refresh", args=[channel.pk]),
                "qr_refresh_seconds": QR_REFRESH_SECONDS,
                "can_refresh": self.has_change_permission(request, channel),
                "history": status_history_html(channel),
                "credentials": masked_credentials_html(channel),
                "connection_actions": [
                    (
                        action,
                        CONNECTION_LABELS[action],
                        reverse("admin:conversations_channel_connection", args=[channel.pk]),
                    )
                    for action in channel_connection_actions(channel)
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def qr_view(self, request, pk):
        """{status, status_label, phone, qr}: while connecting, asks the provider at most every
        PROVIDER_ASK_SECONDS for a fresh QR (the page polls this)."""
        channel = self._channel(request, pk)
        stale = channel.last_seen_at is None or timezone.now() - channel.last_seen_at > timedelta(
            seconds=PROVIDER_ASK_SECONDS
        )
        if channel.status == Channel.Status.CONNECTING and stale and self.has_change_permission(request, channel):
            channel_health_check(channel)
        return JsonResponse(
            {
                "status": channel.status,
                "status_label": channel.get_status_display(),
                "phone": channel.phone,
                "qr": qr_data_url(channel.qr_code),
            }
        )

    def refresh_view(self, request, pk):
        """ "Testar / atualizar": ask the provider now (a channel not connected starts a new session
        and gets a new QR), record what it says."""
        channel = self._channel(request, pk)
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        status = channel_health_check(channel)
        label = dict(Channel.Status.choices).get(status, status)
        if status == Channel.Status.CONNECTED:
            messages.success(
                request, _("The provider answered: connected (%(phone)s).") % {"phone": channel.phone or "-"}
            )
        else:
            messages.warning(request, _("The provider answered: %(status)s.") % {"status": label})
        return HttpResponseRedirect(reverse("admin:conversations_channel_change", args=[channel.pk]))

    def connection_view(self, request, pk):
        """POST action=connect|restart|disconnect, where the provider supports it; says what happened."""
        channel = self._channel(request, pk)
        action = request.POST.get("action", "")
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        if action not in channel_connection_actions(channel):
            messages.error(request, _("This provider cannot do that."))
            return HttpResponseRedirect(reverse("admin:conversations_channel_change", args=[channel.pk]))
        try:
            status = channel_connection_act(channel, action)
        except IntegrationError as exc:
            messages.error(request, _("The provider refused: %(error)s") % {"error": exc})
        else:
            label = dict(Channel.Status.choices).get(status, status)
            messages.success(request, _("Done. The channel is now: %(status)s.") % {"status": label})
        return HttpResponseRedirect(reverse("admin:conversations_channel_change", args=[channel.pk]))

    def _channel(self, request, pk) -> Channel:
        channel = self.get_object(request, str(pk))
        if channel is None:
            raise Http404
        return channel
