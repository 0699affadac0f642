"""UAZAPI (uazapiGO v2).

Webhook bodies carry `EventType`: `messages` (one `message` object), `messages_update` (delivery
receipts: `event.MessageIDs` + `state`) and `connection` (`instance.status`, `instance.qrcode`).
Every body also carries the instance `token`; UAZAPI signs nothing, so `verify_webhook` compares that
token with the channel's when both are present. API: header `token`, `POST /send/text`,
`POST /send/media`, `GET /instance/status`.
"""

import base64
import hmac
from collections.abc import Mapping
from typing import Any

from integrations.errors import PermanentError
from integrations.messaging.base import (
    CONNECT,
    DISCONNECT,
    ChannelStatus,
    ConnectionStatus,
    ConnectionUpdate,
    DeliveryStatus,
    InboundEvent,
    IncomingMessage,
    MediaSource,
    MessageKind,
    MessageStatusUpdate,
    MessagingProvider,
    ProviderCredentials,
    SendResult,
    Unsupported,
    WebhookMalformed,
    WebhookRejected,
    as_text,
    call_json,
    contact_text,
    decode_media,
    digits,
    from_epoch,
    kind_from_raw_type,
    load_json_object,
    location_text,
    opt_text,
    require_dict,
    scalar_id,
    vcard_phones,
)

_CONNECTION = {
    "connected": ConnectionStatus.CONNECTED,
    "connecting": ConnectionStatus.CONNECTING,
    "disconnected": ConnectionStatus.DISCONNECTED,
}
# Receipt types seen in production captures; "Played" (a voice note heard) implies read.
_RECEIPT = {
    "sent": DeliveryStatus.SENT,
    "serverack": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "readself": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
    "error": DeliveryStatus.FAILED,
}


