"""Celery task pushing one completed order to the company's ERP (see orders/erp.py)."""

from integrations.errors import RetryableError
from orders.erp import order_erp_push
from tenants.tasks import company_task

ERP_PUSH_MAX_RETRIES = 6  # with backoff 2, 4 ... 64 s (capped at 10 min): about two minutes of trying
ERP_PUSH_BACKOFF_MAX_SECONDS = 600


@company_task(
    queue="outbound",
    autoretry_for=(RetryableError,),
    retry_backoff=2,
    retry_backoff_max=ERP_PUSH_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=ERP_PUSH_MAX_RETRIES,
)
def order_erp_push_task(*, company_id: int, order_id: int) -> str | None:
    """Push order `order_id`; network trouble and ERP rate limits retry with backoff, the rest is recorded."""
    return order_erp_push(order_id=order_id)
