"""Meta WhatsApp Cloud API.

Webhook: `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
"value": {"metadata", "contacts", "messages" | "statuses"}}]}]}`, signed with
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Subscribing the callback is a
GET handshake (`verify_subscription`). Sends go to the Graph API `/{version}/{phone_number_id}/messages`
with a Bearer token; bytes are uploaded to `/{phone_number_id}/media` first.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from integrations.errors import PermanentError
from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    ConnectionUpdate,
    ContactChanged,
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
    as_list,
    as_text,
    call_json,
    contact_text,
    digits,
    from_epoch,
    header,
    load_json_object,
    location_text,
    opt_text,
    require_dict,
    scalar_id,
)

GRAPH_URL = "https://graph.facebook.com"
SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="

_KIND = {
    "text": MessageKind.TEXT,
    "interactive": MessageKind.TEXT,  # a tapped reply button / list row: its title is the answer
    "button": MessageKind.TEXT,  # a template quick-reply
    "document": MessageKind.DOCUMENT,
    "image": MessageKind.IMAGE,
    "audio": MessageKind.AUDIO,
    "video": MessageKind.VIDEO,
    "sticker": MessageKind.STICKER,
    "location": MessageKind.TEXT,  # the address and coordinates, as text the flow reads
    "contacts": MessageKind.TEXT,  # a shared vCard: name and numbers
    "order": MessageKind.ORDER,  # a catalog cart: one "quantity x retailer id" line per item
}
_MEDIA = ("document", "image", "audio", "video", "sticker")
_STATUS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,  # a voice message listened to
    "failed": DeliveryStatus.FAILED,
}


class MetaCloudProvider(MessagingProvider):
    name = "meta_cloud"
    label = "Meta WhatsApp Cloud API"
    max_body_bytes = 3 * 1024 * 1024  # Meta sends up to 3 MB and retries a 413 for days (SPEC §4)
    signs_webhooks = True
    required_credentials = ("token", "phone_number_id", "app_secret", "verify_token")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials) -> None:
        """Check `X-Hub-Signature-256` over the raw bytes (never a re-serialised body). Missing or
        malformed header → 401; wrong signature or no app secret configured → 403."""
        if not credentials.app_secret:
            raise WebhookRejected(403, "meta: no app secret configured for this channel")
        signature = header(headers, SIGNATURE_HEADER)
        if not signature:
            raise WebhookRejected(401, f"meta: {SIGNATURE_HEADER} header is missing")
        if not signature.startswith(SIGNATURE_PREFIX):
            raise WebhookRejected(401, f"meta: {SIGNATURE_HEADER} must start with {SIGNATURE_PREFIX}")
        expected = hmac.new(credentials.app_secret.encode(), body, hashlib.sha256).hexdigest()
        given = signature.removeprefix(SIGNATURE_PREFIX).strip().lower()
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise WebhookRejected(403, "meta: signature does not match the body")

    def verify_subscription(self, params: Mapping[str, str], credentials: ProviderCredentials) -> str:
        """The GET handshake: return `hub.challenge` (to answer 200 as plain text) when `hub.mode` is
        `subscribe` and `hub.verify_token` matches; else WebhookRejected(403)."""
        challenge = params.get("hub.challenge")
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") != "subscribe" or not challenge or not credentials.verify_token:
            raise WebhookRejected(403, "meta: not a valid subscription request")
        if not hmac.compare_digest(token.encode("utf-8", "replace"), credentials.verify_token.encode()):
            raise WebhookRejected(403, "meta: verify token does not match")
        return challenge

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        """Every message and status of every change, in order. A change for another phone number id
        (one Meta app can serve several numbers) is Unsupported rather than mixed into this channel."""
        payload = load_json_object(body)
        if "object" not in payload or not isinstance(payload.get("entry"), list):
            raise WebhookMalformed("object and entry[] are required")
        if payload["object"] != "whatsapp_business_account":
            return [Unsupported(f"meta object {payload['object']}")]
        events: list[InboundEvent] = []
        for entry in payload["entry"]:
            changes = require_dict(entry, "entry[]").get("changes")
            if not isinstance(changes, list):
                raise WebhookMalformed("entry[].changes must be a list")
            for change in changes:
                events.extend(_change(require_dict(change, "changes[]"), credentials))
        return events or [Unsupported("meta: no changes")]

    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        """`to` is the customer's wa_id (IncomingMessage.chat_id) — not always their dialled number."""
        return self._send(credentials, to, "text", {"preview_url": False, "body": text})

    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        document = {**self._media_ref(credentials, url_or_bytes, file_name, mime), "filename": file_name}
        if caption:
            document["caption"] = caption
        return self._send(credentials, to, "document", document)

    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        image = self._media_ref(credentials, url_or_bytes, "image", mime)
        if caption:
            image["caption"] = caption
        return self._send(credentials, to, "image", image)

    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        """The phone number object answers while the token and number are valid (connected); an expired
        token or removed number raises PermanentError, which the caller treats as disconnected.
        Cloud API numbers have no QR code."""
        self.check_credentials(credentials)
        answer = call_json(
            "GET",
            _graph(credentials, credentials.phone_number_id),
            headers=_auth(credentials),
            params={"fields": "display_phone_number,verified_name,quality_rating"},
        )
        answer = answer if isinstance(answer, dict) else {}
        quality = answer.get("quality_rating")
        return ChannelStatus(
            status=ConnectionStatus.CONNECTED,
            phone=digits(answer.get("display_phone_number")),
            detail=f"quality {quality}" if quality else "",
        )

    def media_source(
        self,
        credentials: ProviderCredentials,
        *,
        provider_message_id: str,
        media_url: str = "",
        media_id: str = "",
    ) -> MediaSource | None:
        """`GET /{version}/{media_id}` answers a short-lived `url`, which is downloaded with the same
        Bearer token (Meta's "retrieve media URL" then "download media")."""
        if not media_id:
            return None
        self.check_credentials(credentials)
        answer = call_json("GET", _graph(credentials, media_id), headers=_auth(credentials))
        url = as_text(answer.get("url")) if isinstance(answer, dict) else ""
        if not url:
            raise PermanentError("meta: media lookup answered without a url")
        return MediaSource(url=url, headers=_auth(credentials), mime=as_text(answer.get("mime_type")))

    def _send(self, credentials: ProviderCredentials, to: str, message_type: str, content: dict) -> SendResult:
        self.check_credentials(credentials)
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            # A BSUID (`BR.1502576394655843`) goes in `recipient`; a phone / wa_id in `to`.
            ("recipient" if is_user_id(to) else "to"): to,
            "type": message_type,
            message_type: content,
        }
        answer = call_json(
            "POST",
            _graph(credentials, f"{credentials.phone_number_id}/messages"),
            headers=_auth(credentials),
            json=payload,
        )
        messages = answer.get("messages") if isinstance(answer, dict) else None
        first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
        return SendResult(provider_message_id=as_text(first.get("id")))

    def _media_ref(
        self, credentials: ProviderCredentials, url_or_bytes: str | bytes, file_name: str, mime: str
    ) -> dict:
        if isinstance(url_or_bytes, str):
            return {"link": url_or_bytes}
        self.check_credentials(credentials)
        answer = call_json(
            "POST",
            _graph(credentials, f"{credentials.phone_number_id}/media"),
            headers=_auth(credentials),
            data={"messaging_product": "whatsapp", "type": mime},
            files={"file": (file_name, url_or_bytes, mime)},
        )
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not media_id:
            raise PermanentError("meta: media upload answered without an id")
        return {"id": str(media_id)}