class UazapiProvider(MessagingProvider):
    name = "uazapi"
    label = "UAZAPI"
    required_credentials = ("base_url", "token")
    secret_body_fields = ("token",)  # the instance token, repeated in every webhook body
    connection_actions = frozenset({CONNECT, DISCONNECT})  # no restart in UAZAPI's API

    def connection_action(self, credentials: ProviderCredentials, action: str) -> None:
        """`POST /instance/connect` (without a phone: a QR follows) or `POST /instance/disconnect`."""
        self.check_credentials(credentials)
        paths = {CONNECT: "/instance/connect", DISCONNECT: "/instance/disconnect"}
        if action not in paths:
            super().connection_action(credentials, action)
        call_json("POST", _url(credentials, paths[action]), headers=_headers(credentials), json={})

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials) -> None:
        """Reject (403) a body whose `token` is not this channel's instance token. A body without a token
        passes: the unguessable inbound key in the URL already authenticates it."""
        if not credentials.token:
            return
        try:
            payload = load_json_object(body)
        except WebhookMalformed:
            return  # parse_webhook will answer 400
        sent_token = payload.get("token")
        if isinstance(sent_token, str) and sent_token:
            if not hmac.compare_digest(sent_token.encode(), credentials.token.encode()):
                raise WebhookRejected(403, "uazapi: instance token does not match this channel")

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        payload = load_json_object(body)
        event_type = payload.get("EventType")
        if not isinstance(event_type, str):
            raise WebhookMalformed("EventType is missing")
        if event_type == "messages":
            return [_message(require_dict(payload.get("message"), "message"))]
        if event_type == "messages_update":
            return _receipts(payload)
        if event_type == "connection":
            return [_connection(require_dict(payload.get("instance"), "instance"), payload)]
        return [Unsupported(f"uazapi event {event_type}")]

    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        """`to` may be a chat JID as received (`...@s.whatsapp.net`, `@g.us`, `@lid`) or phone digits."""
        return self._send(credentials, "/send/text", {"number": to, "text": text})

    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        payload = {"number": to, "type": "document", "file": _file(url_or_bytes), "docName": file_name}
        if caption:
            payload["text"] = caption
        return self._send(credentials, "/send/media", payload)

    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        payload = {"number": to, "type": "image", "file": _file(url_or_bytes)}
        if caption:
            payload["text"] = caption
        return self._send(credentials, "/send/media", payload)

    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        """`GET /instance/status`: the state, the owner's number when connected, the QR while connecting."""
        self.check_credentials(credentials)
        answer = call_json("GET", _url(credentials, "/instance/status"), headers=_headers(credentials))
        instance = answer.get("instance") if isinstance(answer, dict) else None
        if not isinstance(instance, dict):
            return ChannelStatus(status=ConnectionStatus.DISCONNECTED, detail="uazapi: no instance in answer")
        status = _CONNECTION.get(as_text(instance.get("status")).lower(), ConnectionStatus.DISCONNECTED)
        return ChannelStatus(
            status=status,
            phone=digits(instance.get("owner")) if status == ConnectionStatus.CONNECTED else None,
            qr_code=opt_text(instance.get("qrcode")) if status == ConnectionStatus.CONNECTING else None,
            detail=as_text(instance.get("lastDisconnectReason")),
        )

    def media_source(
        self,
        credentials: ProviderCredentials,
        *,
        provider_message_id: str,
        media_url: str = "",
        media_id: str = "",
    ) -> MediaSource | None:
        """The webhook's `content.URL` is WhatsApp's encrypted blob: `POST /message/download` with the
        message id makes UAZAPI decrypt it and answer a link (`fileURL`) or the bytes (`base64Data`)."""
        if not provider_message_id:
            return None
        self.check_credentials(credentials)
        answer = call_json(
            "POST",
            _url(credentials, "/message/download"),
            headers=_headers(credentials),
            json={"id": provider_message_id, "return_link": True},
        )
        answer = answer if isinstance(answer, dict) else {}
        mime = as_text(answer.get("mimetype"))
        if as_text(answer.get("fileURL")):
            return MediaSource(url=answer["fileURL"], mime=mime)
        if as_text(answer.get("base64Data")):
            return MediaSource(content=decode_media(answer["base64Data"], self.name), mime=mime)
        raise PermanentError("uazapi: /message/download answered neither fileURL nor base64Data")

    def _send(self, credentials: ProviderCredentials, path: str, payload: dict) -> SendResult:
        self.check_credentials(credentials)
        answer = call_json("POST", _url(credentials, path), headers=_headers(credentials), json=payload)
        return SendResult(provider_message_id=_answer_id(answer))


def _message(message: dict) -> IncomingMessage | Unsupported:
    provider_id = scalar_id(message.get("messageid")) or _strip_owner(scalar_id(message.get("id")))
    chat_id = scalar_id(message.get("chatid"))
    if not provider_id or not chat_id:
        raise WebhookMalformed("message.messageid and message.chatid are required")
    content = message.get("content") if isinstance(message.get("content"), dict) else {}
    raw_type = as_text(message.get("messageType"))
    is_group = bool(message.get("isGroup")) or str(chat_id).endswith("@g.us")
    kind, text = kind_from_raw_type(raw_type or message.get("mediaType")), as_text(message.get("text"))
    as_text_content = _content_text(raw_type, message, content)
    if as_text_content is not None:
        if not as_text_content:
            return Unsupported(f"uazapi: {raw_type} without usable content")
        kind, text = MessageKind.TEXT, as_text_content
    return IncomingMessage(
        provider_message_id=provider_id,
        chat_id=chat_id,
        kind=kind,
        text=text,
        sender_phone=_sender_phone(message, is_group, from_me=bool(message.get("fromMe"))),
        sender_name=as_text(message.get("senderName")),
        from_me=bool(message.get("fromMe")),
        is_group=is_group,
        # content.URL is WhatsApp's encrypted blob: the download goes through UAZAPI, by message id.
        media_url=opt_text(content.get("URL")),
        media_mime=opt_text(content.get("mimetype")),
        file_name=opt_text(content.get("fileName")),
        timestamp=from_epoch(message.get("messageTimestamp")),
        raw_type=raw_type,
        edited_id=scalar_id(message.get("edited")),  # an edit carries the original message's id
    )


