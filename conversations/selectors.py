"""Reads of the conversations app: the pipeline's probes, and the staff inbox's lists and histories."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import models
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation, ConversationEvent, InboundEvent, Message, ReceivedFile

INGEST_LAG_WARN_SECONDS = 300  # past this, /health/ reports the pipeline as degraded


def ingest_lag_seconds(company_id: int | None = None) -> float:
    """Age in seconds of the oldest inbound work not yet done: a stored event not yet applied, or a
    buffered customer message not yet processed (0 when nothing waits). All companies when
    `company_id` is None; uses the partial indexes on `received` rows."""
    events = InboundEvent.objects.unscoped().filter(status=InboundEvent.Status.RECEIVED)  # unscoped: global probe
    messages = Message.objects.unscoped().filter(status=Message.Status.RECEIVED)  # unscoped: global probe
    if company_id is not None:
        events, messages = events.filter(company_id=company_id), messages.filter(company_id=company_id)
    oldest = [
        events.aggregate(oldest=Min("received_at"))["oldest"],
        messages.aggregate(oldest=Min("created_at"))["oldest"],
    ]
    known = [value for value in oldest if value is not None]
    if not known:
        return 0.0
    return max(0.0, (timezone.now() - min(known)).total_seconds())


def failed_event_count(company_id: int | None = None) -> int:
    """Stored events whose application raised (waiting for a replay from the admin)."""
    events = InboundEvent.objects.unscoped().filter(status=InboundEvent.Status.FAILED)  # unscoped: global probe
    if company_id is not None:
        events = events.filter(company_id=company_id)
    return events.count()


OUTBOUND_STUCK_AFTER = timedelta(minutes=5)  # due (or claimed) this long ago and still not sent


def outbound_trouble_counts() -> tuple[int, int]:
    """All companies, for /health/: outbound messages failed in the last hour, and those stuck (due
    or claimed over OUTBOUND_STUCK_AFTER ago and not sent: no worker, or a lost task). Reads the
    partial indexes on failed, queued and sending rows."""
    now = timezone.now()
    messages = Message.objects.unscoped()  # unscoped: global probe
    failed = messages.filter(status=Message.Status.FAILED, failed_at__gte=now - timedelta(hours=1)).count()
    overdue = now - OUTBOUND_STUCK_AFTER
    stuck = (
        messages.filter(status=Message.Status.QUEUED, send_after__lt=overdue)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lt=overdue))
        .count()
    )
    stuck += messages.filter(status=Message.Status.SENDING, attempt_started_at__lt=overdue).count()
    return failed, stuck


# --- The staff inbox --------------------------------------------------------------------------------

UNREAD_CAP = 99  # the list shows "99+" beyond: counting further would read every message of a long chat
INBOX_PAGE = 50  # conversations per list page
CHAT_PAGE = 40  # messages per page of a conversation's history
CHAT_LIVE_MAX = 300  # messages the live part of an open conversation holds before asking for a reload
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InboxTab(models.TextChoices):
    WAITING = "waiting", _("Waiting for an agent")  # handed to a person, or the bot paused with unread messages
    BOT = "bot", _("With the bot")
    RESOLVED = "resolved", _("Resolved conversations")
    ALL = "all", _("All conversations")


class CappedCount(Subquery):
    """COUNT(*) of a sliced subquery: the count stops at the slice (index reads stay bounded)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def unread_messages(company) -> QuerySet:
    """The outer conversation's customer messages that no staff member has seen: received after its
    `staff_read_at` (all of them when nobody ever opened it). Our own messages written on the phone
    (fromMe) are not the customer's. For use inside a subquery over conversations."""
    return (
        Message.objects.for_company(company)
        .filter(
            conversation_id=OuterRef("pk"),
            direction=Message.Direction.INBOUND,
            created_at__gt=Coalesce(OuterRef("staff_read_at"), Value(_EPOCH)),
        )
        .exclude(reason="from_me")
    )


