"""Celery task creating a Mercado Pago Pix charge after its order committed (see orders/payments.py)."""

import random

from integrations.errors import PermanentError, RetryableError
from orders.payments import PixNotConfigured, pix_charge_fail, pix_charge_run
from tenants.tasks import company_task

PIX_CHARGE_MAX_RETRIES = 8  # backoff 2, 4 ... 256 s (jittered): about eight minutes, inside the Pix's 30


@company_task(
    bind=True,
    queue="outbound",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=PIX_CHARGE_MAX_RETRIES,
    time_limit=120,
    soft_time_limit=100,
)
def pix_charge_task(self, *, company_id: int, payment_id: int) -> str:
    """Create the charge of Payment `payment_id` once and send its code; retry network trouble."""
    try:
        payment = pix_charge_run(payment_id=payment_id)
    except RetryableError as exc:
        if self.request.retries >= self.max_retries:
            pix_charge_fail(payment_id=payment_id, error=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries, exc.retry_after)) from exc
    except (PermanentError, PixNotConfigured) as exc:
        pix_charge_fail(payment_id=payment_id, error=str(exc) or exc.__class__.__name__)
        return "failed"
    return "charged" if payment is not None and payment.external_id else "nothing to do"


def _backoff(retries: int, retry_after: float | None) -> float:
    """2, 4, 8 ... 256 s with equal jitter; never sooner than Mercado Pago's Retry-After."""
    ceiling = min(300.0, 2.0 * 2**retries)
    return max(ceiling / 2 + random.uniform(0, ceiling / 2), retry_after or 0.0)  # noqa: S311 - jitter
