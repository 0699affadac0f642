"""Processing of buffered customer messages, and the hook where the flow engine plugs in.

Debounce without losing anything: inbound Message rows still `received` ARE the buffer. Every
stored message enqueues `conversation_process_task` with a countdown of the company's debounce;
a run under the conversation's row lock does nothing while the newest buffered message is younger
than the debounce window (that message's own task comes later), else it claims every buffered
message, joins their text (capped at max_buffer_text_chars) and runs the bot once. Redis only
speeds this up: a "process at" time in the cache lets early tasks return without touching the
database. A beat sweep (`inbound_sweep`) processes any conversation whose task was lost.

The bot hook
------------
`run_bot(conversation, text, message) -> list[OutboundIntent]` calls the function named by
`settings.CONVERSATIONS_BOT_HANDLER` (dotted path), with keyword arguments `conversation`, `text`
(the joined buffer) and `message` (the newest buffered Message). It runs inside the processing
transaction, so anything it writes commits with the conversation's messages. It returns intents;
this module queues them through `services.message_queue_outbound` (the outbound choke point).
The default is `orders.replies.handle_message`: answers to a rating question are recorded there,
everything else goes to the flows engine (`flows.pipeline.handle_message`).

`placeholder_bot` answers nothing (tests of the pipeline alone use it).
"""

import time
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from conversations.models import Conversation, Message
from conversations.services.controls import BlockReason, is_opt_out, outbound_block_reason
from conversations.services.outbound import message_queue_outbound
from tenants.models import Company
from tenants.services import company_setting_get

logger = structlog.get_logger(__name__)

MAINTENANCE_MESSAGE_SETTING = "maintenance_message"  # CompanySetting key: optional text sent in maintenance
SWEEP_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class OutboundIntent:
    """One message the bot wants to send; queued through the outbound choke point."""

    text: str = ""
    kind: str = Message.Kind.TEXT
    media_url: str = ""
    media_mime: str = ""
    file_name: str = ""
    delay_seconds: int = 0


def placeholder_bot(*, conversation: Conversation, text: str, message: Message) -> list[OutboundIntent]:
    """Default handler until the flows engine is plugged in: records nothing, sends nothing."""
    return []


def run_bot(conversation: Conversation, text: str, message: Message) -> list[OutboundIntent]:
    """Run the configured bot handler on the buffered text; returns its intents (never None)."""
    handler = import_string(settings.CONVERSATIONS_BOT_HANDLER)
    return list(handler(conversation=conversation, text=text, message=message) or [])


@dataclass
class ProcessRun:
    result: str  # processed | blocked | not_due | nothing
    reason: str = ""
    message_ids: tuple[int, ...] = ()
    queued: int = 0
    retry_in: float = 0.0  # not_due and this task carries the newest message: run again in this many seconds


def conversation_process(*, conversation_id: int, message_id: int | None = None) -> ProcessRun:
    """Process the conversation's buffered messages once they have been quiet for the debounce window."""
    process_at = cache.get(f"conv-process-at:{conversation_id}")
    if process_at is not None and process_at > time.time() + 0.5 and message_id is not None:
        # Fast path: a newer message arrived; its own task will do the work.
        return ProcessRun(result="not_due")
    now = timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("company", "customer", "channel")
            .get(pk=conversation_id)
        )
        company = conversation.company
        pending = list(
            conversation.messages.filter(direction=Message.Direction.INBOUND, status=Message.Status.RECEIVED).order_by(
                "created_at", "id"
            )
        )
        if not pending:
            return ProcessRun(result="nothing")
        newest = pending[-1]
        quiet_at = newest.created_at + timedelta(seconds=company.message_debounce_seconds)
        if quiet_at > now:
            retry = (quiet_at - now).total_seconds() + 0.2 if newest.pk == message_id else 0.0
            return ProcessRun(result="not_due", retry_in=retry)
        ids = tuple(m.pk for m in pending)
        joined = "\n".join(m.text for m in pending if m.text)[: company.max_buffer_text_chars]
        reason = _controls(conversation, company, pending)
        status = Message.Status.IGNORED if reason else Message.Status.PROCESSED
        conversation.messages.filter(pk__in=ids, status=Message.Status.RECEIVED).update(status=status, reason=reason)
        if reason:
            logger.info("conversation_not_answered", conversation_id=conversation.pk, reason=reason)
            return ProcessRun(result="blocked", reason=reason, message_ids=ids)
        intents = run_bot(conversation, joined, newest)
        queued = 0
        for intent in intents:
            sent = message_queue_outbound(
                conversation=conversation,
                text=intent.text,
                kind=intent.kind,
                media_url=intent.media_url,
                media_mime=intent.media_mime,
                file_name=intent.file_name,
                delay_seconds=intent.delay_seconds,
            )
            queued += sent is not None
    return ProcessRun(result="processed", message_ids=ids, queued=queued)


def _controls(conversation: Conversation, company: Company, pending: list[Message]) -> str:
    """Apply opt-out and the bot controls to a buffer; the reason it is not answered, or ''."""
    customer = conversation.customer
    if is_opt_out(pending[-1].text):
        customer.opted_out_at = timezone.now()
        customer.save(update_fields=["opted_out_at", "updated_at"])
        return BlockReason.OPTED_OUT
    if customer.opted_out_at is not None:  # writing again (not an opt-out word) opts back in
        customer.opted_out_at = None
        customer.save(update_fields=["opted_out_at", "updated_at"])
    reason = outbound_block_reason(conversation)
    if reason == BlockReason.MAINTENANCE:
        notice = company_setting_get(company=company, key=MAINTENANCE_MESSAGE_SETTING, default="")
        if isinstance(notice, str) and notice.strip():
            message_queue_outbound(conversation=conversation, text=notice.strip(), notice=True)
    return reason or ""


def conversations_with_stale_buffer(*, limit: int = 500) -> list[tuple[int, int]]:
    """(company_id, conversation_id) whose buffered messages should have been processed by now."""
    cutoff = timezone.now() - SWEEP_GRACE
    rows = (
        Message.objects.unscoped()  # unscoped: the global inbound sweep visits every company
        .filter(status=Message.Status.RECEIVED, direction=Message.Direction.INBOUND, created_at__lte=cutoff)
        .values_list("company_id", "conversation_id")
        .distinct()[:limit]
    )
    return list(rows)
