"""`POST /webhook/<channel_key>/`: every provider's deliveries; `GET` answers Meta's handshake.

Checks: unknown key (404, before the body is even read, so a caller without a key cannot make us
parse anything) → size (413) → JSON shape (400; nesting bounded before parsing) → signature or
token (401/403); then the raw event is stored, its secret fields redacted, and applied
(`services.inbound_event_ingest`). Every accepted or ignored event is answered 200: a non-200
makes providers retry for days.
"""

import structlog
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.json_input import UntrustedJsonError, loads_untrusted
from conversations.models import Channel
from conversations.providers import WebhookMalformed, WebhookRejected, credentials_for, get_provider, max_body_bytes
from conversations.services import inbound_event_ingest
from tenants.scoping import company_scope

logger = structlog.get_logger(__name__)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def find_channel(channel_key: str) -> Channel | None:
    if not channel_key or len(channel_key) > 64:
        return None
    return (
        Channel.objects.unscoped()  # unscoped: the inbound key is what identifies the company
        .select_related("company")
        .filter(inbound_key=channel_key, company__active=True)
        .first()
    )


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
    with company_scope(channel.company_id):
        try:
            provider.verify_webhook(headers, body, credentials_for(channel))
        except WebhookRejected as exc:
            logger.info("webhook_rejected", channel_id=channel.pk, status=exc.status_code)
            return _error(exc.status_code, exc.message)
        try:
            answer = inbound_event_ingest(channel=channel, headers=headers, body=body)
        except WebhookMalformed as exc:
            return _error(400, getattr(exc, "message", str(exc)))
    return JsonResponse(answer, status=200)


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