def needs_human(company) -> Q:
    """Waiting for a person: handed to one (asked for by the flow, taken in the inbox or at the
    provider), or the bot paused there with customer messages nobody has read."""
    return Q(status=Conversation.Status.HANDOFF) | (
        Q(bot_paused=True) & Q(Exists(unread_messages(company))) & ~Q(status=Conversation.Status.RESOLVED)
    )


def inbox_conversations(*, company, tab: str = InboxTab.WAITING) -> QuerySet:
    """The company's conversations of one tab, latest activity first, with the inbox fields
    (`with_inbox_fields`) and `last_message_id`."""
    conversations = Conversation.objects.for_company(company)
    waiting = needs_human(company)  # also annotated by with_inbox_fields: the planner evaluates it once per row
    if tab == InboxTab.WAITING:
        conversations = conversations.filter(waiting)
    elif tab == InboxTab.BOT:
        conversations = conversations.exclude(waiting).exclude(status=Conversation.Status.RESOLVED)
    elif tab == InboxTab.RESOLVED:
        conversations = conversations.filter(status=Conversation.Status.RESOLVED)
    last = Message.objects.for_company(company).filter(conversation_id=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        with_inbox_fields(conversations.select_related("customer", "channel", "assigned_to"), company)
        .annotate(last_message_id=Subquery(last.values("pk")[:1]))
        .order_by("-updated_at", "-id")
    )


def with_inbox_fields(conversations: QuerySet, company) -> QuerySet:
    """`conversations` annotated with `unread` (capped at UNREAD_CAP + 1) and `waiting` (needs a human)."""
    return conversations.annotate(
        unread=CappedCount(unread_messages(company).values("pk")[: UNREAD_CAP + 1]),
        waiting=ExpressionWrapper(needs_human(company), output_field=BooleanField()),
    )


def inbox_page(*, company, tab: str = InboxTab.WAITING, limit: int = INBOX_PAGE) -> list[Conversation]:
    """One page of a tab (see inbox_conversations), each with `last_message` (None when empty).
    Two queries, whatever the number of conversations and messages."""
    rows = list(inbox_conversations(company=company, tab=tab)[:limit])
    ids = [row.last_message_id for row in rows if row.last_message_id]
    messages = Message.objects.for_company(company).in_bulk(ids) if ids else {}
    for row in rows:
        row.last_message = messages.get(row.last_message_id)
    return rows


def inbox_waiting_count(*, company) -> int:
    """The header badge: conversations waiting for a person that nobody has taken, or with customer
    messages nobody has read."""
    return (
        Conversation.objects.for_company(company)
        .filter(needs_human(company))
        .filter(Q(assigned_to__isnull=True) | Q(Exists(unread_messages(company))))
        .count()
    )


def conversation_unread_count(conversation: Conversation) -> int:
    """Unread customer messages of one conversation (capped like the list)."""
    return (
        Conversation.objects.for_company(conversation.company_id)
        .filter(pk=conversation.pk)
        .annotate(unread=CappedCount(unread_messages(conversation.company_id).values("pk")[: UNREAD_CAP + 1]))
        .values_list("unread", flat=True)
        .first()
        or 0
    )


# --- One conversation's history: keyset pages, newest last -------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A message's place in its conversation's order, (created_at, id): stable while rows are added."""

    created_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{int(self.created_at.timestamp() * 1_000_000)}-{self.id}"

    @classmethod
    def of(cls, message: Message) -> "Cursor":
        return cls(message.created_at, message.pk)

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """The cursor written by str(); None when `text` is empty; ValueError when it is malformed."""
        if not text:
            return None
        micros, _, pk = text.partition("-")
        return cls(datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(pk))


@dataclass
class ChatItem:
    at: datetime
    message: Message | None = None
    event: ConversationEvent | None = None


@dataclass
class ChatPage:
    items: list[ChatItem]
    first: Cursor | None  # the oldest message shown
    older: Cursor | None  # where the previous page ends (None: this is the beginning)
    overflow: bool = False  # the live part outgrew CHAT_LIVE_MAX: reload the page


