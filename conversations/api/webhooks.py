"""`POST /webhook/<channel_key>/`: every provider's deliveries; `GET` answers Meta's handshake.

The request is thin. Checks at the door (`webhook_door`): unknown key (404, before the body is even
read, so a caller without a key cannot make us parse anything) → size (413) → JSON shape (400;
nesting bounded before parsing) → signature or token (401/403) → the provider's own parser (400 for
a body it can never read; pure: no query, no network). Then the raw event is stored, its secret
fields redacted, and its applying published to the worker (`services.inbound_event_receive`): one
query for the channel, one INSERT, one publish. The answer is 200 `{"status": "received",
"event_id": ...}` for anything stored (a non-200 makes providers retry for days); what the event
said is applied by `tasks.inbound_event_apply_task` and shows on the event row (processed, ignored
with a reason, or failed and replayable).
"""

import time

import structlog
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.json_input import UntrustedJsonError, loads_untrusted
from conversations.models import Channel
from conversations.providers import WebhookMalformed, WebhookRejected, credentials_for, get_provider, max_body_bytes
from conversations.services import inbound_event_receive
from tenants.scoping import company_scope

logger = structlog.get_logger(__name__)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


_found: dict[str, tuple[float, Channel | None]] = {}  # inbound key → (monotonic expiry, channel)
_FOUND_MAX = 2048


def find_channel(channel_key: str) -> Channel | None:
    """The active company's channel with this inbound key (None: unknown). Kept per process for
    WEBHOOK_CHANNEL_CACHE_SECONDS, unknown keys too (a caller guessing keys costs no query)."""
    if not channel_key or len(channel_key) > 64:
        return None
    ttl = settings.WEBHOOK_CHANNEL_CACHE_SECONDS
    now = time.monotonic()
    if ttl > 0:
        kept = _found.get(channel_key)
        if kept is not None and kept[0] > now:
            return kept[1]
    channel = (
        Channel.objects.unscoped()  # unscoped: the inbound key is what identifies the company
        .select_related("company")
        .filter(inbound_key=channel_key, company__active=True)
        .first()
    )
    if ttl > 0:
        if len(_found) >= _FOUND_MAX:
            _found.clear()
        _found[channel_key] = (now + ttl, channel)
    return channel


def forget_found_channels(**_signal) -> None:
    """A channel or company changed in this process: read every key again (other processes wait
    for their entries to expire)."""
    _found.clear()


def read_limited(request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes (never reads more than limit + 1)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, channel_key: str):
    door = webhook_door(request, channel_key)
    if isinstance(door, HttpResponse):
        return door
    channel, headers, body = door
    with company_scope(channel.company_id):
        event = inbound_event_receive(channel=channel, headers=headers, body=body)
    return JsonResponse({"status": "received", "event_id": event.pk}, status=200)


def webhook_door(request, channel_key: str) -> HttpResponse | tuple[Channel, dict, bytes]:
    """Every check a delivery passes before it is stored: the error response, or (channel, headers,
    body). GET is Meta's subscription handshake and always ends here with its answer."""
    channel = find_channel(channel_key)
    if request.method == "GET":
        return _subscription_handshake(request, channel)
    if channel is None:
        return _error(404, "unknown channel")
    try:
        provider = get_provider(channel.provider)
    except KeyError:
        return _error(404, "unknown channel")
    body = read_limited(request, max_body_bytes(channel.provider))
    if body is None:
        return _error(413, "body too large")
    try:
        payload = loads_untrusted(body)
    except UntrustedJsonError as exc:
        return _error(400, str(exc))
    if not isinstance(payload, dict):
        return _error(400, "body must be a JSON object")
    headers = dict(request.headers)
    credentials = credentials_for(channel)
    try:
        provider.verify_webhook(headers, body, credentials)
    except WebhookRejected as exc:
        logger.info("webhook_rejected", channel_id=channel.pk, status=exc.status_code)
        return _error(exc.status_code, exc.message)
    try:
        # The shape check: what the parser can never read is refused here; what it returns is not
        # used (the worker parses the stored body again, as a replay does).
        provider.parse_webhook(headers, body, credentials)
    except WebhookMalformed as exc:
        return _error(400, getattr(exc, "message", str(exc)))
    return channel, headers, body


def _subscription_handshake(request, channel: Channel | None) -> HttpResponse:
    """Meta's GET verification: answer `hub.challenge` as text when the verify token matches."""
    if channel is None:
        return _error(404, "unknown channel")
    provider = get_provider(channel.provider)
    verify = getattr(provider, "verify_subscription", None)
    if verify is None:
        return _error(405, "this provider has no subscription handshake")
    try:
        challenge = verify(request.GET, credentials_for(channel))
    except WebhookRejected as exc:
        return _error(exc.status_code, exc.message)
    return HttpResponse(challenge, content_type="text/plain")
