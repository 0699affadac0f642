"""Processing of buffered customer messages, and the hook where the flow engine plugs in.

Debounce without losing anything: inbound Message rows still `received` ARE the buffer. A stored
message enqueues `conversation_process_task` (countdown: the company's debounce) after its commit,
unless one is already pending for the conversation (`processing_schedule`: a "pending" mark added
atomically in the cache, so a burst costs one publish, not one per message). A run under the
conversation's row lock that finds the newest buffered message younger than the debounce window
re-enqueues itself for the rest of the window; otherwise it claims every buffered message, joins
their text (capped at max_buffer_text_chars) and runs the bot once. When a run ends it clears the
mark, then looks once more for messages that committed meanwhile and schedules them: a message
either is seen by that look or adds its own mark after it was cleared, so none waits unscheduled.
The mark only saves publishes: lost, expired or missing (no cache, or the cache down), it costs a
duplicate run (harmless under the row lock). A publish the broker refuses is logged and its mark
cleared; a beat sweep (`inbound_sweep`) processes any conversation whose task was not enqueued or
was lost.

The bot
-------
A run that is not blocked hands the joined text to `conversations.handlers.handlers_run()` (the
handlers the apps above registered) and queues the intents it returns through
`services.message_queue_outbound` (the outbound choke point).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.cache import cache_or
from conversations.handlers import NothingToSay, OutboundIntent, handlers_run
from conversations.lock_objects import conversation_qs_select_for_update
from conversations.models import Conversation, Message
from conversations.outside_calls import OutsideCallNeeded, outside_calls_collected
from conversations.services.controls import (
    OPT_OUT_MESSAGE_SETTING,
    OPT_OUT_WORDS_SETTING,
    BlockReason,
    is_opt_out,
    is_simulator_contact,
    opt_out_words_of,
    outbound_block_reason,
)
from conversations.services.inbox import conversation_bot_failed, conversation_reopen
from conversations.services.outbound import message_queue_outbound, messages_queue_outbound
from tenants.models import Company
from tenants.selectors import company_setting_subquery
from tenants.services import company_setting_get
from tenants.sweeps import sweep_companies
from tenants.tasks import task_publish

logger = structlog.get_logger(__name__)

MAINTENANCE_MESSAGE_SETTING = "maintenance_message"  # CompanySetting key: optional text sent in maintenance
SWEEP_GRACE = timedelta(seconds=60)
PENDING_GRACE_SECONDS = 120  # the pending mark outlives its task's countdown by this much
# The customer's answers when the bot could not answer by itself (see `_answer`).
BOT_FAILED_TEXT = gettext_noop(
    "Sorry, I ran into a problem handling your message; one of our team will help you here shortly."
)
NOT_UNDERSTOOD_TEXT = gettext_noop("Sorry, I did not understand. Send *oi* to start over.")


@dataclass
class ProcessRun:
    result: str  # processed | blocked | not_due | nothing
    reason: str = ""
    message_ids: tuple[int, ...] = ()
    queued: int = 0
    retry_in: float = 0.0  # not_due: run again in this many seconds


# Set by `processing_inline()`: the (company id, conversation id) pairs due now, run by its caller.
_inline_due: ContextVar[list[tuple[int, int]] | None] = ContextVar("processing_inline_due", default=None)


@contextmanager
def processing_inline() -> Iterator[list[tuple[int, int]]]:
    """Inside the block, a conversation whose processing is due at once (its company's debounce is
    0) is not published to a task of its own: its (company id, conversation id) is added to the
    list this yields, and the caller runs `conversation_process_now` for each once its transaction
    committed (the apply task: one Celery hop less per message).

    No pending mark is taken for them, so no look for late messages is needed after the run: every
    message applied this way has its own run after its own commit, and a run claims every buffered
    message under the row lock (a later run finds nothing left, harmless). A run that is lost
    (the worker died after the commit) leaves its messages to the inbound sweep, as a lost publish.
    """
    due: list[tuple[int, int]] = []
    token = _inline_due.set(due)
    try:
        yield due
    finally:
        _inline_due.reset(token)


def processing_take_inline(*, company_id: int, conversation_id: int, countdown: float) -> bool:
    """Inside `processing_inline()`, take a run due now (`countdown` 0) for its caller; True if taken.
    Taken at once, not on commit: the caller runs it after the commit, and a run whose messages
    were rolled back finds nothing to do."""
    due = _inline_due.get()
    if due is None or countdown > 0:
        return False
    due.append((company_id, conversation_id))
    return True


def conversation_process_now(*, company_id: int, conversation_id: int) -> ProcessRun:
    """Process a conversation `processing_inline` collected (no transaction open). A buffer that is
    not quiet yet (debounce raised meanwhile, or clocks apart) goes to the debounced task."""
    run = conversation_process(conversation_id=conversation_id)
    if run.retry_in:
        processing_reschedule(company_id=company_id, conversation_id=conversation_id, countdown=run.retry_in)
    return run


def _pending_key(conversation_id: int) -> str:
    return f"conv-process-pending:{conversation_id}"


def processing_schedule(*, company_id: int, conversation_id: int, countdown: float) -> bool:
    """Enqueue the conversation's processing in `countdown` seconds unless a run is already pending.

    Call it after the buffered message committed (on_commit). True when a task was enqueued.
    """
    # Without the cache: enqueue anyway, a duplicate run is harmless.
    fresh = cache_or(
        True,
        lambda: cache.add(_pending_key(conversation_id), 1, timeout=int(countdown) + PENDING_GRACE_SECONDS),
        event="processing_mark_unavailable",
        conversation_id=conversation_id,
    )
    return fresh and _publish(company_id=company_id, conversation_id=conversation_id, countdown=countdown)


def processing_reschedule(*, company_id: int, conversation_id: int, countdown: float) -> None:
    """The pending run found the buffer not quiet yet: run again later, keeping the mark alive."""
    cache_or(
        None,
        lambda: cache.set(_pending_key(conversation_id), 1, timeout=int(countdown) + PENDING_GRACE_SECONDS),
        event="processing_mark_unavailable",
        conversation_id=conversation_id,
    )
    _publish(company_id=company_id, conversation_id=conversation_id, countdown=countdown)


def processing_finished(*, company_id: int, conversation_id: int) -> bool:
    """A run ended: clear the mark, then schedule messages that committed meanwhile. True if it did."""
    _mark_clear(conversation_id)
    waiting = (
        Message.objects.for_company(company_id)
        .filter(conversation_id=conversation_id, direction=Message.Direction.INBOUND, status=Message.Status.RECEIVED)
        .exists()
    )
    if not waiting:
        return False
    company = Company.objects.only("message_debounce_seconds").get(pk=company_id)
    return processing_schedule(
        company_id=company_id, conversation_id=conversation_id, countdown=company.message_debounce_seconds
    )


def _publish(*, company_id: int, conversation_id: int, countdown: float) -> bool:
    """Enqueue the processing task; False when the broker refused it.

    The buffered messages are committed, so nothing is lost: the inbound sweep processes them once
    the broker is back (the ingest lag on /health/ shows the wait meanwhile). The pending mark is
    cleared so that the next message of the conversation tries to publish again.
    """
    from conversations.tasks import conversation_process_task  # noqa: PLC0415 - tasks import this module

    published = task_publish(
        conversation_process_task,
        countdown=max(0.0, countdown),
        company_id=company_id,
        conversation_id=conversation_id,
    )
    if not published:
        _mark_clear(conversation_id)
    return published


def _mark_clear(conversation_id: int) -> None:
    # An unreachable cache holds no mark to clear.
    cache_or(
        None,
        lambda: cache.delete(_pending_key(conversation_id)),
        event="processing_mark_unavailable",
        conversation_id=conversation_id,
    )


class _BotTurnFailed(Exception):
    """The handlers raised: the turn's transaction is rolled back, then the failure is recorded."""

    def __init__(self, message_ids: tuple[int, ...], newest_id: int, error: BaseException):
        super().__init__(error)
        self.message_ids, self.newest_id, self.error = message_ids, newest_id, error


