"""Webhook ingest: store the raw event first, then apply what it says (SPEC §4 rules 2-7).

The request is thin (`inbound_event_receive`): after the door's checks (`api/webhooks.py`) it stores
the raw event and publishes `tasks.inbound_event_apply_task`. The worker parses the stored body and
applies it (`inbound_event_process`: customer, conversation, message — the unique constraints drop
duplicates), then the conversation's debounced processing (`tasks.conversation_process_task`) runs
the flow. An event whose publish was refused stays `received` and the inbound sweep publishes it
again. `inbound_event_ingest` does both at once (the console chat, and the bench's "inline" floor).
"""

import hashlib
from datetime import timedelta

import structlog
from django.db import connection, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from conversations.models import Channel, Conversation, ConversationEvent, InboundEvent, Message
from conversations.providers import (
    ConnectionUpdate,
    ContactChanged,
    IncomingMessage,
    MessageKind,
    MessageStatusUpdate,
    TicketUpdate,
    Unsupported,
    WebhookMalformed,
    credentials_for,
    get_provider,
    storable_event,
)
from conversations.services.channels import channel_set_status
from conversations.services.controls import BlockReason, rate_limit_exceeded
from conversations.services.inbox import conversation_event_record
from conversations.services.outbound import message_kind_of, message_status_apply
from customers.models import Customer
from customers.phones import whatsapp_id_phone
from tenants.sweeps import sweep_companies
from tenants.tasks import task_publish_on_commit

logger = structlog.get_logger(__name__)

UNAPPLIED_GRACE = timedelta(seconds=60)  # an apply task normally runs within a second of its publish

# Request headers worth keeping with the raw event; anything carrying a credential is dropped.
KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256", "x-request-id", "x-forwarded-for")


def safe_headers(headers: dict) -> dict:
    return {key.lower(): value for key, value in headers.items() if key.lower() in KEPT_HEADERS}


def inbound_event_ingest(*, channel: Channel, headers: dict, body: bytes) -> dict:
    """Parse, store and apply one verified webhook delivery; return the JSON answer (always a 200).

    Raises WebhookMalformed (nothing stored) when the body is not this provider's shape. The raw
    event is written before anything is applied and survives a failure while applying (a `failed`
    row to replay from the admin), so a delivery answered 200 is never lost.
    """
    provider = get_provider(channel.provider)
    events = provider.parse_webhook(headers, body, credentials_for(channel))
    stored_body = provider.redact_webhook_body(body)  # the replayable body, without credentials
    # One transaction, one commit: the event row is written first and applying runs in a savepoint
    # (inbound_event_apply), so a failure rolls back only what applying wrote and the event is
    # committed as `failed`. Tasks enqueued while applying go out after this commit.
    with transaction.atomic():
        event = InboundEvent.objects.for_company(channel.company_id).create(
            company_id=channel.company_id,
            channel=channel,
            headers=safe_headers(headers),
            body=stored_body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        )
        return inbound_event_apply(event, events=events)


def inbound_event_receive(*, channel: Channel, headers: dict, body: bytes) -> InboundEvent:
    """The thin request: store the raw event (one INSERT, committed at once) and publish its applying.

    The caller checked the body at the door (size, JSON, signature, the provider's parser). A refused
    publish leaves the event `received`: the inbound sweep publishes it again, so a 200 is never lost.
    """
    from conversations.tasks import inbound_event_apply_task  # noqa: PLC0415 - tasks import these services

    stored_body = get_provider(channel.provider).redact_webhook_body(body)
    event = InboundEvent(
        company_id=channel.company_id,
        channel=channel,
        headers=safe_headers(headers),
        body=stored_body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
    )
    event.save(force_insert=True)  # the row names its company: no scoped queryset to build per request
    task_publish_on_commit(inbound_event_apply_task, company_id=channel.company_id, event_id=event.pk)
    return event


def inbound_event_process(*, event_id: int) -> dict:
    """The worker's half of a delivery: parse the stored body and apply it, once.

    An event already applied (a redelivered task) is left as it is; a body the parser cannot read
    (stored before a parser change, say) is ignored with the parser's reason, never failed.
    """
    event = InboundEvent.objects.select_related("channel__company").filter(pk=event_id).first()
    if event is None:
        return {"status": "missing", "event_id": event_id}
    if event.status != InboundEvent.Status.RECEIVED:
        return {"status": "done", "event_id": event_id}
    channel = event.channel
    try:
        events = get_provider(channel.provider).parse_webhook(
            event.headers, event.body.encode("utf-8", "surrogatepass"), credentials_for(channel)
        )
    except WebhookMalformed as exc:
        _finish(event, InboundEvent.Status.IGNORED, f"malformed: {exc.message}")
        return {"status": "ignored", "event_id": event.pk, "results": []}
    return inbound_event_apply(event, events=events)


