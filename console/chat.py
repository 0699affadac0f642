"""Console chat: staff talk to their company's flows as a customer would, through the real pipeline.

Unlike `flow_simulate` (a dry run of the pure engine), a message typed here goes exactly where a
webhook's goes, only synchronously: the console provider's ingest (`inbound_event_ingest`, raw
event + Message row), the conversation's processing without the debounce wait (bot controls, then
the registered handlers, action hooks included: carts, checkout, Pix), the outbound
choke point, and the console provider's send (the flow's delays are not waited for). So an order
taken here is a real Order, with its stock movement and Pix charge.

Each staff user has one simulator customer per company: no phone, the console contact id
`simulator-<user id>`, and the `conversations.services.controls.SIMULATOR_CONTACT_KEY` mark, which
makes it talk to the draft of the live template (like the test contact, in and out of test mode)
and exempts it from test mode and opt-out words. Bot switched off, paused, in maintenance or handed
to a human still silence it, and the reason is reported.
"""

import json
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carts.services import cart_view, shopping_reset
from conversations.models import Channel, Conversation, Message, Provider
from conversations.processing import conversation_process
from conversations.services import (
    conversation_send_due,
    customer_for_contact,
    inbound_event_ingest,
    outbound_block_reason,
)
from conversations.services.controls import SIMULATOR_CONTACT_KEY, BlockReason
from customers.models import Customer
from flows.models import FlowPosition, FlowTemplate
from flows.selectors import live_template, template_snapshot_load
from flows.services.inbound import SIMULATOR_TEMPLATE_KEY, position_from_row
from flows.services.simulate import current_step
from integrations.messaging.base import IncomingMessage, MessageKind
from tenants.models import Company
from tenants.scoping import company_scope

SIMULATOR_CHANNEL_NAME = "Simulador"  # created only when the company has no console channel yet
SEND_ROUNDS = 50  # conversation_send_due sends 20 per run; a turn never queues anywhere near 1000


def simulator_contact_id(user) -> str:
    """The console chat id of `user`'s simulator customer (no digits that could pass for a phone
    besides the id itself, and never a WhatsApp JID)."""
    return f"simulator-{user.pk}"


@dataclass
class ConsoleChat:
    """What the staff member sees after a turn (or when opening the page)."""

    channel: Channel
    customer: Customer
    conversation: Conversation | None
    template: dict | None  # {"id", "name", "version": None (draft)} of the live template, None without one
    transcript: list[dict] = field(default_factory=list)
    step: dict | None = None
    variables: dict = field(default_factory=dict)
    cart: dict | None = None
    result: str = ""  # last turn: processed | blocked | ignored | failed | nothing ("" when nothing was sent)
    blocked_reason: str = ""  # a BlockReason (or the ingest's reason) when the bot did not answer
    notice: str = ""  # the reason for people, pt-BR through gettext
    status: str = ""  # the conversation's status (active, waiting, completed, handoff)


def console_chat_send(
    *,
    company: Company,
    user,
    text: str = "",
    document: dict | None = None,
    reset: bool = False,
    template_id: int | None = None,
):
    """Send `text` (and/or `document`, {"mime": ..., "name": ...}: a file without content) from
    `user`'s simulator customer to `company`'s flows and return the ConsoleChat after the bot's
    answer. `reset=True` first throws the conversation away (its messages and flow position; the
    open cart is cancelled) so the chat starts over; with nothing to send it only resets.
    `template_id` (the builder's docked preview): talk to that template's draft rather than the
    live one's; switching templates starts the chat over."""
    with company_scope(company):
        channel = console_channel_ensure(company=company)
        customer = simulator_customer_ensure(channel=channel, user=user)
        if _preview_template_choose(customer, template_id):
            reset = True
        if reset:
            _reset(company, channel, customer)
        if not (text or "").strip() and not document:
            return _chat(company, channel, customer, template_id)
        body = {"from": simulator_contact_id(user), "text": text or "", "id": f"sim-{uuid.uuid4().hex}"}
        if document:
            body |= {"kind": "document", "mime": document.get("mime", ""), "file_name": document.get("name", "")}
        with transaction.atomic():
            answer = inbound_event_ingest(channel=channel, headers={}, body=json.dumps(body).encode())
        outcome = (answer.get("results") or [{}])[0]
        result, reason = answer["status"], outcome.get("reason", "")
        message_id = outcome.get("message_id")
        if answer["status"] == "accepted" and not reason:
            conversation_id = Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).get()
            # Processing outside any transaction of ours: a turn that reads from the AI service makes
            # that call with no transaction open (conversations.outside_calls). The tasks the
            # pipeline enqueued find nothing left to do (processing and sending run under the lock).
            run = conversation_process(conversation_id=conversation_id, debounce=False)
            result, reason = run.result, run.reason
            _send_now(conversation_id)
        chat = _chat(company, channel, customer, template_id)
        chat.result = result
        chat.blocked_reason = reason or chat.blocked_reason
        if result == "failed":
            chat.notice = _("The message could not be applied; it is kept for replay in the inbound events.")
        elif chat.blocked_reason:
            chat.notice = _notice(chat.blocked_reason)
        return chat


