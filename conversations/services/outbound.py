"""Outbound messages: the one choke point, the per-conversation send, receipts, and the stuck sweep.

Each outgoing message is a Message row (the outbox) written in the caller's transaction; the send
task goes out after commit, and `outbound_sweep` re-sends what a lost or refused publish (broker
down: logged, never raised into the caller whose transaction already committed) left in `queued`.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.lock_objects import conversation_qs_select_for_update, message_qs_select_for_update
from conversations.models import Channel, ChannelStatusChange, Conversation, Message
from conversations.providers import MessageKind, credentials_for, get_provider
from conversations.services.controls import outbound_block_reason
from integrations.errors import PermanentError, RetryableError
from tenants.sweeps import sweep_companies
from tenants.tasks import task_publish_on_commit

logger = structlog.get_logger(__name__)

SEND_BATCH = 20  # messages one send run drains from a conversation, oldest first
SWEEP_BATCH = 500  # rows one sweep claims per company; it re-queues itself when a batch was full
STUCK_AFTER = timedelta(seconds=60)  # a queued row due this long ago lost its task
# Delivery status precedence: a receipt only ever moves a message forward.
_FORWARD = {
    Message.Status.SENT: (Message.Status.QUEUED,),
    Message.Status.DELIVERED: (Message.Status.QUEUED, Message.Status.SENT),
    Message.Status.READ: (Message.Status.QUEUED, Message.Status.SENT, Message.Status.DELIVERED),
    Message.Status.FAILED: (Message.Status.QUEUED, Message.Status.SENT),
}
_TIMESTAMP_FIELD = {
    Message.Status.SENT: "sent_at",
    Message.Status.DELIVERED: "delivered_at",
    Message.Status.READ: "read_at",
}


def message_queue_outbound(
    *,
    conversation: Conversation,
    text: str = "",
    kind: str = Message.Kind.TEXT,
    media_url: str = "",
    media_mime: str = "",
    file_name: str = "",
    delay_seconds: int = 0,
    automatic: bool = True,
    notice: bool = False,
    sent_by=None,
    turn_reply: bool = False,
) -> Message | None:
    """Queue one message to the conversation's customer: THE way anything is sent to a customer.

    For `automatic` messages (everything but a human agent's own reply) opt-out, bot_enabled,
    bot_status, human handoff and test mode are enforced here: a blocked message is not written
    and None is returned. The row is written in the caller's transaction; the send task is
    enqueued after commit (at `send_after` = now + delay_seconds). `notice=True` marks the
    maintenance notice, the one automatic message allowed during maintenance; `turn_reply=True`
    the bot's answer to the turn being processed (see outbound_block_reason). `sent_by`: the staff
    member who wrote a human reply (`automatic=False`; the inbox checks its own rules first).
    """
    if automatic:
        reason = outbound_block_reason(conversation, notice=notice, turn_reply=turn_reply)
        if reason is not None:
            logger.info("outbound_blocked", conversation_id=conversation.pk, reason=reason)
            return None
    now = timezone.now()
    message = Message.objects.for_company(conversation.company_id).create(
        company_id=conversation.company_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        text=text,
        media_url=media_url,
        media_mime=media_mime,
        file_name=file_name,
        status=Message.Status.QUEUED,
        send_after=now + timedelta(seconds=max(0, delay_seconds)),
        sent_by=sent_by,
    )
    _enqueue_send(message.company_id, message.pk, delay_seconds)
    return message


def _enqueue_send(company_id: int, message_id: int, delay_seconds: float = 0) -> None:
    from conversations.tasks import message_send_task  # noqa: PLC0415 - tasks import these services

    if delay_seconds > settings.CELERY_MAX_COUNTDOWN_SECONDS:
        return  # a broker is not a database: the sweep sends it when it falls due
    # A refused publish leaves the row `queued`: outbound_sweep sends it.
    task_publish_on_commit(
        message_send_task, countdown=max(0, delay_seconds), company_id=company_id, message_id=message_id
    )


@dataclass
class SendRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    retry_message_id: int | None = None
    retry_error: str = ""
    waiting: str = ""  # why nothing could be sent now (channel down, not due yet)


def conversation_send_due(*, conversation_id: int) -> SendRun:
    """Send the conversation's due queued messages in order, one sender at a time.

    The conversation row is locked for the run, so two workers never send the same conversation
    concurrently and the customer sees messages in the order they were queued. A message is sent
    only while it is still `queued` (idempotent). A PermanentError fails that message and the run
    continues; a RetryableError stops the run (later messages wait behind it) and is reported in
    `retry_*` for the task to retry; after PROVIDER_SEND_RETRIES + 1 attempts the message fails.
    """
    run = SendRun()
    now = timezone.now()
    with transaction.atomic():
        conversation = conversation_qs_select_for_update().select_related("channel", "customer").get(pk=conversation_id)
        channel = conversation.channel
        due = list(
            conversation.messages.filter(
                direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED, send_after__lte=now
            ).order_by("send_after", "id")[:SEND_BATCH]
        )
        last_down = _last_disconnect(channel)
        for message in due:
            if _should_expire(message, channel, last_down, now):
                _expire(message)
                run.expired.append(message.pk)
                continue
            if channel.status == Channel.Status.DISCONNECTED:
                run.waiting = "channel_disconnected"
                break
            outcome = _send_one(message, conversation, channel)
            if outcome == "sent":
                run.sent.append(message.pk)
            elif outcome == "failed":
                run.failed.append(message.pk)
            else:
                run.retry_message_id, run.retry_error = message.pk, message.error
                break
        if run.sent:
            conversation.last_outbound_at = now
            conversation.save(update_fields=["last_outbound_at", "updated_at"])
    return run


def _send_one(message: Message, conversation: Conversation, channel: Channel) -> str:
    max_attempts = settings.PROVIDER_SEND_RETRIES + 1
    message.attempts += 1
    try:
        result = _provider_send(message, conversation, channel)
    except PermanentError as exc:
        _fail(message, str(exc))
        return "failed"
    except RetryableError as exc:
        if message.attempts >= max_attempts:
            _fail(message, str(exc))
            return "failed"
        message.error = str(exc)[:2000]
        message.save(update_fields=["attempts", "error"])
        return "retry"
    message.status = Message.Status.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.provider_message_id = (result.provider_message_id or "")[:200]
    try:
        with transaction.atomic():
            message.save(update_fields=["status", "sent_at", "error", "attempts", "provider_message_id"])
    except IntegrityError:  # the provider reused an id: keep the send, drop the id
        message.provider_message_id = ""
        message.save(update_fields=["status", "sent_at", "error", "attempts", "provider_message_id"])
    logger.info("message_sent", message_id=message.pk, attempts=message.attempts)
    return "sent"


def _provider_send(message: Message, conversation: Conversation, channel: Channel):
    provider = get_provider(channel.provider)
    credentials = credentials_for(channel)
    to = reply_target(conversation)
    if not to:
        raise PermanentError("the customer has no phone or provider contact id to send to")
    if message.kind == Message.Kind.DOCUMENT and message.media_url:
        return provider.send_document(
            credentials, to, message.media_url, message.file_name or "document", message.media_mime, message.text
        )
    if message.kind == Message.Kind.IMAGE and message.media_url:
        return provider.send_image(credentials, to, message.media_url, message.media_mime or "image/jpeg", message.text)
    return provider.send_text(credentials, to, message.text)


def reply_target(conversation: Conversation) -> str:
    """Where replies go: the id the provider gave for this customer, else the phone's digits."""
    customer = conversation.customer
    contact_id = (customer.provider_contact_ids or {}).get(conversation.channel.provider)
    if contact_id:
        return str(contact_id)
    return customer.phone.lstrip("+")


def _fail(message: Message, error: str) -> None:
    message.status = Message.Status.FAILED
    message.error = error[:2000]
    message.save(update_fields=["status", "error", "attempts"])
    logger.warning("message_failed", message_id=message.pk, attempts=message.attempts)


def message_fail(*, message_id: int, error: str) -> bool:
    """Give up on a still-queued message (the task ran out of retries). True when it changed."""
    return bool(
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            status=Message.Status.FAILED, error=error[:2000]
        )
    )


