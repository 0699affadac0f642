"""The staff inbox: take over from the bot, hand back, resolve, reply, mark read.

Every change of who answers the customer happens here under the conversation's row lock and is
recorded as a ConversationEvent (the timeline shows who took it, from whom, and when). A staff reply
goes through the one outbound choke point (`message_queue_outbound`, automatic=False): a Message
row in the outbox, sent in order with the bot's own messages by the per-conversation send task,
retried, its delivery receipts applied like any other. The bot controls (paused, handoff, test
mode) do not apply to it, since a person is writing; opt-out, the channel's state and Meta's 24-hour
window do (`reply_refusal`).

Handing back resumes the bot at a point staff choose (`ResumePoint`). Conversations knows no bot:
the bot registers how it resumes (`conversations.handlers.bot_resumer_register`), and that moves
only the bot's own state; the conversation's row is written here.
"""

from datetime import timedelta

import structlog
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.handlers import bot_resume
from conversations.lock_objects import conversation_qs_select_for_update
from conversations.models import Channel, Conversation, ConversationEvent, Message, Provider
from conversations.providers import get_provider
from conversations.services.outbound import message_queue_outbound
from conversations.services.sent_files import (
    CheckedFile,
    FileRefused,
    sent_file_check,
    sent_file_store,
    sent_file_url,
)

logger = structlog.get_logger(__name__)

REPLY_WINDOW = timedelta(hours=24)  # Meta's customer-service window: free text only within it
MAX_REPLY_CHARS = 4096  # WhatsApp's limit for one text message


class ResumePoint(models.TextChoices):
    RESTART = "restart", _("Restart at the next message")  # the flow starts over when the customer writes
    MENU = "menu", _("Send the main menu now")  # the bot sends its main menu at once


