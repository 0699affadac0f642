"""The bridge between a Channel row and its client in `integrations.messaging`.

The clients are stateless and speak plain data (`integrations.messaging.base`); this module turns a
Channel into the client and the credentials dataclass it needs. Nothing here talks HTTP itself.
"""

import json

from django.conf import settings

from conversations.models import Channel
from integrations import messaging
from integrations.destinations import validate_public_url
from integrations.messaging.base import (  # noqa: F401 - re-exported for the domain
    DEFAULT_MAX_BODY_BYTES,
    ConnectionStatus,
    ConnectionUpdate,
    ContactChanged,
    DeliveryStatus,
    IncomingMessage,
    MessageKind,
    MessageStatusUpdate,
    MessagingProvider,
    ProviderCredentials,
    SendResult,
    TicketUpdate,
    Unsupported,
    WebhookMalformed,
    WebhookRejected,
    storable_event,
)


def get_provider(name: str) -> MessagingProvider:
    """The registered client for a Channel.provider value (UnknownProvider, a KeyError, when unknown)."""
    return messaging.get_provider(name)


def channel_credentials(channel: Channel) -> dict:
    """The channel's decrypted credentials JSON as a dict ({} when empty or not a JSON object)."""
    try:
        value = json.loads(channel.credentials or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def credentials_for(channel: Channel) -> ProviderCredentials:
    """The channel's credentials as the clients' frozen dataclass (base URL and instance name from the row)."""
    data = channel_credentials(channel)
    overrides = {}
    if channel.base_url:
        overrides["base_url"] = channel.base_url
    if not data.get("instance"):
        overrides["instance"] = channel.name
    return ProviderCredentials.from_mapping(data, **overrides)


def credentials_validate_urls(credentials: dict) -> None:
    """ValidationError when a credentials JSON names a `base_url` that is not http(s) or may not be
    reached; the client uses it when the row has no base URL, so it is checked the same way on save."""
    base_url = credentials.get("base_url")
    if base_url not in (None, ""):
        validate_public_url(base_url if isinstance(base_url, str) else "")


def max_body_bytes(provider_name: str | None) -> int:
    """The largest webhook body accepted: the provider's documented maximum when it raises the
    platform's MAX_WEBHOOK_BODY_BYTES, else the platform limit (also for unknown keys)."""
    platform = settings.MAX_WEBHOOK_BODY_BYTES
    own = messaging.max_body_bytes(provider_name) if provider_name else DEFAULT_MAX_BODY_BYTES
    return own if own > DEFAULT_MAX_BODY_BYTES else platform
