"""WhatsApp messaging providers behind one interface (SPEC §4, STYLE §2.4).

Providers (`Channel.provider` values): ``gosac``, ``uazapi``, ``evolution``, ``meta_cloud``, ``console``.
Everything here is plain data in and out; nothing imports a Django model.

Credentials
    ``ProviderCredentials.from_mapping(json.loads(channel.credentials or "{}"), base_url=channel.base_url,
    instance=channel.name)`` — keys: ``token``, ``api_key``, ``integration``, ``app_secret``,
    ``verify_token``, ``phone_number_id``, ``api_version``. ``provider.check_credentials(creds)`` raises
    ``PermanentError`` naming what is missing (use it to validate admin forms).

Inbound webhook (the view, in this order — SPEC §4)::

    provider = get_provider(channel.provider)            # UnknownProvider → configuration error
    if len(body) > provider.max_body_bytes: 413          # 256 KiB default, Meta 3 MB
    provider.verify_webhook(headers, body, creds)        # WebhookRejected(status_code 401/403, message)
    events = provider.parse_webhook(headers, body, creds)  # WebhookMalformed(message) → 400
    # store the raw body first, then act on each event:

- ``IncomingMessage``: ``provider_message_id`` (dedupe key), ``chat_id`` (reply to exactly this),
  ``sender_phone`` (digits or None), ``sender_name``, ``from_me``, ``is_group``, ``kind``
  (``MessageKind``: text/document/image/audio/video/sticker/location/other), ``text``, ``media_url`` /
  ``media_id`` / ``media_mime`` / ``file_name``, ``timestamp`` (aware UTC), ``raw_type``, ``ticket_id``.
  ``ignore_reason()`` gives ``"from_me"``, ``"group"``, ``"kind:<kind>"`` or None (answer it).
- ``MessageStatusUpdate``: ``provider_message_id`` (as returned by ``SendResult``), ``status``
  (``DeliveryStatus``: sent/delivered/read/failed), ``error``.
- ``ConnectionUpdate``: ``status`` (``ConnectionStatus``: connecting/connected/disconnected), ``phone``
  (when connected), ``qr_code`` (while connecting), ``reason``.
- ``TicketUpdate`` (GOSAC, emitted before its message): ``human_took_over`` → pause the bot for that chat.
- ``Unsupported(reason)``: store, answer 200 with the reason.

``event_to_dict`` / ``event_from_dict`` turn events into JSON-safe dicts for Celery arguments.

Meta only: the GET subscription handshake is ``provider.verify_subscription(request.GET, creds)`` → the
challenge string to answer 200 as text/plain, or ``WebhookRejected(403)``.

Outbound (from a Celery task; all raise only ``RetryableError`` — retry with backoff — or
``PermanentError`` — mark the message failed; timeout is ``settings.PROVIDER_TIMEOUT``)::

    provider.send_text(creds, to, text) -> SendResult(provider_message_id)
    provider.send_document(creds, to, url_or_bytes, file_name, mime, caption="") -> SendResult
    provider.send_image(creds, to, url_or_bytes, mime, caption="") -> SendResult
    provider.fetch_status(creds) -> ChannelStatus(status, phone, qr_code, detail)
    provider.media_source(creds, provider_message_id=, media_url=, media_id=) -> MediaSource(url, headers,
        content, mime) | None   # a received file: GOSAC/console the webhook URL, Meta by media id,
                                # UAZAPI/Evolution decrypted by their API (the webhook URL is encrypted)

``to`` is an ``IncomingMessage.chat_id`` (or phone digits). GOSAC has no documented media endpoint:
documents/images go out as a link in a text (bytes → PermanentError), and it reports no session
status (``reports_status = False``; ``fetch_status`` answers connected without a call).
``ConsoleProvider.outbox`` lists what the console provider "sent"; ``ConsoleProvider.clear_outbox()``.
``PROVIDER_CHOICES`` feeds a model field's choices.
"""

from integrations.messaging.base import (
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
    TicketUpdate,
    Unsupported,
    WebhookMalformed,
    WebhookRejected,
    event_from_dict,
    event_to_dict,
)
from integrations.messaging.registry import PROVIDER_CHOICES, UnknownProvider, get_provider, max_body_bytes, register

__all__ = [
    "PROVIDER_CHOICES",
    "ChannelStatus",
    "ConnectionStatus",
    "ConnectionUpdate",
    "DeliveryStatus",
    "InboundEvent",
    "IncomingMessage",
    "MediaSource",
    "MessageKind",
    "MessageStatusUpdate",
    "MessagingProvider",
    "ProviderCredentials",
    "SendResult",
    "TicketUpdate",
    "UnknownProvider",
    "Unsupported",
    "WebhookMalformed",
    "WebhookRejected",
    "event_from_dict",
    "event_to_dict",
    "get_provider",
    "max_body_bytes",
    "register",
]
