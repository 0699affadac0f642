"""GOSAC: a ticketing intermediary in front of WhatsApp.

Webhook: `{"type": "messages:created", "data": {mediaUrl, mediaPath, fromMe, body, mediaType, ticketId,
contactId, fromGroup, contact{name,number}, ticket{status,userId}}}`. Replies go to the contact id:
`POST {base_url}/send-message` with `{"contact_id", "message"}` and headers `Authorization` + `INTEGRATION`.
GOSAC signs nothing; the channel's inbound key is the only check.
"""

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from integrations.errors import PermanentError
from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    InboundEvent,
    IncomingMessage,
    MessagingProvider,
    ProviderCredentials,
    SendResult,
    TicketUpdate,
    Unsupported,
    WebhookMalformed,
    as_text,
    call_json,
    digits,
    kind_from_raw_type,
    load_json_object,
    opt_text,
    require_dict,
    scalar_id,
)

MESSAGE_CREATED = "messages:created"


class GosacProvider(MessagingProvider):
    name = "gosac"
    label = "GOSAC"
    reports_status = False  # no documented status endpoint: the WhatsApp session lives inside GOSAC
    required_credentials = ("base_url", "token", "integration")

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        """`messages:created` gives the ticket's state first (so a human takeover pauses the bot before
        this message is processed), then the message. Other types are Unsupported."""
        payload = load_json_object(body)
        event_type = payload.get("type")
        if not isinstance(event_type, str):
            raise WebhookMalformed("type is missing")
        if event_type != MESSAGE_CREATED:
            return [Unsupported(f"gosac event {event_type}")]
        data = require_dict(payload.get("data"), "data")
        contact_id = scalar_id(data.get("contactId"))
        if contact_id is None:
            raise WebhookMalformed("data.contactId is missing")
        contact = data.get("contact") if isinstance(data.get("contact"), dict) else {}
        chat_id = contact_id
        ticket_id = scalar_id(data.get("ticketId"))
        raw_type = as_text(data.get("mediaType"))
        message = IncomingMessage(
            provider_message_id=_message_id(data),
            chat_id=chat_id,
            kind=kind_from_raw_type(raw_type),
            text=as_text(data.get("body")),
            sender_phone=digits(contact.get("number")),
            sender_name=as_text(contact.get("name")),
            from_me=bool(data.get("fromMe")),
            is_group=bool(data.get("fromGroup")),
            media_url=opt_text(data.get("mediaUrl")),
            file_name=_file_name(data),
            timestamp=_parse_iso(data.get("createdAt")),
            raw_type=raw_type,
            ticket_id=ticket_id,
        )
        events: list[InboundEvent] = []
        ticket = data.get("ticket")
        if isinstance(ticket, dict) and ticket_id is not None:
            events.append(
                TicketUpdate(
                    ticket_id=ticket_id,
                    chat_id=chat_id,
                    status=as_text(ticket.get("status")),
                    user_id=_user_id(ticket.get("userId")),
                )
            )
        events.append(message)
        return events

    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        """`to` is the GOSAC contactId (IncomingMessage.chat_id)."""
        self.check_credentials(credentials)
        answer = call_json(
            "POST",
            f"{credentials.base_url.rstrip('/')}/send-message",
            headers=_headers(credentials),
            json={"contact_id": _contact_id(to), "message": text},
        )
        return SendResult(provider_message_id=_answer_id(answer))

    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        """GOSAC documents only a text endpoint, so a document goes out as its link in a text
        message (the customer can still open it). Raw bytes cannot be linked: PermanentError."""
        return self.send_text(credentials, to, _link_text(url_or_bytes, caption or file_name))

    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        """Same limitation as documents: the image's link in a text message."""
        return self.send_text(credentials, to, _link_text(url_or_bytes, caption))

    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        """No network: GOSAC exposes no session status, so the channel counts as connected while its
        credentials are complete (sends will fail loudly otherwise)."""
        self.check_credentials(credentials)
        return ChannelStatus(status=ConnectionStatus.CONNECTED, detail="GOSAC does not report session status")


def _headers(credentials: ProviderCredentials) -> dict:
    # GOSAC takes the key as-is (no "Bearer" prefix).
    return {"Authorization": credentials.token, "INTEGRATION": credentials.integration}


def _contact_id(to: str) -> int | str:
    # Webhooks give contactId as a JSON number; sends give it back unchanged.
    return int(to) if to.isdigit() else to


def _link_text(url_or_bytes: str | bytes, label: str) -> str:
    if not isinstance(url_or_bytes, str):
        raise PermanentError("gosac: only media given by URL can be sent (as a link)")
    return f"{label}\n{url_or_bytes}" if label else url_or_bytes


def _message_id(data: dict) -> str:
    """GOSAC's message id when present; else the delivery's own identity (ticket, creation time,
    sender), so a redelivery deduplicates but a second genuine message with the same text is kept.
    Without those fields either, "" (no dedupe: a duplicate answer beats a lost message)."""
    for key in ("id", "messageId"):
        if scalar_id(data.get(key)):
            return scalar_id(data[key])
    parts = [scalar_id(data.get("ticketId")), as_text(data.get("createdAt")), scalar_id(data.get("contactId"))]
    if not all(parts):
        return ""
    parts.append("me" if data.get("fromMe") else "contact")
    return "sha256:" + hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _file_name(data: dict) -> str | None:
    path = data.get("mediaPath")
    if not path:
        return None
    return as_text(path).rsplit("/", 1)[-1] or None


def _user_id(value: Any) -> str | None:
    user_id = scalar_id(value)
    return None if user_id in (None, "0") else user_id


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _answer_id(answer: Any) -> str:
    if isinstance(answer, dict):
        for candidate in (answer, answer.get("data"), answer.get("message")):
            if isinstance(candidate, dict) and candidate.get("id") not in (None, ""):
                return str(candidate["id"])
    return ""