def _change(change: dict, credentials: ProviderCredentials) -> list[InboundEvent]:
    field_name = change.get("field")
    value = require_dict(change.get("value"), "changes[].value")
    if field_name == "account_update":
        return [_account_update(value)]
    if field_name != "messages":
        return [Unsupported(f"meta field {field_name}")]
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    number_id = as_text(metadata.get("phone_number_id"))
    if credentials.phone_number_id and number_id and number_id != credentials.phone_number_id:
        return [Unsupported("meta: change for another phone number id")]
    names = {}
    for contact in as_list(value.get("contacts"), "value.contacts"):
        if isinstance(contact, dict) and isinstance(contact.get("profile") or {}, dict):
            name = as_text((contact.get("profile") or {}).get("name"))
            for key in ("wa_id", "user_id"):
                if scalar_id(contact.get(key)):
                    names[scalar_id(contact.get(key))] = name
    messages = as_list(value.get("messages"), "value.messages")
    statuses = as_list(value.get("statuses"), "value.statuses")
    # One unreadable item of a batch is recorded as such; its siblings are still applied.
    events: list[InboundEvent] = [_each(_message, m, "messages[]", names) for m in messages]
    events += [_each(_status, s, "statuses[]") for s in statuses]
    return events or [Unsupported("meta: change without messages or statuses")]


def _each(parse, item: Any, what: str, *args) -> InboundEvent:
    try:
        return parse(require_dict(item, what), *args)
    except WebhookMalformed as exc:
        return Unsupported(f"meta: unreadable {what}: {exc.message}")


def _message(message: dict, names: dict[str, str]) -> InboundEvent:
    # A user with a username may come with only a business-scoped user id (BSUID), no phone.
    phone_id, message_id = scalar_id(message.get("from")), scalar_id(message.get("id"))
    sender = phone_id or scalar_id(message.get("from_user_id"))
    if not sender or not message_id:
        raise WebhookMalformed("messages[].from (or from_user_id) and messages[].id are required")
    raw_type = as_text(message.get("type"))
    if raw_type == "system":
        return _system(message, sender)
    media = message.get(raw_type) if raw_type in _MEDIA and isinstance(message.get(raw_type), dict) else {}
    text = _text(message, raw_type, media)
    if raw_type == "interactive" and not text:
        return Unsupported("meta: interactive message without a usable reply")
    if raw_type in ("location", "contacts", "order") and not text:
        return Unsupported(f"meta: {raw_type} message without usable content")
    return IncomingMessage(
        provider_message_id=message_id,
        chat_id=sender,
        kind=_KIND.get(raw_type, MessageKind.OTHER),
        text=text,
        sender_phone=digits(phone_id),
        sender_name=names.get(sender, ""),
        media_id=scalar_id(media.get("id")),
        media_mime=opt_text(media.get("mime_type")),
        file_name=opt_text(media.get("filename")),
        timestamp=from_epoch(message.get("timestamp")),
        raw_type=raw_type,
    )