def inbound_events_unapplied(*, limit: int = 500) -> list[tuple[int, int]]:
    """(company_id, event_id) of raw events still `received` past the sweep's grace: their apply task
    was refused or lost. At most `limit` per company, oldest first (the partial pending index)."""
    cutoff = timezone.now() - UNAPPLIED_GRACE
    found = []
    for company in sweep_companies():
        found += [
            (company.pk, event_id)
            for event_id in InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED, received_at__lte=cutoff)
            .order_by("received_at")
            .values_list("pk", flat=True)[:limit]
        ]
    return found


def inbound_event_replay(event: InboundEvent) -> dict:
    """Apply a stored event again (admin action). Safe: duplicates are dropped by the constraints."""
    channel = event.channel
    events = get_provider(channel.provider).parse_webhook(event.headers, event.body.encode(), credentials_for(channel))
    return inbound_event_apply(event, events=events)


def inbound_event_apply(event: InboundEvent, *, events: list) -> dict:
    """Apply parsed events of a stored InboundEvent; mark it processed/ignored/failed with the reason.

    When applying raises, what it wrote (and the tasks it scheduled) is rolled back and only the
    event's `failed` status is kept (inside a caller's transaction, applying is a savepoint).
    """
    channel = event.channel
    results = []
    events = [storable_event(item) for item in events]
    # A chat whose ticket a human holds in this very delivery: its message is the agent's to answer,
    # even if the ticket closes before the debounce runs the bot.
    held = {item.chat_id for item in events if isinstance(item, TicketUpdate) and item.human_took_over}
    try:
        # One transaction: what applying wrote and the event's status commit together; when applying
        # raises, all of it (and the tasks it scheduled) is rolled back and only `failed` is written.
        with transaction.atomic():
            # Messages first: a GOSAC ticket event comes before the message that creates the conversation.
            ordered = sorted(events, key=lambda item: not isinstance(item, IncomingMessage))
            for item in ordered:
                results.append(_apply_one(channel, item, held=held, received_at=event.received_at))
            accepted = [r for r in results if r["result"] in ("accepted", "applied")]
            reasons = {r.get("reason", "") for r in results if r["result"] not in ("accepted", "applied")}
            reason = "; ".join(sorted(reasons - {""}))
            if accepted:
                _finish(event, InboundEvent.Status.PROCESSED, reason)
                status = "accepted"
            else:
                _finish(event, InboundEvent.Status.IGNORED, reason or "no events")
                status = "ignored"
    except Exception as exc:  # noqa: BLE001 - the raw event is kept and marked for replay, never lost
        logger.exception("inbound_event_failed", inbound_event_id=event.pk)
        _finish(event, InboundEvent.Status.FAILED, exc.__class__.__name__)
        return {"status": "failed", "event_id": event.pk, "detail": "stored for replay"}
    return {"status": status, "event_id": event.pk, "results": results}


def _finish(event: InboundEvent, status: str, reason: str) -> None:
    InboundEvent.objects.for_company(event.company_id).filter(pk=event.pk).update(
        status=status, reason=reason[:255], processed_at=timezone.now()
    )
    event.status = status


def _apply_one(channel: Channel, item, *, held: set[str] = frozenset(), received_at=None) -> dict:
    if isinstance(item, IncomingMessage):
        if item.edited_id:
            return message_edit_apply(channel=channel, incoming=item)
        return message_record_inbound(
            channel=channel, incoming=item, human_holds=item.chat_id in held, received_at=received_at
        )
    if isinstance(item, MessageStatusUpdate):
        applied = message_status_apply(
            channel=channel,
            provider_message_id=item.provider_message_id[:200],
            status=str(item.status),
            error=item.error[:2000],
        )
        return {"event": "status", "result": "applied" if applied else "ignored", "reason": "" if applied else "stale"}
    if isinstance(item, ConnectionUpdate):
        channel_set_status(
            channel,
            str(item.status),
            reason=(item.reason or "webhook")[:255],
            phone=(item.phone or "")[:20] or None,
            qr_code=item.qr_code,
        )
        return {"event": "connection", "result": "applied", "status": str(item.status)}
    if isinstance(item, TicketUpdate):
        changed = conversation_ticket_apply(channel=channel, ticket=item)
        return {"event": "ticket", "result": "applied" if changed else "unchanged", "reason": ""}
    if isinstance(item, ContactChanged):
        return customer_number_change(channel=channel, change=item)
    if isinstance(item, Unsupported):
        return {"event": "unsupported", "result": "ignored", "reason": item.reason[:255]}
    return {"event": "unknown", "result": "ignored", "reason": "unknown event"}


