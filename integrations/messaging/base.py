"""The one interface every WhatsApp provider implements, and the plain data it speaks.

A provider is stateless: every call takes a `ProviderCredentials`. Inbound, `verify_webhook` then
`parse_webhook` turn one raw HTTP delivery into a list of normalised `InboundEvent`s (pure: no
network, no DB). Outbound, `send_*` and `fetch_status` go through `integrations.http` and raise only
`RetryableError` / `PermanentError`.
"""

import base64
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

import requests

from config.json_input import UntrustedJsonError, loads_untrusted
from integrations import http
from integrations.errors import PermanentError

DEFAULT_MAX_BODY_BYTES = 256 * 1024  # 256 KiB
REDACTED = "***"


class WebhookRejected(Exception):
    """The delivery failed verification (bad or missing signature/token): answer `status_code` (401/403)."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class WebhookMalformed(Exception):
    """The body is not JSON or not the provider's shape: answer 400 with `message`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MessageKind(StrEnum):
    TEXT = "text"
    DOCUMENT = "document"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    ORDER = "order"  # a Meta catalog cart: "2x <retailer id>" lines, then the customer's note
    OTHER = "other"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class ConnectionStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


# Real providers name a plain text message in all of these ways (SPEC §4 rule 4).
_KIND_BY_RAW_TYPE = {
    "chat": MessageKind.TEXT,
    "text": MessageKind.TEXT,
    "conversation": MessageKind.TEXT,
    "extendedtext": MessageKind.TEXT,
    "extendedtextmessage": MessageKind.TEXT,
    "application": MessageKind.DOCUMENT,
    "document": MessageKind.DOCUMENT,
    "documentwithcaption": MessageKind.DOCUMENT,
    "image": MessageKind.IMAGE,
    "audio": MessageKind.AUDIO,
    "ptt": MessageKind.AUDIO,
    "voice": MessageKind.AUDIO,
    "video": MessageKind.VIDEO,
    "ptv": MessageKind.VIDEO,
    "sticker": MessageKind.STICKER,
    "location": MessageKind.LOCATION,
    "livelocation": MessageKind.LOCATION,
}


def kind_from_raw_type(raw_type: str | None) -> MessageKind:
    """Map any provider's message type name (`chat`, `ExtendedTextMessage`, `application`...) to a kind."""
    name = (raw_type or "").strip().lower()
    if name.endswith("message") and name not in _KIND_BY_RAW_TYPE:
        name = name.removesuffix("message")
    return _KIND_BY_RAW_TYPE.get(name, MessageKind.OTHER)


@dataclass(frozen=True)
class ProviderCredentials:
    """Everything one channel needs to talk to its provider. Secrets never show in repr or logs.

    Which fields matter depends on the provider (see each class's `required_credentials`):
    GOSAC: base_url, token (`Authorization`), integration (`INTEGRATION`).
    UAZAPI: base_url, token (instance token, header `token`).
    Evolution: base_url, instance (instance name), api_key (header `apikey`).
    Meta Cloud: phone_number_id, token (access token), app_secret (signature), verify_token (GET handshake);
    base_url defaults to the Graph API.
    """

    base_url: str = ""
    instance: str = ""
    phone_number_id: str = ""
    api_version: str = "v23.0"
    token: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    integration: str = field(default="", repr=False)
    app_secret: str = field(default="", repr=False)
    verify_token: str = field(default="", repr=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], **overrides: Any) -> "ProviderCredentials":
        """Build from a dict (e.g. a channel's decrypted credentials JSON); unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        values = {key: str(value) for key, value in {**data, **overrides}.items() if key in known and value is not None}
        return cls(**values)


@dataclass(frozen=True)
class IncomingMessage:
    """A message that arrived in a chat (from the customer, or an echo of one we sent when `from_me`)."""

    provider_message_id: str
    chat_id: str  # reply target, exactly as the provider gave it (a JID, a wa_id, a GOSAC contactId)
    kind: MessageKind
    text: str = ""  # body, or the caption of a media message
    sender_phone: str | None = None  # the customer's phone digits, when the provider tells (fromMe: the chat's)
    sender_name: str = ""
    from_me: bool = False
    is_group: bool = False
    media_url: str | None = None
    media_id: str | None = None  # a handle to download later (Meta media id)
    media_mime: str | None = None
    file_name: str | None = None
    timestamp: datetime | None = None
    raw_type: str = ""
    ticket_id: str | None = None  # the provider's own conversation/ticket id (GOSAC)
    edited_id: str | None = None  # an edit: the id of the message whose text this replaces (UAZAPI)

    def ignore_reason(self) -> str | None:
        """Why the bot must not answer this message (SPEC §4 rule 4), or None when it should."""
        if self.from_me:
            return "from_me"
        if self.is_group:
            return "group"
        if self.kind not in ANSWERED_KINDS:
            return f"kind:{self.kind}"
        return None


# What the bot answers: text (locations, contacts, list and poll choices arrive as text), and the
# files a flow's "wait for a file" step takes: documents, images (a Pix receipt) and voice notes; and
# catalog orders (the carts app puts them in the cart).
ANSWERED_KINDS = (MessageKind.TEXT, MessageKind.DOCUMENT, MessageKind.IMAGE, MessageKind.AUDIO, MessageKind.ORDER)


def location_text(latitude: Any, longitude: Any, name: Any = "", address: Any = "") -> str:
    """A shared location as the text a flow reads: the place's name and address when the provider
    gives them, then the coordinates ("" without usable coordinates)."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError, OverflowError):
        return ""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    place = ", ".join(part for part in (as_text(name).strip(), as_text(address).strip()) if part)
    coordinates = f"{lat:.6f}, {lon:.6f}"
    return f"📍 {place} ({coordinates})" if place else f"📍 {coordinates}"