def console_chat_load(*, company: Company, user, template_id: int | None = None) -> ConsoleChat:
    """`user`'s console chat with `company` as it stands: transcript in order, current step,
    variables, open cart, and why the bot would stay silent now (if it would). With `template_id`
    (the builder's preview): the chat with that template's draft (a switch starts it over)."""
    with company_scope(company):
        channel = console_channel_ensure(company=company)
        customer = simulator_customer_ensure(channel=channel, user=user)
        if _preview_template_choose(customer, template_id):
            _reset(company, channel, customer)
        return _chat(company, channel, customer, template_id)


def _preview_template_choose(customer: Customer, template_id: int | None) -> bool:
    """Make the simulator customer talk to `template_id`'s draft (None: the live template's);
    True when that changed (the conversation must start over)."""
    ids = dict(customer.provider_contact_ids or {})
    wanted = str(template_id) if template_id else None
    if ids.get(SIMULATOR_TEMPLATE_KEY) == wanted:
        return False
    if wanted is None:
        ids.pop(SIMULATOR_TEMPLATE_KEY, None)
    else:
        ids[SIMULATOR_TEMPLATE_KEY] = wanted
    customer.provider_contact_ids = ids
    customer.save(update_fields=["provider_contact_ids", "updated_at"])
    return True


def _chat(company: Company, channel: Channel, customer: Customer, template_id: int | None = None) -> ConsoleChat:
    """The ConsoleChat of `customer` on `channel`, read now (inside the company scope)."""
    conversation = (
        Conversation.objects.select_related("company", "customer", "channel")
        .filter(channel=channel, customer=customer)
        .first()
    )
    chat = ConsoleChat(
        channel=channel, customer=customer, conversation=conversation, template=_previewed(template_id) or _live()
    )
    if conversation is not None:
        chat.transcript = _transcript(conversation)
        chat.step = _step(conversation)
        chat.variables = dict(conversation.variables or {})
        chat.status = conversation.status
        reason = outbound_block_reason(conversation)
    else:
        reason = outbound_block_reason(Conversation(company=company, channel=channel, customer=customer))
    chat.cart = _cart(company, customer)
    if reason:
        chat.blocked_reason, chat.notice = reason, _notice(reason)
    elif chat.template is None:
        chat.notice = _("No active flow template: the bot has nothing to say.")
    return chat


def console_channel_ensure(*, company: Company) -> Channel:
    """The company's console channel (the demo's, when it exists), created connected when missing."""
    channels = Channel.objects.for_company(company).filter(provider=Provider.CONSOLE)
    channel = channels.order_by("pk").first()
    if channel is None:
        channel, _ = Channel.objects.for_company(company).get_or_create(
            company=company,
            provider=Provider.CONSOLE,
            name=SIMULATOR_CHANNEL_NAME,
            defaults={"status": Channel.Status.CONNECTED},
        )
    return channel