def customer_number_change(*, channel: Channel, change: ContactChanged) -> dict:
    """The customer moved to a new WhatsApp number: the same customer (history, cart, orders) is
    answered at the new id and known by the new phone (unless another customer already has it)."""
    customers = Customer.objects.for_company(channel.company_id)
    old_phone = whatsapp_id_phone(change.old_chat_id)
    customer = customers.filter(**{f"provider_contact_ids__{channel.provider}": change.old_chat_id}).first()
    if customer is None and old_phone:
        customer = customers.filter(phone=old_phone).first()
    if customer is None:
        return {"event": "contact_changed", "result": "ignored", "reason": "number change of an unknown customer"}
    customer.provider_contact_ids = {**(customer.provider_contact_ids or {}), channel.provider: change.new_chat_id}
    changed = ["provider_contact_ids", "updated_at"]
    new_phone = whatsapp_id_phone(change.new_chat_id)
    if new_phone and not customers.filter(phone=new_phone).exclude(pk=customer.pk).exists():
        customer.phone = new_phone
        changed.append("phone")
    customer.save(update_fields=changed)
    return {"event": "contact_changed", "result": "applied", "reason": ""}


def message_edit_apply(*, channel: Channel, incoming: IncomingMessage) -> dict:
    """The customer edited a message: the original's text changes; nothing is answered again."""
    company = channel.company
    text = (incoming.text or "")[: company.max_incoming_text_chars]
    changed = (
        Message.objects.for_company(company)
        .filter(channel=channel, direction=Message.Direction.INBOUND, provider_message_id=incoming.edited_id[:200])
        .update(text=text)
    )
    if changed:
        return {"event": "edit", "result": "applied", "reason": "edit"}
    return {"event": "edit", "result": "ignored", "reason": "edit of an unknown message"}


def message_record_inbound(
    *, channel: Channel, incoming: IncomingMessage, human_holds: bool = False, received_at=None
) -> dict:
    """Store one incoming message; drop it when it is a duplicate (the unique constraint decides).

    fromMe, group, unsupported media and a message written while a human holds the conversation
    (`human_holds`: its ticket says so in this delivery) are
    stored as `ignored` with the reason; past the
    conversation's rate limit a message is stored but not answered. Otherwise it is `received`
    and the conversation's processing is enqueued after commit. `received_at` (the raw event's
    arrival) dates the message, so two deliveries applied by two workers keep the order they came in.
    """
    company = channel.company
    received_at = received_at or timezone.now()
    customer, customer_is_new = _customer_for_contact(channel=channel, incoming=incoming)
    conversations = Conversation.objects.for_company(company)
    # A customer this transaction created has no conversation yet: no look for one.
    conversation = None if customer_is_new else conversations.filter(channel=channel, customer=customer).first()
    if conversation is None:
        # Dated like its first message: processing then has no last_inbound_at to write.
        fresh = Conversation(company=company, channel=channel, customer=customer, last_inbound_at=received_at)
        conversation = (
            fresh if insert_unless_duplicate(fresh) else conversations.get(channel=channel, customer=customer)
        )
    conversation.company = company  # already loaded with the channel: no query for the rate limit
    reason = incoming.ignore_reason() or ""
    if not reason and human_holds:
        reason = BlockReason.HANDOFF
    text = (incoming.text or "")[: company.max_incoming_text_chars]
    message = Message(
        company=company,
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.INBOUND,
        kind=message_kind_of(str(incoming.kind)),
        text=text,
        media_url=(incoming.media_url or "")[:1000],
        media_id=(incoming.media_id or "")[:200],
        media_mime=(incoming.media_mime or "")[:100],
        file_name=(incoming.file_name or "")[:255],
        provider_message_id=(incoming.provider_message_id or "")[:200],
        status=Message.Status.IGNORED if reason else Message.Status.RECEIVED,
        reason=reason,
        created_at=received_at,
    )
    if not insert_unless_duplicate(message):
        return {"event": "message", "result": "duplicate", "reason": "duplicate"}
    if not reason and rate_limit_exceeded(conversation):
        reason = BlockReason.RATE_LIMITED
        Message.objects.for_company(company).filter(pk=message.pk).update(status=Message.Status.IGNORED, reason=reason)
    if _stores_a_file(incoming, reason) and (message.media_url or message.media_id):
        _schedule_download(company.pk, message.pk)
    if reason and reason != BlockReason.RATE_LIMITED:
        return {"event": "message", "result": "ignored", "reason": reason, "message_id": message.pk}
    # No UPDATE of the conversation here: its row is locked while it is processed or sent to (which
    # can take a provider's timeout), and a webhook must not wait for that. Processing records
    # last_inbound_at.
    if not reason:
        _schedule_processing(company, conversation)
    return {"event": "message", "result": "accepted", "reason": reason, "message_id": message.pk}


