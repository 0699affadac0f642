"""Evolution API v2 (Baileys).

Webhook envelope `{"event", "instance", "data", "date_time", "sender", "server_url", "apikey"}` with
events `messages.upsert` / `send.message` (a message; `data.key.remoteJid` is the chat),
`messages.update` (delivery status by `keyId`), `connection.update` (`state` open/connecting/close)
and `qrcode.updated`. Evolution signs nothing. API: header `apikey`,
`POST /message/sendText/{instance}`, `POST /message/sendMedia/{instance}`,
`GET /instance/connectionState/{instance}`, `GET /instance/connect/{instance}` (QR).
"""

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from integrations.errors import PermanentError
from integrations.messaging.base import (
    CONNECT,
    DISCONNECT,
    RESTART,
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

_STATE = {
    "open": ConnectionStatus.CONNECTED,
    "connecting": ConnectionStatus.CONNECTING,
    "close": ConnectionStatus.DISCONNECTED,
    "refused": ConnectionStatus.DISCONNECTED,  # QR code limit reached
}
# src/utils/renderStatus.ts; PENDING is the moment before the server ack and says nothing new.
_STATUS = {
    "ERROR": DeliveryStatus.FAILED,
    "SERVER_ACK": DeliveryStatus.SENT,
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.READ,
}
# Where the text of each message type lives (extendedTextMessage is flattened to conversation by
# Evolution itself, but older servers still send it).
_MEDIA_TYPES = ("documentMessage", "imageMessage", "audioMessage", "videoMessage", "stickerMessage")


class EvolutionProvider(MessagingProvider):
    name = "evolution"
    label = "Evolution API"
    required_credentials = ("base_url", "instance", "api_key")
    secret_body_fields = ("apikey",)  # the instance's API key, repeated in every webhook envelope
    connection_actions = frozenset({CONNECT, RESTART, DISCONNECT})

    def connection_action(self, credentials: ProviderCredentials, action: str) -> None:
        """`GET /instance/connect/{instance}` (a QR follows), `POST /instance/restart/{instance}`,
        `DELETE /instance/logout/{instance}` (Evolution API v2)."""
        self.check_credentials(credentials)
        method, path = {
            CONNECT: ("GET", "instance/connect"),
            RESTART: ("POST", "instance/restart"),
            DISCONNECT: ("DELETE", "instance/logout"),
        }.get(action, ("", ""))
        if not method:
            super().connection_action(credentials, action)
        call_json(method, _url(credentials, path), headers=_headers(credentials))

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        payload = load_json_object(body)
        raw_event = payload.get("event")
        if not isinstance(raw_event, str):
            raise WebhookMalformed("event is missing")
        # The envelope says `messages.upsert`; configs (and some proxies) say MESSAGES_UPSERT.
        event = raw_event.lower().replace("_", ".")
        data = payload.get("data")
        if event in ("messages.upsert", "send.message"):
            return [_message(item) for item in _items(data)]
        if event == "messages.update":
            return [_status(item) for item in _items(data)]
        if event == "connection.update":
            return [_connection(require_dict(data, "data"))]
        if event == "qrcode.updated":
            return [_qrcode(require_dict(data, "data"))]
        return [Unsupported(f"evolution event {raw_event}")]

    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        """`to` may be the remoteJid as received or phone digits."""
        return self._send(credentials, "sendText", {"number": to, "text": text})

    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        return self._send(credentials, "sendMedia", _media(to, "document", url_or_bytes, mime, caption, file_name))

    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        return self._send(credentials, "sendMedia", _media(to, "image", url_or_bytes, mime, caption, "image"))

    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        """`connectionState`; while connecting, also `connect` for the current QR code. The phone is
        captured from the `connection.update` webhook (`wuid`), not here."""
        self.check_credentials(credentials)
        answer = call_json("GET", _url(credentials, "instance/connectionState"), headers=_headers(credentials))
        instance = answer.get("instance") if isinstance(answer, dict) else None
        state = as_text(instance.get("state")) if isinstance(instance, dict) else ""
        status = _STATE.get(state, ConnectionStatus.DISCONNECTED)
        if status != ConnectionStatus.CONNECTING:
            return ChannelStatus(status=status, detail=f"evolution state {state or 'unknown'}")
        qr = call_json("GET", _url(credentials, "instance/connect"), headers=_headers(credentials))
        qr_code = (opt_text(qr.get("base64")) or opt_text(qr.get("code"))) if isinstance(qr, dict) else None
        return ChannelStatus(status=status, qr_code=qr_code, detail="evolution state connecting")

    def media_source(
        self,
        credentials: ProviderCredentials,
        *,
        provider_message_id: str,
        media_url: str = "",
        media_id: str = "",
    ) -> MediaSource | None:
        """`url` in the webhook is WhatsApp's encrypted blob: `POST /chat/getBase64FromMediaMessage/{instance}`
        with the message key makes Evolution decrypt it and answer the bytes in base64."""
        if not provider_message_id:
            return None
        self.check_credentials(credentials)
        answer = call_json(
            "POST",
            _url(credentials, "chat/getBase64FromMediaMessage"),
            headers=_headers(credentials),
            json={"message": {"key": {"id": provider_message_id}}, "convertToMp4": False},
        )
        answer = answer if isinstance(answer, dict) else {}
        encoded = as_text(answer.get("base64"))
        if not encoded:
            raise PermanentError("evolution: getBase64FromMediaMessage answered no base64")
        return MediaSource(content=decode_media(encoded, self.name), mime=as_text(answer.get("mimetype")))

    def _send(self, credentials: ProviderCredentials, action: str, payload: dict) -> SendResult:
        self.check_credentials(credentials)
        answer = call_json("POST", _url(credentials, f"message/{action}"), headers=_headers(credentials), json=payload)
        key = answer.get("key") if isinstance(answer, dict) else None
        return SendResult(provider_message_id=as_text(key.get("id")) if isinstance(key, dict) else "")


def _items(data: Any) -> list[dict]:
    # v2 sends one object; `messages.set`-style batches and some versions send a list.
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise WebhookMalformed("data must be an object or a list of objects")
    return items


def _message(data: dict) -> InboundEvent:
    key = require_dict(data.get("key"), "data.key")
    chat_id, message_id = scalar_id(key.get("remoteJid")), scalar_id(key.get("id"))
    if not chat_id or not message_id:
        raise WebhookMalformed("data.key.remoteJid and data.key.id are required")
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    wrapper = message.get("documentWithCaptionMessage")
    if isinstance(wrapper, dict) and isinstance(wrapper.get("message"), dict):
        message = {**message, "documentMessage": wrapper["message"].get("documentMessage")}
    raw_type = as_text(data.get("messageType"))
    kind = kind_from_raw_type(raw_type)
    media = next((message[name] for name in _MEDIA_TYPES if isinstance(message.get(name), dict)), {})
    is_group = str(chat_id).endswith("@g.us")
    text = _text(message, media)
    read_as_text = _content_text(message)
    if read_as_text is not None:
        if not read_as_text:
            return Unsupported(f"evolution: {raw_type or 'message'} without usable content")
        kind, text = MessageKind.TEXT, read_as_text
    return IncomingMessage(
        provider_message_id=message_id,
        chat_id=chat_id,
        kind=kind,
        text=text,
        sender_phone=_sender_phone(key, is_group),
        sender_name=as_text(data.get("pushName")) if not key.get("fromMe") else "",
        from_me=bool(key.get("fromMe")),
        is_group=is_group,
        # With S3 on, Evolution adds a downloadable mediaUrl; otherwise url is WhatsApp's encrypted blob.
        media_url=(message.get("mediaUrl") or opt_text(media.get("url"))) if kind != MessageKind.TEXT else None,
        media_mime=opt_text(media.get("mimetype")),
        file_name=opt_text(media.get("fileName")),
        timestamp=from_epoch(data.get("messageTimestamp")),
        raw_type=raw_type,
    )


def _content_text(message: dict) -> str | None:
    """Baileys messages a flow reads as text: a location, a contact, the chosen row of a list or the
    tapped button. None: the message is none of these."""
    part = next((message[name] for name in _AS_TEXT if isinstance(message.get(name), dict)), None)
    if part is None:
        return None
    if isinstance(message.get("locationMessage"), dict) or isinstance(message.get("liveLocationMessage"), dict):
        return location_text(
            part.get("degreesLatitude"), part.get("degreesLongitude"), part.get("name"), part.get("address")
        )
    if isinstance(message.get("contactMessage"), dict):
        return contact_text(part.get("displayName"), vcard_phones(part.get("vcard")))
    return as_text(part.get("title")) or as_text(part.get("selectedDisplayText"))


_AS_TEXT = ("locationMessage", "liveLocationMessage", "contactMessage", "listResponseMessage", "buttonsResponseMessage")


def _text(message: dict, media: dict) -> str:
    extended = message.get("extendedTextMessage")
    if message.get("conversation"):
        return str(message["conversation"])
    if isinstance(extended, dict) and extended.get("text"):
        return str(extended["text"])
    return as_text(media.get("caption"))


def _sender_phone(key: dict, is_group: bool) -> str | None:
    # Since WhatsApp LIDs the JID may be anonymous; Evolution then adds the phone JID as remoteJidAlt/senderPn.
    candidates = [key.get("participant"), key.get("participantAlt")] if is_group else []
    candidates += [key.get("senderPn"), key.get("remoteJidAlt")]
    if not is_group:
        candidates.append(key.get("remoteJid"))
    for candidate in candidates:
        phone = digits(candidate)
        if phone:
            return phone
    return None


def _status(data: dict) -> InboundEvent:
    key = data.get("key") if isinstance(data.get("key"), dict) else {}
    message_id = scalar_id(data.get("keyId")) or scalar_id(key.get("id"))
    if not message_id:
        raise WebhookMalformed("data.keyId is required")
    raw_status = as_text(data.get("status"))
    status = _STATUS.get(raw_status)
    if status is None:
        return Unsupported(f"evolution message status {raw_status or 'missing'}")
    return MessageStatusUpdate(provider_message_id=message_id, status=status)


def _connection(data: dict) -> InboundEvent:
    state = as_text(data.get("state"))
    status = _STATE.get(state)
    if status is None:
        return Unsupported(f"evolution connection state {state or 'missing'}")
    reason = data.get("statusReason")
    return ConnectionUpdate(
        status=status,
        phone=digits(data.get("wuid")) if status == ConnectionStatus.CONNECTED else None,
        reason="" if reason in (None, 200) else str(reason),
    )


def _qrcode(data: dict) -> InboundEvent:
    qrcode = data.get("qrcode") if isinstance(data.get("qrcode"), dict) else {}
    qr_code = opt_text(qrcode.get("base64")) or opt_text(qrcode.get("code"))
    if qr_code:
        return ConnectionUpdate(status=ConnectionStatus.CONNECTING, qr_code=qr_code)
    if opt_text(data.get("message")):
        # "QR code limit reached, please login again": the session gave up.
        return ConnectionUpdate(status=ConnectionStatus.DISCONNECTED, reason=as_text(data["message"]))
    raise WebhookMalformed("data.qrcode is missing")


def _media(to: str, media_type: str, url_or_bytes: str | bytes, mime: str, caption: str, file_name: str) -> dict:
    media = url_or_bytes if isinstance(url_or_bytes, str) else base64.b64encode(url_or_bytes).decode("ascii")
    return {
        "number": to,
        "mediatype": media_type,
        "mimetype": mime,
        "caption": caption,
        "media": media,
        "fileName": file_name,
    }


def _url(credentials: ProviderCredentials, action: str) -> str:
    return f"{credentials.base_url.rstrip('/')}/{action}/{quote(credentials.instance, safe='')}"


def _headers(credentials: ProviderCredentials) -> dict:
    return {"apikey": credentials.api_key}