def contact_text(name: Any, phones: list[str]) -> str:
    """A shared contact (vCard) as text: the name and its phone numbers."""
    parts = [as_text(name).strip(), *[phone.strip() for phone in phones if phone and phone.strip()]]
    return "👤 " + " ".join(part for part in parts if part) if any(parts) else ""


def vcard_phones(vcard: Any) -> list[str]:
    """The TEL values of a vCard text (`item1.TEL;waid=5511...:+55 11 ...` → `+55 11 ...`)."""
    phones = []
    for line in as_text(vcard).splitlines():
        key, _, value = line.partition(":")
        if key.split(";", 1)[0].split(".")[-1].upper() == "TEL" and value.strip():
            phones.append(value.strip())
    return phones


@dataclass(frozen=True)
class ContactChanged:
    """The customer moved to another number (Meta `user_changed_number`): replies go to the new id."""

    old_chat_id: str
    new_chat_id: str


@dataclass(frozen=True)
class MessageStatusUpdate:
    """What happened to a message we sent, keyed by the id `SendResult` returned."""

    provider_message_id: str
    status: DeliveryStatus
    error: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class ConnectionUpdate:
    """The channel's WhatsApp session changed; carries the QR while connecting."""

    status: ConnectionStatus
    phone: str | None = None  # digits, captured when connected
    qr_code: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class TicketUpdate:
    """GOSAC ticket state: when `human_took_over`, the bot pauses for this conversation."""

    ticket_id: str
    chat_id: str
    status: str  # GOSAC's own value: pending / open / closed
    user_id: str | None  # the agent responsible, None when nobody took it

    @property
    def human_took_over(self) -> bool:
        return self.user_id is not None and self.status != "closed"


@dataclass(frozen=True)
class Unsupported:
    """A valid delivery we deliberately do nothing with (stored, answered 200 with the reason)."""

    reason: str


InboundEvent = IncomingMessage | MessageStatusUpdate | ConnectionUpdate | TicketUpdate | ContactChanged | Unsupported

_EVENT_TYPES: dict[str, type] = {
    "message": IncomingMessage,
    "status": MessageStatusUpdate,
    "connection": ConnectionUpdate,
    "ticket": TicketUpdate,
    "contact_changed": ContactChanged,
    "unsupported": Unsupported,
}


def event_to_dict(event: InboundEvent) -> dict:
    """JSON-safe dict with an `event` discriminator, for Celery arguments and InboundEvent rows."""
    name = next(key for key, cls in _EVENT_TYPES.items() if isinstance(event, cls))
    data = asdict(event)
    if data.get("timestamp") is not None:
        data["timestamp"] = data["timestamp"].isoformat()
    return {"event": name, **{key: str(value) if isinstance(value, StrEnum) else value for key, value in data.items()}}