def _stores_a_file(incoming: IncomingMessage, reason: str) -> bool:
    """Files the bot may read (documents, images such as a Pix receipt, voice notes) are downloaded
    and stored when the message is answered or only rate limited; staff see them in the inbox."""
    files = (MessageKind.DOCUMENT, MessageKind.IMAGE, MessageKind.AUDIO)
    return incoming.kind in files and reason in ("", BlockReason.RATE_LIMITED)


def _schedule_processing(company, conversation: Conversation) -> None:
    """Debounce: after commit, enqueue the conversation's processing unless a run is already pending.

    `robust`: the delivery is committed by then, so a broker outage must not turn it into a 500 (the
    provider would redeliver a duplicate); the inbound sweep processes what was not enqueued.
    """
    from conversations.processing import (  # noqa: PLC0415 - processing imports services
        processing_schedule,
        processing_take_inline,
    )

    kwargs = {
        "company_id": company.pk,
        "conversation_id": conversation.pk,
        "countdown": company.message_debounce_seconds,
    }
    if processing_take_inline(**kwargs):  # the apply task processes it itself once committed
        return
    transaction.on_commit(lambda: processing_schedule(**kwargs), robust=True)


def _schedule_download(company_id: int, message_id: int) -> None:
    from conversations.tasks import received_file_download_task  # noqa: PLC0415 - tasks import these services

    # A refused publish is picked up by the inbound sweep (documents with no file yet).
    task_publish_on_commit(received_file_download_task, company_id=company_id, message_id=message_id)


def customer_for_contact(*, channel: Channel, incoming: IncomingMessage) -> Customer:
    """The company's Customer for this sender: by normalised phone, else by the provider's chat id.

    Records the provider's chat id in provider_contact_ids (replies go there), and the name when
    the customer had none. Concurrent first messages from one phone make one Customer (unique
    (company, phone) + get_or_create's retry); from one phone-less chat id (an `@lid`), one
    Customer too (creation serialised per company and chat id by `lock_for_transaction`).

    The customer is the other side of the chat: a group is its own phone-less contact (a member's
    phone must not re-point that member's replies to the group), and a message we sent ourselves
    (fromMe) names us as sender, so its name is not the customer's.
    """
    return _customer_for_contact(channel=channel, incoming=incoming)[0]


def _customer_for_contact(*, channel: Channel, incoming: IncomingMessage) -> tuple[Customer, bool]:
    """`customer_for_contact`, and whether this call created the customer."""
    company = channel.company
    customers = Customer.objects.for_company(company)
    phone, name = None, ""
    created = False
    if not incoming.is_group and "@g.us" not in (incoming.chat_id or ""):
        phone = whatsapp_id_phone(incoming.sender_phone) or whatsapp_id_phone(incoming.chat_id)
        name = "" if incoming.from_me else (incoming.sender_name or "")[:200]
    if phone:
        contact_ids = {channel.provider: incoming.chat_id} if incoming.chat_id else {}
        customer = customers.filter(phone=phone).first()
        if customer is None:
            fresh = Customer(company=company, phone=phone, name=name, provider_contact_ids=contact_ids)
            created = insert_unless_duplicate(fresh)
            customer = fresh if created else customers.get(phone=phone)
    else:
        with transaction.atomic():
            # No phone, so no unique column to decide: concurrent first messages of one chat id take
            # turns here, and the second one finds the customer the first created.
            lock_for_transaction(f"customer-contact:{company.pk}:{channel.provider}:{incoming.chat_id}")
            customer = customers.filter(**{f"provider_contact_ids__{channel.provider}": incoming.chat_id}).first()
            if customer is None:
                customer = customers.create(
                    company=company, name=name, provider_contact_ids={channel.provider: incoming.chat_id}
                )
                created = True
    changed = []
    contact_ids = dict(customer.provider_contact_ids or {})
    if incoming.chat_id and contact_ids.get(channel.provider) != incoming.chat_id:
        contact_ids[channel.provider] = incoming.chat_id
        customer.provider_contact_ids = contact_ids
        changed.append("provider_contact_ids")
    if name and not customer.name:
        customer.name = name
        changed.append("name")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer, created


