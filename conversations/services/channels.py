"""Channel status and its transitions, its history, and the periodic health check with backoff.

Transitions (SPEC §4): created → connecting; authenticated → connecting; ready → connected (the
phone number is captured); auth failure or disconnect → disconnected. Every change writes a
ChannelStatusChange row.
"""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.lock_objects import channel_qs_select_for_update
from conversations.models import Channel, ChannelStatusChange
from conversations.providers import credentials_for, get_provider
from customers.phones import normalize_phone
from integrations.errors import IntegrationError
from integrations.messaging.base import CONNECT, DISCONNECT, RESTART
from tenants.sweeps import sweep_companies

logger = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 60 * 60


@transaction.atomic
def channel_set_status(
    channel: Channel, status: str, *, reason: str = "", phone: str | None = None, qr_code: str | None = None
) -> bool:
    """Apply a status report to the channel; record a history row when the status changes.

    `connected` captures the phone (E.164 when it parses) and clears the QR and the reconnect
    counter; `connecting` stores the latest QR when one is given. Returns True when the status changed.
    """
    locked = channel_qs_select_for_update(company=channel.company_id).get(pk=channel.pk)
    previous = locked.status
    now = timezone.now()
    locked.last_seen_at = now
    if status == Channel.Status.CONNECTED:
        if phone:
            locked.phone = normalize_phone(phone) or phone[:20]
        locked.qr_code = ""
        locked.reconnect_attempts = 0
    elif status == Channel.Status.CONNECTING and qr_code:
        locked.qr_code = qr_code
    locked.status = status
    locked.save(update_fields=["status", "phone", "qr_code", "reconnect_attempts", "last_seen_at"])
    changed = previous != status
    if changed:
        ChannelStatusChange.objects.create(
            company_id=locked.company_id, channel=locked, from_status=previous, to_status=status, reason=reason[:255]
        )
        logger.info("channel_status_changed", channel_id=locked.pk, from_status=previous, to_status=status)
    for name in ("status", "phone", "qr_code", "reconnect_attempts", "last_seen_at"):
        setattr(channel, name, getattr(locked, name))
    return changed


def channel_health_check(channel: Channel) -> str:
    """Ask the provider how the channel is, apply it, and schedule the next check.

    Connected channels are checked every CHANNEL_HEALTH_INTERVAL_SECONDS. A channel that is not
    connected (or whose provider cannot be reached) is asked again — which makes providers start a
    new session and hand out a new QR — with exponential backoff: interval × 2^attempts, capped at 1 h.
    Returns the resulting status.
    """
    interval = settings.CHANNEL_HEALTH_INTERVAL_SECONDS
    try:
        report = get_provider(channel.provider).fetch_status(credentials_for(channel))
    except IntegrationError as exc:
        channel_set_status(channel, Channel.Status.DISCONNECTED, reason=f"health check: {exc}"[:255])
        report = None
    else:
        channel_set_status(
            channel,
            str(report.status),
            reason=report.detail or "health check",
            phone=report.phone,
            qr_code=report.qr_code,
        )
    attempts = 0 if channel.status == Channel.Status.CONNECTED else channel.reconnect_attempts + 1
    delay = interval if attempts == 0 else min(interval * 2**attempts, MAX_BACKOFF_SECONDS)
    Channel.objects.for_company(channel.company_id).filter(pk=channel.pk).update(
        reconnect_attempts=attempts, next_check_at=timezone.now() + timedelta(seconds=delay)
    )
    channel.reconnect_attempts = attempts
    return channel.status


def channels_due_for_check(*, limit: int = 200) -> list[tuple[int, int]]:
    """Claim (company_id, channel_id) of the channels whose next check is due, never-checked ones
    first, then the longest due, at most `limit` per company. A sweep as `tenants.sweeps`
    describes: a claimed channel's next check moves one interval ahead in the claim's transaction,
    so neither the next beat nor a concurrent sweep hands it out again while its task waits."""
    now = timezone.now()
    claimed = []
    for company in sweep_companies():
        with transaction.atomic():
            due = list(
                channel_qs_select_for_update(skip_locked=True)
                .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
                .order_by(F("next_check_at").asc(nulls_first=True))
                .values_list("pk", flat=True)[:limit]
            )
            Channel.objects.filter(pk__in=due).update(
                next_check_at=now + timedelta(seconds=settings.CHANNEL_HEALTH_INTERVAL_SECONDS)
            )
        claimed += [(company.pk, channel_id) for channel_id in due]
    return claimed


def channel_connection_actions(channel: Channel) -> list[str]:
    """The connection actions the channel's provider supports (connect, restart, disconnect)."""
    supported = get_provider(channel.provider).connection_actions
    return [action for action in (CONNECT, RESTART, DISCONNECT) if action in supported]


def channel_connection_act(channel: Channel, action: str) -> str:
    """Ask the provider to connect, restart or disconnect the channel, then record how it is (a
    connect or restart asks for the status and the QR right away). Returns the resulting status;
    ValueError for an action the provider does not support, IntegrationError when it refuses."""
    if action not in channel_connection_actions(channel):
        raise ValueError(action)
    get_provider(channel.provider).connection_action(credentials_for(channel), action)
    if action == DISCONNECT:
        channel_set_status(channel, Channel.Status.DISCONNECTED, reason=_("disconnected by staff"))
        return channel.status
    return channel_health_check(channel)
