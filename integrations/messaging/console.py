"""The built-in provider: delivers nothing outside, records what it would send.

The default for the embedded demo, the simulator and service tests. Inbound, it takes a simple JSON
`{"from": "5511987654321", "text": "oi", "id": "sim-1"}` (optional: `name`, `kind`, `media_url`,
`file_name`, `mime`, `from_me`, `is_group`). Outbound, every send is appended to
`ConsoleProvider.outbox` (process memory: inspect it in tests, clear it with `clear_outbox()`) and
logged without the full phone number.
"""

import hashlib
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    InboundEvent,
    IncomingMessage,
    MessageKind,
    MessagingProvider,
    ProviderCredentials,
    SendResult,
    WebhookMalformed,
    as_text,
    digits,
    load_json_object,
    mask_phone,
    opt_text,
    scalar_id,
)

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OutboxEntry:
    provider_message_id: str
    to: str
    kind: MessageKind
    text: str = ""
    media: str | bytes | None = None
    file_name: str | None = None
    mime: str | None = None
    instance: str = ""
    sent_at: datetime | None = None


class ConsoleProvider(MessagingProvider):
    name = "console"
    label = "Console"

    outbox: list[OutboxEntry] = []
    _lock = threading.Lock()

    @classmethod
    def clear_outbox(cls) -> None:
        with cls._lock:
            cls.outbox.clear()

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, credentials: ProviderCredentials
    ) -> list[InboundEvent]:
        payload = load_json_object(body)
        sender = scalar_id(payload.get("from"))
        if sender is None:
            raise WebhookMalformed('"from" is required')
        text = payload.get("text", "")
        if not isinstance(text, str):
            raise WebhookMalformed('"text" must be a string')
        raw_kind = str(payload.get("kind") or "text")
        try:
            kind = MessageKind(raw_kind)
        except ValueError as exc:
            raise WebhookMalformed(f'"kind" must be one of {", ".join(MessageKind)}') from exc
        message_id = scalar_id(payload.get("id")) or "sha256:" + hashlib.sha256(body).hexdigest()[:40]
        return [
            IncomingMessage(
                provider_message_id=message_id,
                chat_id=sender,
                kind=kind,
                text=text,
                sender_phone=digits(sender),
                sender_name=as_text(payload.get("name")),
                from_me=bool(payload.get("from_me")),
                is_group=bool(payload.get("is_group")),
                media_url=opt_text(payload.get("media_url")),
                media_mime=opt_text(payload.get("mime")),
                file_name=opt_text(payload.get("file_name")),
                timestamp=datetime.now(tz=UTC),
                raw_type=raw_kind,
            )
        ]

    def send_text(self, credentials: ProviderCredentials, to: str, text: str) -> SendResult:
        return self._record(credentials, OutboxEntry("", to, MessageKind.TEXT, text=text))

    def send_document(
        self,
        credentials: ProviderCredentials,
        to: str,
        url_or_bytes: str | bytes,
        file_name: str,
        mime: str,
        caption: str = "",
    ) -> SendResult:
        entry = OutboxEntry("", to, MessageKind.DOCUMENT, caption, url_or_bytes, file_name, mime)
        return self._record(credentials, entry)

    def send_image(
        self, credentials: ProviderCredentials, to: str, url_or_bytes: str | bytes, mime: str, caption: str = ""
    ) -> SendResult:
        return self._record(credentials, OutboxEntry("", to, MessageKind.IMAGE, caption, url_or_bytes, None, mime))

    def fetch_status(self, credentials: ProviderCredentials) -> ChannelStatus:
        return ChannelStatus(status=ConnectionStatus.CONNECTED, detail="console provider")

    def _record(self, credentials: ProviderCredentials, entry: OutboxEntry) -> SendResult:
        message_id = f"console-{uuid.uuid4().hex}"
        recorded = OutboxEntry(
            provider_message_id=message_id,
            to=entry.to,
            kind=entry.kind,
            text=entry.text,
            media=entry.media,
            file_name=entry.file_name,
            mime=entry.mime,
            instance=credentials.instance,
            sent_at=datetime.now(tz=UTC),
        )
        with self._lock:
            self.outbox.append(recorded)
        logger.info("console_send", to=mask_phone(entry.to), kind=str(entry.kind), chars=len(entry.text), id=message_id)
        return SendResult(provider_message_id=message_id)