def _last_disconnect(channel: Channel):
    change = (
        ChannelStatusChange.objects.for_company(channel.company_id)
        .filter(channel=channel, to_status=Channel.Status.DISCONNECTED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return change


def _should_expire(message: Message, channel: Channel, last_down, now) -> bool:
    """Old and the channel was down meanwhile: the flow decides anew instead of sending it blindly."""
    too_old = message.send_after < now - timedelta(seconds=settings.OUTBOUND_EXPIRE_AFTER_SECONDS)
    if not too_old:
        return False
    return channel.status != Channel.Status.CONNECTED or (last_down is not None and last_down > message.created_at)


def _expire(message: Message) -> None:
    message.status = Message.Status.EXPIRED
    message.reason = "waited too long while the channel was disconnected"
    message.save(update_fields=["status", "reason"])
    logger.info("message_expired", message_id=message.pk)


def message_status_apply(*, channel: Channel, provider_message_id: str, status: str, error: str = "") -> bool:
    """Apply a delivery receipt; never moves a message backwards (a late `delivered` after `read`
    changes nothing). One conditional UPDATE, so concurrent receipts cannot race. True when applied."""
    allowed_from = _FORWARD.get(status)
    if not provider_message_id or allowed_from is None:
        return False
    changes = {"status": status}
    if status in _TIMESTAMP_FIELD:
        changes[_TIMESTAMP_FIELD[status]] = timezone.now()
    if status == Message.Status.FAILED:
        changes["error"] = (error or "failed (provider receipt)")[:2000]
    updated = (
        Message.objects.for_company(channel.company_id)
        .filter(
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            provider_message_id=provider_message_id,
            status__in=allowed_from,
        )
        .update(**changes)
    )
    return bool(updated)


def outbound_sweep(*, batch: int = SWEEP_BATCH) -> dict:
    """Re-send queued messages whose task was lost, expire those that waited out a disconnection.

    A sweep as `tenants.sweeps` describes: per company, claims at most `batch` due rows with FOR
    UPDATE SKIP LOCKED (two sweeps never take the same row; the partial index on queued rows keeps
    the cost on due rows, not the table) and enqueues one send per conversation after commit.
    Returns the counts, and whether some company's batch was full.
    """
    totals = {"claimed": 0, "resent": 0, "expired": 0, "full": False}
    for _company in sweep_companies():
        swept = _outbound_sweep_company(now=timezone.now(), batch=batch)
        for key in ("claimed", "resent", "expired"):
            totals[key] += swept[key]
        totals["full"] = totals["full"] or swept["claimed"] == batch
    return totals


def _outbound_sweep_company(*, now, batch: int) -> dict:
    resend: dict[int, tuple[int, int]] = {}
    expired = 0
    with transaction.atomic():
        rows = list(
            message_qs_select_for_update(skip_locked=True)
            .select_related("channel")
            .filter(status=Message.Status.QUEUED, send_after__lte=now - STUCK_AFTER)
            .order_by("send_after")[:batch]
        )
        last_down = {}
        for message in rows:
            channel = message.channel
            if channel.pk not in last_down:
                last_down[channel.pk] = _last_disconnect(channel)
            if _should_expire(message, channel, last_down[channel.pk], now):
                _expire(message)
                expired += 1
            elif channel.status != Channel.Status.DISCONNECTED:
                resend.setdefault(message.conversation_id, (message.company_id, message.pk))
        for company_id, message_id in resend.values():
            _enqueue_send(company_id, message_id)
    return {"claimed": len(rows), "resent": len(resend), "expired": expired}


def message_kind_of(kind: str) -> str:
    """Our Message.Kind for a provider MessageKind (stickers and locations are `other`)."""
    return kind if kind in Message.Kind.values else Message.Kind.OTHER


__all__ = [
    "MessageKind",
    "conversation_send_due",
    "message_fail",
    "message_queue_outbound",
    "message_status_apply",
    "outbound_sweep",
    "reply_target",
]