def simulator_customer_ensure(*, channel: Channel, user) -> Customer:
    """`user`'s simulator customer in the channel's company: found or created by its console contact
    id exactly as the ingest does (`customer_for_contact`), then given the simulator mark if it
    lacks it."""
    contact_id = simulator_contact_id(user)
    incoming = IncomingMessage(
        provider_message_id="",
        chat_id=contact_id,
        kind=MessageKind.TEXT,
        sender_name=_("Simulator (%(user)s)") % {"user": user.get_username()},
    )
    customer = customer_for_contact(channel=channel, incoming=incoming)
    if SIMULATOR_CONTACT_KEY not in (customer.provider_contact_ids or {}):
        customer.provider_contact_ids = {**(customer.provider_contact_ids or {}), SIMULATOR_CONTACT_KEY: str(user.pk)}
        customer.save(update_fields=["provider_contact_ids", "updated_at"])
    return customer


def _reset(company: Company, channel: Channel, customer: Customer) -> None:
    with transaction.atomic():
        Conversation.objects.for_company(company).filter(channel=channel, customer=customer).delete()
        shopping_reset(company=company, customer=customer)


def _send_now(conversation_id: int) -> None:
    """Send what the turn queued at once: the flow's delays are not waited for here (the rows keep
    their order), then the console provider's send runs as the send task would."""
    Message.objects.filter(
        conversation_id=conversation_id, direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED
    ).update(send_after=timezone.now())
    for _round in range(SEND_ROUNDS):
        run = conversation_send_due(conversation_id=conversation_id)
        if not (run.sent or run.failed or run.expired) or run.waiting or run.retry_message_id:
            return


def _transcript(conversation: Conversation) -> list[dict]:
    rows = Message.objects.filter(conversation=conversation).order_by("created_at", "id")
    return [
        {
            "id": m.pk,
            "direction": m.direction,
            "inbound": m.direction == Message.Direction.INBOUND,
            "kind": m.kind,
            "text": m.text,
            "file_name": m.file_name,
            "status": m.status,
            "status_label": m.get_status_display(),
            "reason": m.reason,
            "error": m.error,
            "created_at": m.created_at,
        }
        for m in rows
    ]


def _step(conversation: Conversation) -> dict | None:
    row = FlowPosition.objects.filter(conversation=conversation).first()
    if row is None or row.current_template_id is None:
        return None
    position = position_from_row(row)
    snapshot = template_snapshot_load(template_id=row.current_template_id, version=row.current_version)
    step = current_step(snapshot, position)
    if step is not None:
        step["version"] = row.current_version  # None: the draft
    return step


def _previewed(template_id: int | None) -> dict | None:
    if not template_id:
        return None
    row = FlowTemplate.objects.filter(pk=template_id).values("id", "name", "published_version").first()
    if row is None:
        return None
    return {
        "id": row["id"],
        "name": row["name"],
        "published_version": row["published_version"] or None,
        "version": None,
    }


def _live() -> dict | None:
    live = live_template()
    if live is None:
        return None
    name = FlowTemplate.objects.filter(pk=live[0]).values_list("name", flat=True).first()
    return {"id": live[0], "name": name, "published_version": live[1] or None, "version": None}


def _cart(company: Company, customer: Customer) -> dict | None:
    """The open bot cart's summary, or None when none is open."""
    view = cart_view(company=company, customer=customer)
    if view.cart is None:
        return None
    return {
        "id": view.cart.pk,
        "items": [
            {
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "total": item.unit_price * item.quantity,
            }
            for item in view.items
        ],
        "zone": view.zone.neighbourhood if view.zone else "",
        "subtotal": view.subtotal,
        "fee": view.fee,
        "total": view.total,
    }


def _notice(reason: str) -> str:
    notices = {
        BlockReason.BOT_DISABLED: _("The bot is switched off for this company: nobody is answered."),
        BlockReason.BOT_PAUSED: _("The bot is paused: nobody is answered until it is resumed."),
        BlockReason.MAINTENANCE: _("The bot is in maintenance: only the maintenance notice is sent."),
        BlockReason.HANDOFF: _("A person took over this conversation: the bot stays silent. Start over to talk to it."),
        BlockReason.RATE_LIMITED: _("Too many messages this minute: this one was stored but not answered."),
        BlockReason.OPTED_OUT: _("This customer opted out."),
        BlockReason.TEST_MODE: _("Test mode: only the test contact is answered."),
    }
    return notices.get(reason, _("Not answered: %(reason)s") % {"reason": reason})