def conversation_process(*, conversation_id: int, debounce: bool = True) -> ProcessRun:
    """Process the conversation's buffered messages once they have been quiet for the debounce window.

    `debounce=False` processes them now (flows' console chat answers staff at once).

    The customer always gets an answer: when the handlers raise (an action, an integration, a bad
    setting) the whole turn is rolled back, then, in a transaction of its own, the messages are
    marked processed, the conversation goes to a human with a "bot error" event staff see, and the
    customer gets an apology. (No savepoint around the handlers: the happy path pays nothing.)

    A handler that needs a network read (`conversations.outside_calls`) gets it the same way: the
    turn is rolled back, the read is made with no transaction open, and the turn runs again with
    its answer. Call it with no transaction open.
    """
    with outside_calls_collected() as read:
        while True:
            try:
                return _process(conversation_id, debounce)
            except _BotTurnFailed as failure:
                return _bot_turn_failed(conversation_id, failure)
            except OutsideCallNeeded as needed:
                read(needed)


def _locked(conversation_id: int) -> Conversation | None:
    """The conversation, locked, with its company, customer, channel and the company's opt-out words
    setting (`company_opt_out_words`: read here, not in a query of its own)."""
    return (
        conversation_qs_select_for_update()
        .select_related("company", "customer", "channel")
        .annotate(company_opt_out_words=company_setting_subquery(OPT_OUT_WORDS_SETTING))
        .filter(pk=conversation_id)
        .first()
    )