class ReplyRefused(Exception):
    """A staff reply that may not be sent now; `message` says why, for the person who wrote it."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


def _bot_resume(conversation: Conversation, point: str | None) -> list[str]:
    """Let the registered bot resume at `point`; apply what it says to the (locked, unsaved)
    conversation and queue its messages. Returns the conversation fields it changed."""
    done = bot_resume(conversation=conversation, point=point)
    changed = []
    if done.variables is not None:
        conversation.variables = done.variables
        changed.append("variables")
    if done.waiting:
        conversation.status = Conversation.Status.WAITING
    for intent in done.intents:
        message_queue_outbound(conversation=conversation, text=intent.text, delay_seconds=intent.delay_seconds)
    return changed


def reply_refusal(conversation: Conversation) -> ReplyRefused | None:
    """Why a staff member cannot write to this conversation now (None when they can): the customer
    opted out, the channel is disconnected, or Meta's 24-hour window is closed. One query, for
    Meta channels only (the customer's last message)."""
    if conversation.customer.opted_out_at is not None:
        return ReplyRefused("opted_out", _("the customer asked not to receive messages"))
    channel = conversation.channel
    if channel.status == Channel.Status.DISCONNECTED:
        return ReplyRefused("channel_disconnected", _("channel disconnected"))
    if channel.provider == Provider.META_CLOUD and not _window_open(conversation):
        return ReplyRefused(
            "window_closed",
            _(
                "more than 24 hours since the customer's last message: WhatsApp (Meta) only accepts "
                "approved templates until the customer writes again"
            ),
        )
    return None


def _window_open(conversation: Conversation) -> bool:
    last = (
        Message.objects.for_company(conversation.company_id)
        .filter(conversation=conversation, direction=Message.Direction.INBOUND)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is not None and timezone.now() - last < REPLY_WINDOW


def conversation_reply(*, conversation: Conversation, user, text: str, upload=None) -> Message:
    """Queue a staff member's text, or a file (`upload`, the text its caption), to the customer;
    raises ReplyRefused (nothing written, no file stored) when it may not go. Sent even while the
    bot is paused or the conversation is with a human. Writing marks the conversation read.
    Enqueues the send task after commit; a file goes at a signed URL the provider downloads."""
    text = (text or "").strip()
    if not text and upload is None:
        raise ReplyRefused("empty", _("Write a message first."))
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRefused(
            "too_long", _("A WhatsApp message has at most %(max)d characters.") % {"max": MAX_REPLY_CHARS}
        )
    checked = _checked_file(upload) if upload is not None else None
    with transaction.atomic():
        locked = _lock(conversation)
        refusal = reply_refusal(locked)
        if refusal is not None:
            raise refusal
        if checked is None:
            message = message_queue_outbound(conversation=locked, text=text, automatic=False, sent_by=user)
        else:
            if not get_provider(locked.channel.provider).sends_files:
                raise ReplyRefused("no_files", _("this channel does not send files"))
            message = _queue_file(locked, checked, caption=text, user=user)
        locked.staff_read_at = timezone.now()
        locked.save(update_fields=["staff_read_at", "updated_at"])
    logger.info("staff_reply_queued", conversation_id=locked.pk, message_id=message.pk, user_id=user.pk)
    return message


def _queue_file(conversation: Conversation, checked: CheckedFile, *, caption: str, user) -> Message:
    path = sent_file_store(conversation.company_id, checked)  # local storage: no network under the lock
    try:
        return message_queue_outbound(
            conversation=conversation,
            kind=checked.kind,
            media_url=sent_file_url(path),
            media_mime=checked.mime,
            file_name=checked.name,
            text=caption,
            automatic=False,
            sent_by=user,
        )
    except BaseException:
        default_storage.delete(path)  # no message row: no file either
        raise


def _checked_file(upload) -> CheckedFile:
    try:
        return sent_file_check(upload)
    except FileRefused as exc:
        raise ReplyRefused("file_refused", exc.message) from exc


def conversation_take_over(*, conversation: Conversation, user) -> Conversation:
    """`user` takes the conversation: the bot pauses, the conversation is theirs (taking it from another
    agent is allowed and recorded with who had it). Taking one's own conversation again changes nothing."""
    with transaction.atomic():
        locked = _lock(conversation)
        previous = locked.assigned_to_id
        if previous == user.pk and locked.status == Conversation.Status.HANDOFF and locked.bot_paused:
            return locked
        now = timezone.now()
        locked.status = Conversation.Status.HANDOFF
        locked.bot_paused = True
        locked.assigned_to = user
        locked.assigned_at = now
        locked.staff_read_at = now
        locked.save(update_fields=["status", "bot_paused", "assigned_to", "assigned_at", "staff_read_at", "updated_at"])
        conversation_event_record(
            locked,
            ConversationEvent.Kind.TAKEN,
            actor=user,
            previous_assignee_id=previous if previous != user.pk else None,
        )
    return locked


def conversation_release(*, conversation: Conversation, user, resume: str = ResumePoint.RESTART) -> Conversation:
    """Hand the conversation back to the bot, resuming at `resume` (a ResumePoint): the bot's
    messages for that point (the main menu) are queued at once, through the bot controls.
    Raises ValueError for an unknown point."""
    point = ResumePoint(resume)
    with transaction.atomic():
        locked = _lock(conversation)
        _unassign(locked)
        locked.status = Conversation.Status.ACTIVE
        changed = _bot_resume(locked, point.value)  # unpaused first: its messages pass the bot controls
        locked.save(update_fields=[*_UNASSIGN_FIELDS, *changed])
        conversation_event_record(locked, ConversationEvent.Kind.RELEASED, actor=user, detail=point.value)
    return locked


def conversation_resolve(*, conversation: Conversation, user) -> Conversation:
    """Close the conversation: nobody has it, the bot forgets where it stood (it starts over), and
    the customer's next message reopens it (`conversation_reopen`)."""
    with transaction.atomic():
        locked = _lock(conversation)
        _unassign(locked)
        changed = _bot_resume(locked, None)
        locked.status = Conversation.Status.RESOLVED
        locked.save(update_fields=[*_UNASSIGN_FIELDS, *changed])
        conversation_event_record(locked, ConversationEvent.Kind.RESOLVED, actor=user)
    return locked


_UNASSIGN_FIELDS = ["status", "bot_paused", "assigned_to", "assigned_at", "staff_read_at", "updated_at"]


def _unassign(conversation: Conversation) -> None:
    conversation.bot_paused = False
    conversation.assigned_to = None
    conversation.assigned_at = None
    conversation.staff_read_at = timezone.now()


def conversation_reopen(conversation: Conversation) -> bool:
    """A resolved conversation the customer wrote to again is open with the bot. Caller holds the
    conversation's row lock (processing does). True when it was resolved."""
    if conversation.status != Conversation.Status.RESOLVED:
        return False
    conversation.status = Conversation.Status.ACTIVE
    conversation.bot_paused = False
    conversation.save(update_fields=["status", "bot_paused", "updated_at"])
    conversation_event_record(conversation, ConversationEvent.Kind.REOPENED)
    return True


def conversation_bot_failed(conversation: Conversation, *, error: str) -> None:
    """The bot could not handle the customer's message: a human takes over (bot paused, handoff)
    and the error is on the conversation's timeline for staff. Caller holds the row lock."""
    conversation.status = Conversation.Status.HANDOFF
    conversation.bot_paused = True
    conversation.save(update_fields=["status", "bot_paused", "updated_at"])
    conversation_event_record(conversation, ConversationEvent.Kind.BOT_ERROR, detail=error[:200])


def conversation_mark_read(*, conversation: Conversation) -> bool:
    """Everything the customer wrote until now is read. Skipped (False) while another transaction holds
    the row (a send in progress): opening a page never waits for a provider; the next refresh marks it."""
    with transaction.atomic():
        free = (
            conversation_qs_select_for_update(company=conversation.company_id, skip_locked=True)
            .filter(pk=conversation.pk)
            .values_list("pk", flat=True)
        )
        if not list(free):
            return False
        # Reading is not activity: updated_at (the inbox's order) stays.
        Conversation.objects.for_company(conversation.company_id).filter(pk=conversation.pk).update(
            staff_read_at=timezone.now()
        )
    return True


def conversation_event_record(conversation: Conversation, kind: str, **fields) -> ConversationEvent:
    return ConversationEvent.objects.for_company(conversation.company_id).create(
        company_id=conversation.company_id, conversation=conversation, kind=kind, **fields
    )


def _lock(conversation: Conversation) -> Conversation:
    return (
        conversation_qs_select_for_update(company=conversation.company_id)
        .select_related("company", "channel", "customer")
        .get(pk=conversation.pk)
    )