def event_from_dict(data: Mapping[str, Any]) -> InboundEvent:
    """Inverse of `event_to_dict`."""
    values = dict(data)
    cls = _EVENT_TYPES[values.pop("event")]
    if values.get("timestamp"):
        values["timestamp"] = datetime.fromisoformat(values["timestamp"])
    if cls is IncomingMessage:
        values["kind"] = MessageKind(values["kind"])
    elif cls is MessageStatusUpdate:
        values["status"] = DeliveryStatus(values["status"])
    elif cls is ConnectionUpdate:
        values["status"] = ConnectionStatus(values["status"])
    return cls(**values)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str  # "" when the provider does not say (GOSAC may not)


@dataclass(frozen=True)
class MediaSource:
    """Where the plain bytes of a received file are: a URL to GET with these headers, or the bytes
    themselves when the provider hands them over in its answer (base64)."""

    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    content: bytes | None = field(default=None, repr=False)
    mime: str = ""


@dataclass(frozen=True)
class ChannelStatus:
    status: ConnectionStatus
    phone: str | None = None
    qr_code: str | None = None
    detail: str = ""


CONNECT, RESTART, DISCONNECT = "connect", "restart", "disconnect"


class MessagingProvider(ABC):
    """Base of every provider. Subclasses are registered in `registry.py`.

    Class attributes: `name` (the Channel.provider value), `label`, `max_body_bytes` (larger webhook
    bodies must be answered 413 before parsing), `signs_webhooks` (verify_webhook really checks
    something), `reports_status` (fetch_status asks the provider; False means it cannot know),
    `required_credentials` (fields `check_credentials` insists on), `secret_body_fields` (top-level
    webhook fields carrying a credential: redacted before the raw event is stored), `sends_files`.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    max_body_bytes: ClassVar[int] = DEFAULT_MAX_BODY_BYTES
    signs_webhooks: ClassVar[bool] = False
    reports_status: ClassVar[bool] = True
    required_credentials: ClassVar[tuple[str, ...]] = ()
    secret_body_fields: ClassVar[tuple[str, ...]] = ()
    sends_files: ClassVar[bool] = True  # send_image/send_document work; False: staff cannot send files
    connection_actions: ClassVar[frozenset[str]] = frozenset()  # of CONNECT, RESTART, DISCONNECT

    def connection_action(self, credentials: "ProviderCredentials", action: str) -> None:
        """Ask the provider to connect (start a session: a QR follows), restart or disconnect (log
        the phone out). Only the actions in `connection_actions`."""
        raise PermanentError(f"{self.name}: '{action}' is not supported")

    def redact_webhook_body(self, body: bytes) -> bytes:
        """The body to keep for replay: each `secret_body_fields` value replaced by ``***``.

        The exact bytes come back when there is nothing to redact (a GOSAC message id may be a
        digest of them); parsing does not need the redacted fields, so a replay still works.
        """
        if not self.secret_body_fields:
            return body
        try:
            payload = loads_untrusted(body)
        except UntrustedJsonError:
            return body
        if not isinstance(payload, dict):
            return body
        present = [name for name in self.secret_body_fields if payload.get(name) not in (None, "", REDACTED)]
        if not present:
            return body
        payload.update(dict.fromkeys(present, REDACTED))
        return json.dumps(payload, ensure_ascii=False).encode()

    def check_credentials(self, credentials: ProviderCredentials) -> None:
        """Raise PermanentError naming the missing fields (no network); for admin forms and before sends."""
        missing = [name for name in self.required_credentials if not getattr(credentials, name)]
        if missing:
            raise PermanentError(f"{self.name}: missing credentials: {', '.join(missing)}")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials) -> None:
        """Raise WebhookRejected if the delivery is not authentic. Default: the provider signs nothing,
        so the channel's unguessable inbound key in the URL is the only check."""
        return None

    @abstractmethod
    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        """Pure: the raw delivery as normalised events (possibly several, possibly `Unsupported`).
        Raises WebhookMalformed when the body is not JSON or not this provider's shape."""

    @abstractmethod
    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        """Send `text` to `to` (an IncomingMessage.chat_id or a phone in digits)."""

    @abstractmethod
    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        """Send a document given by public URL or raw bytes."""

    @abstractmethod
    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        """Send an image given by public URL or raw bytes."""

    @abstractmethod
    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        """Ask the provider how the session is (with the QR code while connecting)."""

    def media_source(
        self,
        credentials: ProviderCredentials,
        *,
        provider_message_id: str,
        media_url: str = "",
        media_id: str = "",
    ) -> MediaSource | None:
        """Where to download a received file from (None: nothing to download). Default: the media URL
        of the webhook as it is (plain files, e.g. GOSAC's public links). Providers whose webhook URL
        is WhatsApp's encrypted blob, or only a media id, ask their API instead."""
        return MediaSource(url=media_url) if media_url else None