def _process(conversation_id: int, debounce: bool) -> ProcessRun:
    now = timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation is None:  # thrown away meanwhile (the console chat's "start over"): nothing to do
            return ProcessRun(result="nothing")
        company = conversation.company
        pending = _buffer_claim(conversation)
        if not pending:
            return ProcessRun(result="nothing")
        newest = pending[-1]
        quiet_at = newest.created_at + timedelta(seconds=company.message_debounce_seconds)
        if debounce and quiet_at > now:
            transaction.set_rollback(True)  # the claim is undone: the buffer waits for a later run
            return ProcessRun(result="not_due", retry_in=(quiet_at - now).total_seconds() + 0.2)
        ids = tuple(m.pk for m in pending)
        joined = "\n".join(m.text for m in pending if m.text)[: company.max_buffer_text_chars]
        conversation_reopen(conversation)  # a resolved conversation the customer writes to again
        reason = _controls(conversation, company, pending)
        if reason:
            conversation.messages.filter(pk__in=ids).update(status=Message.Status.IGNORED, reason=reason)
        # Recorded here, under the row lock processing holds anyway, not by the webhook request; it is
        # the conversation's latest activity (the staff inbox lists by it). A conversation its first
        # message created is already dated by it.
        if conversation.last_inbound_at != newest.created_at:
            conversation.last_inbound_at = newest.created_at
            conversation.save(update_fields=["last_inbound_at", "updated_at"])
        if reason:
            logger.info("conversation_not_answered", conversation_id=conversation.pk, reason=reason)
            return ProcessRun(result="blocked", reason=reason, message_ids=ids)
        intents = _answer(conversation, joined, newest, ids)
        queued = _queue(conversation, intents)
    return ProcessRun(result="processed", message_ids=ids, queued=queued)


def _buffer_claim(conversation: Conversation) -> list[Message]:
    """Mark the conversation's buffered inbound messages processed and return them, oldest first: one
    UPDATE ... RETURNING instead of a SELECT and an UPDATE (under the conversation's row lock)."""
    table = Message._meta.db_table
    claimed = Message.objects.raw(
        f'UPDATE "{table}" SET "status" = %s, "reason" = %s'  # noqa: S608 - the table name is our model's
        ' WHERE "company_id" = %s AND "conversation_id" = %s AND "direction" = %s AND "status" = %s RETURNING *',
        [
            Message.Status.PROCESSED,
            "",
            conversation.company_id,
            conversation.pk,
            Message.Direction.INBOUND,
            Message.Status.RECEIVED,
        ],
    )
    return sorted(claimed, key=lambda message: (message.created_at, message.pk))