def _text(message: dict, raw_type: str, media: dict) -> str:
    part = message.get(raw_type)
    part = part if isinstance(part, dict) else {}
    if raw_type == "text":
        return as_text(part.get("body"))
    if raw_type == "button":
        return as_text(part.get("text"))
    if raw_type == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return as_text(reply.get("title")) if isinstance(reply, dict) else ""
    if raw_type == "location":
        return location_text(part.get("latitude"), part.get("longitude"), part.get("name"), part.get("address"))
    if raw_type == "contacts":
        contacts = message.get("contacts") if isinstance(message.get("contacts"), list) else []
        return "\n".join(filter(None, (_contact(c) for c in contacts if isinstance(c, dict))))
    if raw_type == "order":
        return _order_text(part)
    return as_text(media.get("caption"))


def _contact(contact: dict) -> str:
    name = contact.get("name") if isinstance(contact.get("name"), dict) else {}
    phones = contact.get("phones") if isinstance(contact.get("phones"), list) else []
    numbers = [as_text(p.get("phone")) or as_text(p.get("wa_id")) for p in phones if isinstance(p, dict)]
    return contact_text(as_text(name.get("formatted_name")) or as_text(name.get("first_name")), numbers)


def _order_text(order: dict) -> str:
    """A catalog order as lines the cart reads ("2x <product retailer id>"), then the customer's note."""
    lines = []
    items = order.get("product_items") if isinstance(order.get("product_items"), list) else []
    for item in items:
        if not isinstance(item, dict) or not scalar_id(item.get("product_retailer_id")):
            continue
        quantity = item.get("quantity")
        quantity = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0 else 1
        lines.append(f"{quantity}x {scalar_id(item.get('product_retailer_id'))}")
    note = as_text(order.get("text")).strip()
    return "\n".join([*lines, note] if note else lines)


def _system(message: dict, sender: str) -> InboundEvent:
    """`user_changed_number`: the customer's new WhatsApp id (`wa_id`, `new_wa_id` in older versions)."""
    system = message.get("system") if isinstance(message.get("system"), dict) else {}
    new_id = scalar_id(system.get("wa_id")) or scalar_id(system.get("new_wa_id"))
    if as_text(system.get("type")) in ("user_changed_number", "customer_changed_number") and new_id:
        return ContactChanged(old_chat_id=sender, new_chat_id=new_id)
    return Unsupported(f"meta system message {as_text(system.get('type')) or 'without type'}")


def _account_update(value: dict) -> InboundEvent:
    """`account_update`: ACCOUNT_DELETED (the number was removed from WhatsApp) disconnects the channel."""
    event = as_text(value.get("event"))
    if event == "ACCOUNT_DELETED":
        return ConnectionUpdate(status=ConnectionStatus.DISCONNECTED, reason="meta: account deleted")
    return Unsupported(f"meta account_update {event or 'without event'}")


def _status(status: dict) -> InboundEvent:
    message_id, raw_status = scalar_id(status.get("id")), as_text(status.get("status"))
    if not message_id:
        raise WebhookMalformed("statuses[].id is required")
    mapped = _STATUS.get(raw_status)
    if mapped is None:
        return Unsupported(f"meta status {raw_status or 'missing'}")
    return MessageStatusUpdate(
        provider_message_id=message_id,
        status=mapped,
        error=_error(status.get("errors")),
        timestamp=from_epoch(status.get("timestamp")),
    )


def _error(errors: Any) -> str:
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    first = errors[0]
    details = first.get("error_data", {}).get("details") if isinstance(first.get("error_data"), dict) else None
    text = f"{first.get('code', '')}: {first.get('title') or first.get('message') or ''}".strip(": ")
    return f"{text} ({details})" if details and details != first.get("title") else text


def is_user_id(value: str) -> bool:
    """A business-scoped user id: a country code, a dot, then the id (`BR.150...`, `US.ENT.118...`)."""
    return "." in value and value.split(".", 1)[0].isalpha()


def _graph(credentials: ProviderCredentials, path: str) -> str:
    return f"{(credentials.base_url or GRAPH_URL).rstrip('/')}/{credentials.api_version}/{path}"


def _auth(credentials: ProviderCredentials) -> dict:
    return {"Authorization": f"Bearer {credentials.token}"}