# Helpers shared by the provider modules.


def load_json_object(body: bytes) -> dict:
    """Parse a webhook body that must be one JSON object (bounded nesting, strict), else WebhookMalformed."""
    try:
        payload = loads_untrusted(body)
    except UntrustedJsonError as exc:
        raise WebhookMalformed(str(exc)) from exc
    if not isinstance(payload, dict):
        raise WebhookMalformed("body must be a JSON object")
    return payload


def require_dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise WebhookMalformed(f"{what} must be an object")
    return value


def as_text(value: Any) -> str:
    """A text field: strings as they are, numbers as digits, anything else (objects, lists, null) empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def opt_text(value: Any) -> str | None:
    return as_text(value) or None


def scalar_id(value: Any) -> str | None:
    """An id field as text: strings and integers only (a dict or list where an id belongs is malformed)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def as_list(value: Any, what: str) -> list:
    """A list field that may be absent (→ []); any other type is WebhookMalformed."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookMalformed(f"{what} must be a list")
    return value


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over a plain dict (HTTP header names are case-insensitive)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def digits(value: Any) -> str | None:
    """The phone digits of a JID (`5511...@s.whatsapp.net`, `5511...:12@...`) or a formatted number.

    `@lid` ids are WhatsApp's anonymous ids, not phone numbers: they give None.
    """
    if value is None:
        return None
    text = str(value)
    if text.endswith("@lid") or text.endswith("@g.us"):
        return None
    text = text.split("@", 1)[0].split(":", 1)[0]
    only = "".join(char for char in text if char.isdigit())
    return only or None


# NUL and surrogate code points (a str holds a surrogate only when it is lone: JSON pairs are joined).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Epoch values above this are milliseconds: as seconds they would be past the year 5138.
_MILLISECONDS_FROM = 10**11


def from_epoch(value: Any) -> datetime | None:
    """Aware UTC datetime from epoch seconds or milliseconds (told apart by size, whatever the provider
    documents); None for missing, garbage, NaN or out-of-range values (the caller uses receipt time)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    try:
        return datetime.fromtimestamp(number / 1000 if number >= _MILLISECONDS_FROM else number, tz=UTC)
    except (OverflowError, ValueError, OSError):  # past year 9999, or beyond the platform's time_t
        return None


def storable_text(value: str) -> str:
    """`value` as PostgreSQL text can hold it: NUL and lone surrogates (escaped `\\u0000`, `\\ud800`
    in JSON) become U+FFFD. The raw event keeps the original bytes."""
    if value.isascii() and "\x00" not in value:
        return value
    return _UNSTORABLE.sub("\ufffd", value)


def storable_event(event: "InboundEvent") -> "InboundEvent":
    """The event with every text field made storable (see `storable_text`)."""
    changes = {
        item.name: storable_text(getattr(event, item.name))
        for item in fields(event)
        if isinstance(getattr(event, item.name), str) and not isinstance(getattr(event, item.name), StrEnum)
    }
    changes = {name: value for name, value in changes.items() if value != getattr(event, name)}
    return replace(event, **changes) if changes else event


def mask_phone(value: str) -> str:
    """For logs: never a full phone number (SPEC §3)."""
    tail = "".join(char for char in value if char.isdigit())[-4:]
    return f"***{tail}" if tail else "***"


def response_json(response: requests.Response) -> Any:
    """The JSON of a 2xx answer; a provider answering garbage is a PermanentError, not a crash."""
    try:
        return response.json()
    except ValueError as exc:
        raise PermanentError(f"provider answered HTTP {response.status_code} with a non-JSON body") from exc


def decode_media(value: str, provider: str) -> bytes:
    """The bytes of a base64 media answer (a bare string or a `data:...;base64,` URL)."""
    try:
        return base64.b64decode(value.split(",", 1)[-1])
    except ValueError as exc:
        raise PermanentError(f"{provider}: media answer is not base64") from exc


def call_json(method: str, url: str, **kwargs: Any) -> Any:
    """`http.request` + JSON decoding; raises RetryableError / PermanentError only."""
    return response_json(http.request(method, url, **kwargs))