def insert_unless_duplicate(row) -> bool:
    """INSERT the unsaved `row` unless a unique constraint already holds its twin; True (and the row's
    primary key set) when inserted. One statement (`ON CONFLICT DO NOTHING RETURNING`): no savepoint
    and no IntegrityError to catch, and a concurrent twin's insert is waited for, then skipped."""
    meta = row._meta
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    returned = type(row)._base_manager._insert(
        [row], fields=fields, returning_fields=meta.db_returning_fields, on_conflict=OnConflict.IGNORE
    )
    if not returned or returned[0] is None:  # PostgreSQL fetches one row: None when it was skipped
        return False
    for value, field in zip(returned[0], meta.db_returning_fields, strict=True):
        setattr(row, field.attname, value)
    row._state.adding, row._state.db = False, "default"
    return True


def lock_for_transaction(name: str) -> None:
    """Wait for, then hold until the current transaction ends, an exclusive lock named `name`.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name. SQLite needs
    nothing: its write transactions (BEGIN IMMEDIATE) already run one at a time. Call it inside
    `transaction.atomic()`.
    """
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def conversation_ticket_apply(*, channel: Channel, ticket: TicketUpdate) -> bool:
    """The provider's ticket of this chat changed (GOSAC): an agent there took it (the bot pauses, as
    when staff take it in the inbox), closed it (resolved, as in the inbox), or put it back in the
    queue after taking it (the bot resumes).

    Only a change of the ticket is applied: GOSAC repeats the ticket's state on every message, so
    "pending, nobody took it" repeated must neither reset where the flow stands nor undo a takeover
    made in the inbox or asked for by the flow. True when a conversation changed.
    """
    customers = Customer.objects.for_company(channel.company_id).filter(
        **{f"provider_contact_ids__{channel.provider}": ticket.chat_id}
    )
    conversations = Conversation.objects.for_company(channel.company_id).filter(channel=channel, customer__in=customers)
    state = f"{ticket.ticket_id}|{ticket.status}|{ticket.user_id or ''}"[:100]
    changed = False
    for conversation in conversations.exclude(provider_ticket=state):
        changed |= _ticket_change(conversation, ticket, state)
    return changed


def _ticket_change(conversation: Conversation, ticket: TicketUpdate, state: str) -> bool:
    was_human = _ticket_was_human(conversation.provider_ticket)
    fields = {"provider_ticket": state}
    event, detail = None, ""
    if ticket.human_took_over:
        fields.update(bot_paused=True, status=Conversation.Status.HANDOFF)
        event, detail = ConversationEvent.Kind.PROVIDER_TAKEN, f"{ticket.user_id}"
    elif ticket.status == "closed" and (conversation.bot_paused or was_human):
        fields.update(bot_paused=False, status=Conversation.Status.RESOLVED, assigned_to=None, assigned_at=None)
        event = ConversationEvent.Kind.PROVIDER_CLOSED
    elif was_human:
        fields.update(bot_paused=False, status=Conversation.Status.ACTIVE)
        event = ConversationEvent.Kind.PROVIDER_RELEASED
    # Conditional on the state read: two deliveries applying the same change write it once.
    applied = (
        Conversation.objects.for_company(conversation.company_id)
        .filter(pk=conversation.pk, provider_ticket=conversation.provider_ticket)
        .update(**fields, **({"updated_at": timezone.now()} if event else {}))
    )
    if not (applied and event):
        return False
    conversation_event_record(conversation, event, detail=detail)
    return True


def _ticket_was_human(state: str) -> bool:
    """Whether a stored ticket state ("id|status|user") had an agent on it at the provider."""
    _ticket_id, _, rest = state.partition("|")
    status, _, user_id = rest.partition("|")
    return bool(user_id) and status != "closed"
