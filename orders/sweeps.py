"""Periodic sweeps over orders: ask for ratings, remind and cancel unpaid Pix orders.

Each sweep reads only due rows through a partial index (status + timestamp), claims a bounded
batch with FOR UPDATE SKIP LOCKED so concurrent sweepers never take the same row, and changes
each row's state in the same transaction, so a row is handled once. Cost: one query per company
plus the due rows, whatever the number of rows that are not due.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orders import notifications
from orders.models import Order
from orders.services import order_transition
from tenants.models import Company
from tenants.scoping import company_scope

SWEEP_BATCH = 200  # rows per company per run; the rest is due again at the next run (beat: every minute)


def _companies():
    return Company.objects.filter(active=True).order_by("pk")


def orders_request_ratings(*, now=None, batch: int = SWEEP_BATCH) -> int:
    """Ask each order completed more than company.rating_delay_min ago for a 1..5 rating, once."""
    now = now or timezone.now()
    asked = 0
    for company in _companies():
        cutoff = now - timedelta(minutes=company.rating_delay_min)
        with company_scope(company), transaction.atomic():
            due = list(
                Order.objects.for_company(company)
                .filter(status=Order.Status.COMPLETED, rating_requested_at__isnull=True, completed_at__lte=cutoff)
                .select_related("customer")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("completed_at")[:batch]
            )
            for order in due:
                order.rating_requested_at = now
                order.save(update_fields=["rating_requested_at", "updated_at"])
                notifications.customer_notify(
                    company_id=company.pk, customer=order.customer, text=notifications.rating_request_text(order)
                )
            asked += len(due)
    return asked


def orders_sweep_unpaid(*, now=None, batch: int = SWEEP_BATCH) -> dict:
    """Orders still awaiting their Pix: remind after cart_abandoned_reminder_min, cancel (stock back)
    after cart_abandoned_cancel_min, each at most once."""
    now = now or timezone.now()
    result = {"reminded": 0, "cancelled": 0}
    for company in _companies():
        with company_scope(company):
            result["cancelled"] += _cancel_unpaid(
                company, now - timedelta(minutes=company.cart_abandoned_cancel_min), batch
            )
            result["reminded"] += _remind_unpaid(company, now, batch)
    return result


def _cancel_unpaid(company: Company, cutoff, batch: int) -> int:
    with transaction.atomic():
        due = list(
            Order.objects.for_company(company)
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("placed_at")[:batch]
        )
        for order in due:
            order_transition(order=order, to=Order.Status.CANCELLED)
        return len(due)


def _remind_unpaid(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_reminder_min)
    with transaction.atomic():
        due = list(
            Order.objects.for_company(company)
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff, payment_reminded_at__isnull=True)
            .select_related("customer")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("placed_at")[:batch]
        )
        for order in due:
            order.payment_reminded_at = now
            order.save(update_fields=["payment_reminded_at", "updated_at"])
            notifications.customer_notify(
                company_id=company.pk, customer=order.customer, text=notifications.payment_reminder_text(order)
            )
        return len(due)
