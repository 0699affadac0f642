"""Plain HTTP entry points of orders: the Pix QR image, the Mercado Pago webhook, the rating cron."""

import structlog
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from flows.views import cron_secret_ok
from integrations.errors import PermanentError, RetryableError
from integrations.mercadopago import NotificationMalformed
from integrations.qr import qr_png
from orders.models import Payment
from orders.payments import NotificationRefused, mercadopago_notification_handle
from orders.sweeps import orders_request_ratings
from tenants.models import Company
from tenants.scoping import company_scope

logger = structlog.get_logger(__name__)
MAX_NOTIFICATION_BYTES = 64 * 1024  # Mercado Pago notifications are a few hundred bytes


@require_GET
def payment_qr(request: HttpRequest, public_id) -> HttpResponse:
    """GET /payments/qr/<uuid>.png: the QR of a payment's Pix code; 404 for anything unknown."""
    payment = (
        Payment.objects.unscoped()  # unscoped: the unguessable public id is the credential; company unknown
        .filter(public_id=public_id, company__active=True)
        .exclude(qr_payload="")
        .only("qr_payload")
        .first()
    )
    if payment is None:
        raise Http404
    response = HttpResponse(qr_png(payment.qr_payload), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@csrf_exempt
@require_POST
def mercadopago_webhook(request: HttpRequest, webhook_key: str) -> JsonResponse:
    """POST /webhook/mercadopago/<company webhook key>/: verified, idempotent payment notifications.

    404 unknown key; 413 too large; 401 bad signature; 400 malformed; 503 when Mercado Pago cannot
    be read (it retries); 200 otherwise, also when the notification is about nothing we know.
    """
    company = Company.objects.filter(webhook_key=webhook_key, active=True).first()
    if company is None:
        raise Http404
    if len(request.body) > MAX_NOTIFICATION_BYTES:
        return JsonResponse({"detail": "too large"}, status=413)
    with company_scope(company):
        try:
            result = mercadopago_notification_handle(
                company=company, headers=dict(request.headers), query_params=request.GET.dict(), body=request.body
            )
        except NotificationRefused:
            logger.warning("mercadopago_notification_refused", company_id=company.pk)
            return JsonResponse({"detail": "invalid signature"}, status=401)
        except NotificationMalformed:
            return JsonResponse({"detail": "malformed"}, status=400)
        except RetryableError:
            return JsonResponse({"detail": "try again"}, status=503)
        except PermanentError as exc:
            logger.warning("mercadopago_read_failed", company_id=company.pk, error=str(exc)[:200])
            return JsonResponse({"result": "ignored"})
    return JsonResponse({"result": result})


@require_GET
def cron_rating_requests(request: HttpRequest) -> JsonResponse:
    """GET /cron/avaliar: ask completed orders for a rating (same sweep as the beat job)."""
    if not cron_secret_ok(request):
        return JsonResponse({"detail": "forbidden"}, status=403)
    return JsonResponse({"asked": orders_request_ratings(now=timezone.now())})