def _messages_of(conversation: Conversation) -> QuerySet:
    return (
        Message.objects.for_company(conversation.company_id)
        .filter(conversation=conversation)
        .select_related("sent_by")
        .prefetch_related(Prefetch("files", queryset=ReceivedFile.objects.for_company(conversation.company_id)))
    )


def history_query(conversation: Conversation, before: Cursor | None) -> QuerySet:
    """The conversation's messages before `before` (all without it), newest first."""
    messages = _messages_of(conversation).order_by("-created_at", "-id")
    if before is None:
        return messages
    # The range on created_at alone is what the index reads; the OR only settles ties within it.
    return messages.filter(created_at__lte=before.created_at).filter(
        Q(created_at__lt=before.created_at) | Q(id__lt=before.id)
    )


def chat_history(*, conversation: Conversation, before: Cursor | None = None, limit: int = CHAT_PAGE) -> ChatPage:
    """The `limit` messages before `before` (the latest ones without it), oldest first, with the
    conversation's events of the same stretch of time. A constant number of queries, whatever the
    conversation's length: an index range read, never an OFFSET."""
    rows = list(history_query(conversation, before)[: limit + 1])
    more = len(rows) > limit
    rows = _of(conversation, reversed(rows[:limit]))
    first = Cursor.of(rows[0]) if rows else None
    since = first.created_at if (rows and more) else None
    until = before.created_at if before is not None else None
    items = _with_events(conversation, rows, since=since, until=until)
    return ChatPage(items=items, first=first or before, older=first if more else None)


def live_query(conversation: Conversation, since: Cursor) -> QuerySet:
    """The conversation's messages from `since` on, oldest first."""
    return (
        _messages_of(conversation)
        .filter(created_at__gte=since.created_at)
        .filter(Q(created_at__gt=since.created_at) | Q(id__gte=since.id))
        .order_by("created_at", "id")
    )


def chat_live(*, conversation: Conversation, since: Cursor | None, from_start: bool = False) -> ChatPage:
    """Everything from `since` (the oldest message of the open page) to now, for the live refresh
    (new messages, delivery statuses), with the events since then (since the beginning when
    `from_start`: the page holds the whole conversation). At most CHAT_LIVE_MAX messages
    (`overflow` beyond)."""
    if since is None:
        return chat_history(conversation=conversation)
    messages = live_query(conversation, since)
    rows = list(messages[: CHAT_LIVE_MAX + 1])
    overflow = len(rows) > CHAT_LIVE_MAX
    rows = _of(conversation, rows[:CHAT_LIVE_MAX])
    return ChatPage(
        items=_with_events(conversation, rows, since=None if from_start else since.created_at, until=None),
        first=since,
        older=None,
        overflow=overflow,
    )


def _of(conversation: Conversation, messages) -> list[Message]:
    """The messages with their conversation set (its customer names them): no query per message."""
    rows = list(messages)
    for message in rows:
        message.conversation = conversation
    return rows


def _with_events(conversation, messages: list[Message], *, since, until) -> list[ChatItem]:
    """The messages and the conversation's events in [since, until) (open ends when None), by time."""
    events = ConversationEvent.objects.for_company(conversation.company_id).filter(conversation=conversation)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    recent = list(events.select_related("actor", "previous_assignee").order_by("-created_at", "-id")[:CHAT_PAGE])
    items = [ChatItem(at=m.created_at, message=m) for m in messages]
    items += [ChatItem(at=e.created_at, event=e) for e in reversed(recent)]
    return sorted(items, key=lambda item: item.at)


def chat_fingerprint(page: ChatPage, conversation: Conversation) -> str:
    """Changes when anything the live part shows changes (a message, its status, an event, who has it)."""
    parts = [conversation.status, str(conversation.assigned_to_id), str(conversation.bot_paused)]
    for item in page.items:
        if item.message is not None:
            parts.append(f"m{item.message.pk}:{item.message.status}:{item.message.attempts}:{len(item.message.files.all())}")
        else:
            parts.append(f"e{item.event.pk}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()
