"""Outbound messages: the one choke point, receipts, and the stuck sweep (sending itself:
`conversations.services.delivery`, claim-call-record with per-message retries).

Each outgoing message is a Message row (the outbox) written in the caller's transaction; the send
task goes out after commit, and `outbound_sweep` re-sends what a lost or refused publish (broker
down: logged, never raised into the caller whose transaction already committed) left in `queued`,
and what a dead worker left in `sending`.
"""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.lock_objects import message_qs_select_for_update
from conversations.models import Channel, Conversation, Message
from conversations.providers import MessageKind
from conversations.services.controls import outbound_block_reason
from conversations.services.delivery import (
    SendRun,
    conversation_send_due,
    expire,
    last_disconnect,
    message_resend,
    reply_target,
    should_expire,
)
from tenants.sweeps import sweep_companies
from tenants.tasks import task_publish

logger = structlog.get_logger(__name__)

SWEEP_BATCH = 500  # rows one sweep claims per company; it re-queues itself when a batch was full
STUCK_AFTER = timedelta(seconds=60)  # a queued row due this long ago lost its task
# Delivery status precedence: a receipt only ever moves a message forward.
_FORWARD = {
    # `sending`: the receipt can beat the sender's own record of the provider's answer.
    Message.Status.SENT: (Message.Status.QUEUED, Message.Status.SENDING),
    Message.Status.DELIVERED: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT),
    Message.Status.READ: (
        Message.Status.QUEUED,
        Message.Status.SENDING,
        Message.Status.SENT,
        Message.Status.DELIVERED,
    ),
    Message.Status.FAILED: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT),
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
    enqueue_send(message.company_id, message.pk, delay_seconds, conversation_id=conversation.pk)
    return message


def messages_queue_outbound(*, conversation: Conversation, intents, turn_reply: bool = False) -> list[Message]:
    """`message_queue_outbound` for the bot's messages of one turn (`intents`: objects with text,
    kind, media_url, media_mime, file_name, delay_seconds), in order: the rules checked once (the
    turn changes nothing they read between two of its messages) and one INSERT for all the rows.
    [] when the rules block them."""
    intents = list(intents)
    if not intents:
        return []
    reason = outbound_block_reason(conversation, turn_reply=turn_reply)
    if reason is not None:
        logger.info("outbound_blocked", conversation_id=conversation.pk, reason=reason, messages=len(intents))
        return []
    now = timezone.now()
    messages = Message.objects.for_company(conversation.company_id).bulk_create(
        Message(
            company_id=conversation.company_id,
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Message.Direction.OUTBOUND,
            kind=intent.kind,
            text=intent.text,
            media_url=intent.media_url,
            media_mime=intent.media_mime,
            file_name=intent.file_name,
            status=Message.Status.QUEUED,
            send_after=now + timedelta(seconds=max(0, intent.delay_seconds)),
            created_at=now,
        )
        for intent in intents
    )
    for message, intent in zip(messages, intents, strict=True):
        enqueue_send(message.company_id, message.pk, intent.delay_seconds, conversation_id=conversation.pk)
    return messages


class _SendPublish:
    """The after-commit publish of a conversation's send task. It stays findable in the connection's
    pending on-commit callbacks until the transaction ends (a rolled-back savepoint drops it), so
    the messages of one transaction due at the same moment share one task."""

    def __init__(self, company_id: int, message_id: int, delay_seconds: float, conversation_id: int | None):
        self.company_id, self.message_id, self.countdown = company_id, message_id, max(0, delay_seconds)
        self.shared_by = (conversation_id, delay_seconds) if conversation_id is not None else None
        self.conversation_id = conversation_id

    def __call__(self) -> None:
        from conversations.tasks import message_send_task  # noqa: PLC0415 - tasks import these services

        ids = {"conversation_id": self.conversation_id} if self.conversation_id is not None else {}
        # A refused publish leaves the row `queued`: outbound_sweep sends it.
        task_publish(
            message_send_task, countdown=self.countdown, company_id=self.company_id, message_id=self.message_id, **ids
        )


def enqueue_send(company_id: int, message_id: int, delay_seconds: float = 0, *, conversation_id=None) -> None:
    """Publish the send task of `message_id` after commit (the sweep covers a refused publish).

    With `conversation_id`, a message queued in the same transaction as an earlier one of its
    conversation with the same delay publishes nothing: that task runs after both rows are due and
    sends every due message of the conversation in order (a greeting of four messages costs two
    tasks, not four)."""
    if delay_seconds > settings.CELERY_MAX_COUNTDOWN_SECONDS:
        return  # a broker is not a database: the sweep sends it when it falls due
    publish = _SendPublish(company_id, message_id, delay_seconds, conversation_id)
    connection = transaction.get_connection()
    if publish.shared_by is not None and connection.in_atomic_block:
        # Only a publish registered at this same level of savepoints: one whose block was rolled
        # back is gone from the list, and one of an earlier, sibling block is not this transaction's.
        level = set(connection.savepoint_ids)
        pending = (getattr(cb, "shared_by", None) for ids, cb, *_robust in connection.run_on_commit if ids == level)
        if publish.shared_by in pending:
            return
    transaction.on_commit(publish)


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
        # Queued and due long ago (a retry counts from its retry_at): its task was lost.
        rows = list(
            message_qs_select_for_update(skip_locked=True)
            .select_related("channel")
            .filter(status=Message.Status.QUEUED, send_after__lte=now - STUCK_AFTER)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now - STUCK_AFTER))
            .order_by("send_after")[:batch]
        )
        # Claimed long ago and never recorded: the worker died mid-call. The send task claims it
        # again (same idempotency key), since it has outlived OUTBOUND_SENDING_STUCK_SECONDS.
        lost = list(
            message_qs_select_for_update(skip_locked=True)
            .filter(
                status=Message.Status.SENDING,
                attempt_started_at__lt=now - timedelta(seconds=settings.OUTBOUND_SENDING_STUCK_SECONDS),
            )
            .order_by("attempt_started_at")[:batch]
        )
        last_down = {}
        for message in rows:
            channel = message.channel
            if channel.pk not in last_down:
                last_down[channel.pk] = last_disconnect(channel)
            if should_expire(message, channel, last_down[channel.pk], now):
                expire(message)
                expired += 1
            elif channel.status != Channel.Status.DISCONNECTED:
                resend.setdefault(message.conversation_id, (message.company_id, message.pk))
        for message in lost:
            resend.setdefault(message.conversation_id, (message.company_id, message.pk))
        for conversation_id, (company_id, message_id) in resend.items():
            enqueue_send(company_id, message_id, conversation_id=conversation_id)
    return {"claimed": len(rows) + len(lost), "resent": len(resend), "expired": expired}


def message_kind_of(kind: str) -> str:
    """Our Message.Kind for a provider MessageKind (stickers and locations are `other`)."""
    return kind if kind in Message.Kind.values else Message.Kind.OTHER


__all__ = [
    "MessageKind",
    "SendRun",
    "conversation_send_due",
    "enqueue_send",
    "message_queue_outbound",
    "messages_queue_outbound",
    "message_resend",
    "message_status_apply",
    "outbound_sweep",
    "reply_target",
]
