"""Plain HTTP entry points of the flows app (not the API): the cron trigger."""

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from flows.services import flow_positions_reset_stale


def cron_secret_ok(request: HttpRequest) -> bool:
    """The request carries CRON_SECRET in the X-Cron-Secret header; always False when unset.

    Never in the query string: URLs end up in access logs, proxies and browser history.
    """
    expected = settings.CRON_SECRET or ""
    given = request.headers.get("X-Cron-Secret") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@require_GET
def cron_reset_states(request: HttpRequest) -> JsonResponse:
    """GET /cron/reset-states: the same sweep as the beat job, for an external scheduler."""
    if not cron_secret_ok(request):
        return JsonResponse({"detail": "forbidden"}, status=403)
    return JsonResponse({"reset": flow_positions_reset_stale(now=timezone.now())})