def _content_text(raw_type: str, message: dict, content: dict) -> str | None:
    """Messages a flow reads as text: a location (address and coordinates), a contact (name and
    numbers), the chosen option of a list or a poll (`vote`, the option's title). None: not one."""
    name = raw_type.lower()
    if name in ("locationmessage", "livelocationmessage"):
        return location_text(
            content.get("degreesLatitude"), content.get("degreesLongitude"), content.get("name"), content.get("address")
        )
    if name == "contactmessage":
        return contact_text(content.get("displayName"), vcard_phones(content.get("vcard")))
    if name in ("listresponsemessage", "pollupdatemessage", "buttonsresponsemessage", "templatebuttonreplymessage"):
        return as_text(message.get("vote")) or as_text(content.get("title")) or as_text(message.get("buttonOrListid"))
    return None


def _sender_phone(message: dict, is_group: bool, *, from_me: bool) -> str | None:
    # `sender` is often an anonymous @lid; the phone JID travels in sender_pn (or is the chat itself).
    # On our own messages (fromMe) sender_pn is our number: the customer's phone is the chat's.
    candidates = [] if from_me else [message.get("sender_pn"), message.get("sender")]
    if not is_group:
        candidates.append(message.get("chatid"))
    for candidate in candidates:
        phone = digits(candidate)
        if phone:
            return phone
    return None


def _receipts(payload: dict) -> list[InboundEvent]:
    event = require_dict(payload.get("event"), "event")
    ids = event.get("MessageIDs")
    if not isinstance(ids, list) or not ids:
        raise WebhookMalformed("event.MessageIDs must be a non-empty list")
    state = as_text(payload.get("state")) or as_text(event.get("Type"))
    status = _RECEIPT.get(state.lower().replace("_", "").replace("-", ""))
    if status is None:
        return [Unsupported(f"uazapi receipt {state or 'without state'}")]
    timestamp = from_epoch(event.get("Timestamp"))
    if not all(scalar_id(i) for i in ids):
        raise WebhookMalformed("event.MessageIDs must hold ids")
    return [MessageStatusUpdate(provider_message_id=scalar_id(i), status=status, timestamp=timestamp) for i in ids]


def _connection(instance: dict, payload: dict) -> InboundEvent:
    raw_status = as_text(instance.get("status")).lower()
    status = _CONNECTION.get(raw_status)
    if status is None:
        return Unsupported(f"uazapi connection status {raw_status or 'missing'}")
    return ConnectionUpdate(
        status=status,
        phone=digits(payload.get("owner")) if status == ConnectionStatus.CONNECTED else None,
        qr_code=opt_text(instance.get("qrcode")) if status == ConnectionStatus.CONNECTING else None,
        reason=as_text(instance.get("lastDisconnectReason")),
    )


def _strip_owner(value: Any) -> str | None:
    # UAZAPI's own id is "<owner>:<whatsapp id>"; receipts carry only the WhatsApp id.
    if not value:
        return None
    return str(value).rsplit(":", 1)[-1]


def _answer_id(answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    for key in ("messageid", "messageId"):
        if answer.get(key):
            return str(answer[key])
    return _strip_owner(answer.get("id")) or ""


def _file(url_or_bytes: str | bytes) -> str:
    # /send/media takes a URL or base64 in the same `file` field.
    if isinstance(url_or_bytes, str):
        return url_or_bytes
    return base64.b64encode(url_or_bytes).decode("ascii")


def _url(credentials: ProviderCredentials, path: str) -> str:
    return f"{credentials.base_url.rstrip('/')}{path}"


def _headers(credentials: ProviderCredentials) -> dict:
    return {"token": credentials.token, "Accept": "application/json"}