def _queue(conversation: Conversation, intents: list[OutboundIntent]) -> int:
    return len(messages_queue_outbound(conversation=conversation, intents=intents, turn_reply=True))


def _answer(conversation: Conversation, text: str, newest: Message, ids: tuple[int, ...]) -> list[OutboundIntent]:
    """Run the handlers on the buffer so that the customer always gets an answer.

    An exception becomes _BotTurnFailed (the caller rolls the turn back and records it). A turn the
    handlers took but did not answer (no intent, nothing queued, not handed to a human) gets the
    "not understood" answer, which says how to start over.
    """
    turn_started = timezone.now()  # outbound rows are stamped on insert: newer ones are this turn's
    try:
        intents = handlers_run(conversation=conversation, text=text, message=newest)
    except OutsideCallNeeded:
        raise
    except Exception as exc:
        raise _BotTurnFailed(ids, newest.pk, exc) from exc
    if intents or conversation.bot_paused or isinstance(intents, NothingToSay):
        return intents
    answered = conversation.messages.filter(direction=Message.Direction.OUTBOUND, created_at__gte=turn_started).exists()
    return [] if answered else [OutboundIntent(text=_(NOT_UNDERSTOOD_TEXT))]


def _bot_turn_failed(conversation_id: int, failure: _BotTurnFailed) -> ProcessRun:
    logger.error(
        "bot_turn_failed",
        conversation_id=conversation_id,
        message_id=failure.newest_id,
        exc_info=(type(failure.error), failure.error, failure.error.__traceback__),
    )
    error = f"{type(failure.error).__name__}: {failure.error}"
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation is None:
            return ProcessRun(result="nothing")
        conversation_reopen(conversation)
        conversation.messages.filter(pk__in=failure.message_ids, status=Message.Status.RECEIVED).update(
            status=Message.Status.PROCESSED, reason=""
        )
        newest = conversation.messages.filter(pk=failure.newest_id).values_list("created_at", flat=True).first()
        if newest is not None:
            conversation.last_inbound_at = newest
            conversation.save(update_fields=["last_inbound_at", "updated_at"])
        conversation_bot_failed(conversation, error=error)
        queued = _queue(conversation, [OutboundIntent(text=_(BOT_FAILED_TEXT))])
    return ProcessRun(result="processed", message_ids=failure.message_ids, queued=queued)


def _controls(conversation: Conversation, company: Company, pending: list[Message]) -> str:
    """Apply opt-out and the bot controls to a buffer; the reason it is not answered, or ''."""
    customer = conversation.customer
    words = opt_out_words_of(conversation.company_opt_out_words)
    if is_opt_out(pending[-1].text, words) and not is_simulator_contact(customer):
        goodbye = company_setting_get(company=company, key=OPT_OUT_MESSAGE_SETTING, default="")
        if isinstance(goodbye, str) and goodbye.strip() and customer.opted_out_at is None:
            message_queue_outbound(conversation=conversation, text=goodbye.strip(), notice=True, turn_reply=True)
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
    """(company_id, conversation_id) whose buffered messages should have been processed by now, at
    most `limit` per company (a sweep as `tenants.sweeps` describes; processing runs under the
    conversation's row lock and is idempotent, so the sweep reads without a lock)."""
    cutoff = timezone.now() - SWEEP_GRACE
    found = []
    for company in sweep_companies():
        found += [
            (company.pk, conversation_id)
            for conversation_id in Message.objects.filter(
                status=Message.Status.RECEIVED, direction=Message.Direction.INBOUND, created_at__lte=cutoff
            )
            .order_by()
            .values_list("conversation_id", flat=True)
            .distinct()[:limit]
        ]
    return found
