"""Periodic sweeps over orders: ask for ratings, remind and cancel unpaid Pix orders.

Sweeps as `tenants.sweeps` describes: per company, due rows only through a partial index (status +
timestamp), bounded batches claimed with FOR UPDATE SKIP LOCKED, each row's state changed in the
claim's transaction, so a row is handled once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orders import notifications
from orders.lock_objects import order_qs_select_for_update
from orders.models import Order
from orders.services import order_transition
from tenants.models import Company
from tenants.sweeps import sweep_companies

SWEEP_BATCH = 200  # rows per company per run; the rest is due again at the next run (beat: every minute)


def orders_request_ratings(*, now=None, batch: int = SWEEP_BATCH) -> int:
    """Ask each order completed more than company.rating_delay_min ago for a 1..5 rating, once."""
    now = now or timezone.now()
    return sum(_ask_ratings(company, now, batch) for company in sweep_companies())


def _ask_ratings(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.rating_delay_min)
    with transaction.atomic():
        due = list(
            order_qs_select_for_update(skip_locked=True)
            .filter(status=Order.Status.COMPLETED, rating_requested_at__isnull=True, completed_at__lte=cutoff)
            .select_related("customer")
            .order_by("completed_at")[:batch]
        )
        for order in due:
            order.rating_requested_at = now
            order.save(update_fields=["rating_requested_at", "updated_at"])
            notifications.customer_notify(
                company_id=company.pk, customer=order.customer, text=notifications.rating_request_text(order)
            )
        return len(due)


def orders_sweep_unpaid(*, now=None, batch: int = SWEEP_BATCH) -> dict:
    """Orders still awaiting their Pix: remind after cart_abandoned_reminder_min, cancel (stock back)
    after cart_abandoned_cancel_min, each at most once."""
    now = now or timezone.now()
    result = {"reminded": 0, "cancelled": 0}
    for company in sweep_companies():
        result["cancelled"] += _cancel_unpaid(now - timedelta(minutes=company.cart_abandoned_cancel_min), batch)
        result["reminded"] += _remind_unpaid(company, now, batch)
    return result


def _cancel_unpaid(cutoff, batch: int) -> int:
    with transaction.atomic():
        due = list(
            order_qs_select_for_update(skip_locked=True)
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff)
            .order_by("placed_at")[:batch]
        )
        for order in due:
            order_transition(order=order, to=Order.Status.CANCELLED)
        return len(due)


def _remind_unpaid(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_reminder_min)
    with transaction.atomic():
        due = list(
            order_qs_select_for_update(skip_locked=True)
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff, payment_reminded_at__isnull=True)
            .select_related("customer")
            .order_by("placed_at")[:batch]
        )
        for order in due:
            order.payment_reminded_at = now
            order.save(update_fields=["payment_reminded_at", "updated_at"])
            notifications.customer_notify(
                company_id=company.pk, customer=order.customer, text=notifications.payment_reminder_text(order)
            )
        return len(due)
