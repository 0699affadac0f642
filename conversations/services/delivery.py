"""Sending outbound messages: claim, call, record, one message at a time, in the conversation's order.

Each send is three steps, and only the middle one touches the network:
1. **claim** (a short transaction holding the conversation row): the conversation's first unsent
   message, if it is due, becomes `sending` with its attempt counted, and that is committed;
2. **call** the provider with no transaction open and no lock held, with an idempotency key derived
   from the message (`message_idempotency_key`), so a repeat after a crash is the same request;
3. **record** the answer in its own transaction: `sent`; or back to `queued` with `retry_at` set by
   the backoff; or `failed` with the reason.

Order: the head of a conversation is its first `queued`/`sending` outbound message by
(send_after, id). Nothing behind the head is sent while the head waits for its next attempt, so
later messages never skip ahead; a retry never moves `send_after`, only `retry_at`.

Retries are per message, not per task: any number of send tasks of the conversation may run; a
task that finds the head retrying (or in flight elsewhere) leaves it alone, so attempts are only
spent by the one scheduled retry. The budget (OUTBOUND_RETRY_BUDGET_SECONDS since the first
attempt) and OUTBOUND_MAX_ATTEMPTS bound it; when they run out the message is `failed`, and the
messages queued behind it are failed too ("held behind"), so the customer never gets the second
half of a conversation without the first. Staff resend them (`message_resend`). What happens to
the conversation when a bot message fails for good is the bot's choice
(`handlers.send_failure_hands_over`: by default a human takes it over, with a "not delivered" event).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.handlers import send_failure_hands_over
from conversations.lock_objects import conversation_qs_select_for_update
from conversations.models import Channel, ChannelStatusChange, Conversation, ConversationEvent, Message
from conversations.providers import credentials_for, get_provider
from integrations import http
from integrations.errors import PermanentError, RetryableError
from integrations.messaging.base import MessagingProvider, ProviderCredentials, SendResult

logger = structlog.get_logger(__name__)

SEND_BATCH = 20  # messages one send run delivers before handing over to a fresh task
PENDING = (Message.Status.QUEUED, Message.Status.SENDING)
HELD_REASON = "held behind failed message #{}"  # Message.reason of the messages failed with their head


@dataclass
class SendRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    retry_message_id: int | None = None  # the head waits for its next attempt ...
    retry_in: float | None = None  # ... in this many seconds (the task schedules it)
    retry_error: str = ""
    more: bool = False  # the batch ended with messages still due: run again
    waiting: str = ""  # why nothing more could be sent now (channel down, not due, in flight)


@dataclass(frozen=True)
class Claim:
    message: Message
    attempt: int
    provider: MessagingProvider | None
    credentials: ProviderCredentials | None
    to: str
    error: str = ""  # nothing to call: fail it at once (no contact, broken credentials)


def message_idempotency_key(message: Message) -> str:
    """The same for every attempt of one message: a provider honouring it sends the message once."""
    return f"balcao-message-{message.company_id}-{message.pk}"


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Wait before attempt `attempt + 1`: exponential from OUTBOUND_BACKOFF_BASE_SECONDS, capped at
    OUTBOUND_BACKOFF_MAX_SECONDS, with "equal jitter" (half fixed, half random, so retries of many
    messages after one outage spread out); never less than the provider's Retry-After."""
    ceiling = min(settings.OUTBOUND_BACKOFF_MAX_SECONDS, settings.OUTBOUND_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret
    return max(delay, retry_after or 0.0)


def conversation_send_due(*, conversation_id: int, batch: int = SEND_BATCH) -> SendRun:
    """Send the conversation's due messages in order, one claim-call-record at a time (module doc).

    Never holds a transaction or a lock while a provider is called. Stops at the first message that
    must wait (its retry is reported in `retry_in` for the task to schedule), when the channel is
    disconnected, when the head is in flight in another worker, or after `batch` messages (`more`).
    """
    run = SendRun()
    for _ in range(batch):
        claim = _claim_head(conversation_id, run)
        if claim is None:
            return run
        if claim.error:
            _record_failure(claim, claim.error, run)
            continue
        try:
            result = _call(claim)
        except PermanentError as exc:
            _record_failure(claim, str(exc), run)
            continue
        except RetryableError as exc:
            _record_retry(claim, exc, run)
            return run
        except BaseException:
            # Time limit, shutdown, a bug: the call may or may not have reached the provider. Back to
            # `queued` (the same key makes a repeat harmless) instead of waiting out the stuck timeout.
            _release(claim, "interrupted")
            raise
        _record_sent(claim, result, run)
    run.more = True
    return run


def _claim_head(conversation_id: int, run: SendRun) -> Claim | None:
    now = timezone.now()
    with transaction.atomic():
        conversation = (
            conversation_qs_select_for_update().select_related("channel", "customer").filter(pk=conversation_id).first()
        )
        if conversation is None:
            return None
        channel = conversation.channel
        last_down = None
        while True:
            head = (
                Message.objects.for_company(conversation.company_id)
                .filter(conversation=conversation, direction=Message.Direction.OUTBOUND, status__in=PENDING)
                .order_by("send_after", "id")
                .first()
            )
            if head is None:
                return None
            if head.status == Message.Status.SENDING and not _lost_its_worker(head, now):
                run.waiting = "in_flight"
                return None
            if head.send_after and head.send_after > now:
                run.waiting = "not_due"
                return None
            if head.retry_at and head.retry_at > now:
                run.waiting = "retrying"
                run.retry_message_id = head.pk
                return None
            if _old_enough_to_expire(head, now):  # the channel's history is read only for old messages
                last_down = last_down or last_disconnect(channel)
            if head.status == Message.Status.QUEUED and should_expire(head, channel, last_down, now):
                expire(head)
                run.expired.append(head.pk)
                continue
            if channel.status == Channel.Status.DISCONNECTED:
                run.waiting = "channel_disconnected"
                return None
            break
        head.status = Message.Status.SENDING
        head.attempts += 1
        head.attempt_started_at = now
        head.first_attempt_at = head.first_attempt_at or now
        head.save(update_fields=["status", "attempts", "attempt_started_at", "first_attempt_at"])
        try:
            provider, credentials, to = (
                get_provider(channel.provider),
                credentials_for(channel),
                reply_target(conversation),
            )
        except PermanentError as exc:
            error = str(exc)
            provider = credentials = None
            to = ""
        else:
            error = "" if to else "the customer has no phone or provider contact id to send to"
    return Claim(message=head, attempt=head.attempts, provider=provider, credentials=credentials, to=to, error=error)


def _lost_its_worker(message: Message, now: datetime) -> bool:
    started = message.attempt_started_at
    return started is None or started < now - timedelta(seconds=settings.OUTBOUND_SENDING_STUCK_SECONDS)


def _call(claim: Claim) -> SendResult:
    """The provider call: outside any transaction (integrations.http asserts it under test)."""
    message, provider, credentials, to = claim.message, claim.provider, claim.credentials, claim.to
    with http.idempotency_key(message_idempotency_key(message)):
        if message.kind == Message.Kind.DOCUMENT and message.media_url:
            return provider.send_document(
                credentials, to, message.media_url, message.file_name or "document", message.media_mime, message.text
            )
        if message.kind == Message.Kind.IMAGE and message.media_url:
            return provider.send_image(
                credentials, to, message.media_url, message.media_mime or "image/jpeg", message.text
            )
        return provider.send_text(credentials, to, message.text)


def _mine(claim: Claim):
    """The claimed row, only while it is still this attempt's (a sweep may have re-claimed it)."""
    return Message.objects.filter(pk=claim.message.pk, status=Message.Status.SENDING, attempts=claim.attempt)


def _record_sent(claim: Claim, result: SendResult, run: SendRun) -> None:
    now = timezone.now()
    changes = {"status": Message.Status.SENT, "sent_at": now, "error": "", "retry_at": None}
    provider_id = (result.provider_message_id or "")[:200]
    try:
        updated = _sent_write(claim, now, provider_message_id=provider_id, **changes)
    except IntegrityError:  # the provider reused an id: keep the send, drop the id (written again)
        updated = _sent_write(claim, now, provider_message_id="", **changes)
    if updated:
        run.sent.append(claim.message.pk)
    logger.info("message_sent", message_id=claim.message.pk, attempts=claim.attempt, recorded=bool(updated))


def _sent_write(claim: Claim, now: datetime, **changes) -> int:
    """The send's result and the conversation's last outbound time, in one transaction (no savepoint:
    a refused provider id rolls both back and the caller writes them again without it)."""
    with transaction.atomic():
        updated = _mine(claim).update(**changes)
        Conversation.objects.filter(pk=claim.message.conversation_id).update(last_outbound_at=now, updated_at=now)
    return updated


def _record_retry(claim: Claim, exc: RetryableError, run: SendRun) -> None:
    message = claim.message
    now = timezone.now()
    delay = backoff_seconds(claim.attempt, exc.retry_after)
    budget_end = message.first_attempt_at + timedelta(seconds=settings.OUTBOUND_RETRY_BUDGET_SECONDS)
    if claim.attempt >= settings.OUTBOUND_MAX_ATTEMPTS:
        _record_failure(claim, f"{exc} (gave up after {claim.attempt} attempts)", run, hold_later=True)
        return
    if now + timedelta(seconds=delay) > budget_end:
        spent = round((now - message.first_attempt_at).total_seconds())
        _record_failure(claim, f"{exc} (gave up after {claim.attempt} attempts in {spent} s)", run, hold_later=True)
        return
    _mine(claim).update(status=Message.Status.QUEUED, retry_at=now + timedelta(seconds=delay), error=str(exc)[:2000])
    run.retry_message_id, run.retry_in, run.retry_error = message.pk, delay, str(exc)
    logger.info("message_retry", message_id=message.pk, attempts=claim.attempt, retry_in=round(delay, 1))


def _record_failure(claim: Claim, error: str, run: SendRun, *, hold_later: bool = False) -> None:
    """`failed` with `error`; with `hold_later`, the messages queued behind it fail with it (the
    customer must not get the rest without this one; staff resend them together)."""
    message = claim.message
    now = timezone.now()
    with transaction.atomic():
        conversation = None
        if message.sent_by_id is None:  # the bot's: its policy decides what happens next
            conversation = conversation_qs_select_for_update().filter(pk=message.conversation_id).first()
        updated = _mine(claim).update(status=Message.Status.FAILED, error=error[:2000], failed_at=now, retry_at=None)
        held = []
        if updated and hold_later:
            held = list(
                Message.objects.filter(
                    conversation_id=message.conversation_id,
                    direction=Message.Direction.OUTBOUND,
                    status=Message.Status.QUEUED,
                )
                .filter(Q(send_after__gt=message.send_after) | Q(send_after=message.send_after, id__gt=message.pk))
                .values_list("pk", flat=True)
            )
            Message.objects.filter(pk__in=held, status=Message.Status.QUEUED).update(
                status=Message.Status.FAILED,
                failed_at=now,
                reason=HELD_REASON.format(message.pk),
                error=f"not sent: message #{message.pk} before it failed",
            )
        if updated and conversation is not None:  # once per failure, not once per message held behind it
            _bot_message_failed(conversation, message_id=message.pk, error=error)
    if updated:
        run.failed.extend([message.pk, *held])
    logger.warning("message_failed", message_id=message.pk, attempts=claim.attempt, held=len(held))


def _bot_message_failed(conversation: Conversation, *, message_id: int, error: str) -> None:
    """What the bot's policy says a final failure does: a person takes the conversation over (bot
    paused, waiting in the inbox) with a "not delivered" event on its timeline; or nothing (the
    message shows `failed` and staff can resend it). Caller holds the conversation's row lock."""
    if not send_failure_hands_over(conversation=conversation):
        return
    if conversation.status != Conversation.Status.HANDOFF or not conversation.bot_paused:
        conversation.status = Conversation.Status.HANDOFF
        conversation.bot_paused = True
        conversation.save(update_fields=["status", "bot_paused", "updated_at"])
    ConversationEvent.objects.for_company(conversation.company_id).create(
        company_id=conversation.company_id,
        conversation=conversation,
        kind=ConversationEvent.Kind.SEND_FAILED,
        detail=f"#{message_id}: {error}"[:200],
    )
    logger.info("conversation_handed_over_after_send_failure", conversation_id=conversation.pk, message_id=message_id)


def _release(claim: Claim, error: str) -> None:
    _mine(claim).update(
        status=Message.Status.QUEUED,
        retry_at=timezone.now() + timedelta(seconds=backoff_seconds(claim.attempt)),
        error=error,
    )


def message_resend(*, message: Message, user=None) -> list[int]:
    """Staff: send a failed (or expired) outbound message again, with a fresh retry budget, and the
    messages that were held behind it. Returns the ids re-queued (empty when it was not failed).
    The send task goes out after commit."""
    from conversations.services.outbound import enqueue_send  # noqa: PLC0415 - outbound imports this module

    if message.direction != Message.Direction.OUTBOUND or message.status not in (
        Message.Status.FAILED,
        Message.Status.EXPIRED,
    ):
        return []
    now = timezone.now()
    ids = [message.pk] + list(
        Message.objects.filter(
            conversation_id=message.conversation_id, status=Message.Status.FAILED, reason=HELD_REASON.format(message.pk)
        ).values_list("pk", flat=True)
    )
    # Requeued at the end of the conversation's line: what was sent meanwhile stays before them.
    with transaction.atomic():
        for offset, pk in enumerate(ids):
            Message.objects.filter(pk=pk).update(
                status=Message.Status.QUEUED,
                send_after=now + timedelta(microseconds=offset),
                retry_at=None,
                first_attempt_at=None,
                attempt_started_at=None,
                failed_at=None,
                attempts=0,
                error="",
                reason="",
            )
        enqueue_send(message.company_id, message.pk)
    logger.info("message_resent", message_id=message.pk, held=len(ids) - 1, by=getattr(user, "pk", None))
    return ids


def reply_target(conversation: Conversation) -> str:
    """Where replies go: the id the provider gave for this customer, else the phone's digits."""
    customer = conversation.customer
    contact_id = (customer.provider_contact_ids or {}).get(conversation.channel.provider)
    if contact_id:
        return str(contact_id)
    return customer.phone.lstrip("+")


def last_disconnect(channel: Channel):
    return (
        ChannelStatusChange.objects.for_company(channel.company_id)
        .filter(channel=channel, to_status=Channel.Status.DISCONNECTED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _old_enough_to_expire(message: Message, now) -> bool:
    return message.send_after < now - timedelta(seconds=settings.OUTBOUND_EXPIRE_AFTER_SECONDS)


def should_expire(message: Message, channel: Channel, last_down, now) -> bool:
    """Old and the channel was down meanwhile: the flow decides anew instead of sending it blindly."""
    if not _old_enough_to_expire(message, now):
        return False
    return channel.status != Channel.Status.CONNECTED or (last_down is not None and last_down > message.created_at)


def expire(message: Message) -> None:
    message.status = Message.Status.EXPIRED
    message.reason = "waited too long while the channel was disconnected"
    message.save(update_fields=["status", "reason"])
    logger.info("message_expired", message_id=message.pk)
