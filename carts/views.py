"""Plain HTTP entry point of carts: the abandoned-cart cron trigger."""

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from carts.sweeps import carts_sweep_abandoned
from flows.views import cron_secret_ok


@require_GET
def cron_abandoned_carts(request: HttpRequest) -> JsonResponse:
    """GET /cron/abandoned-carts: the same sweep as the beat job, for an external scheduler."""
    if not cron_secret_ok(request):
        return JsonResponse({"detail": "forbidden"}, status=403)
    return JsonResponse(carts_sweep_abandoned(now=timezone.now()))
