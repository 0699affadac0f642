"""Periodic sweeps over orders: ask for ratings, remind and cancel unpaid Pix orders (Mercado Pago;
a static Pix is confirmed by people: alerted, never cancelled by the clock).

Sweeps as `tenants.sweeps` describes: per company, due rows only through a partial index (status +
timestamp), bounded batches claimed with FOR UPDATE SKIP LOCKED, each row's state changed in the
claim's transaction, so a row is handled once. Only the bot's orders (source WhatsApp): orders imported
from the store are the store's to rate, remind or cancel, and their customers are never messaged.
"""

from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orders import notifications
from orders.lock_objects import order_qs_select_for_update, payment_qs_select_for_update
from orders.models import Order, Payment, Source
from orders.payments import static_pix_alert_after
from orders.services import order_transition
from tenants.models import Company
from tenants.sweeps import sweep_companies

logger = structlog.get_logger(__name__)
SWEEP_BATCH = 200  # rows per company per run; the rest is due again at the next run (beat: every minute)


def _bot_orders_to_claim():
    """The orders placed through the bot, claimed by this sweep's transaction (FOR UPDATE SKIP LOCKED).
    Imported orders are the store's: never rated, reminded or cancelled here (the partial indexes
    order_rating_due_idx and order_unpaid_due_idx hold the bot's orders only)."""
    return order_qs_select_for_update(skip_locked=True).filter(source=Source.WHATSAPP)


def orders_request_ratings(*, now=None, batch: int = SWEEP_BATCH) -> int:
    """Ask each order completed more than company.rating_delay_min ago for a 1..5 rating, once."""
    now = now or timezone.now()
    return sum(_ask_ratings(company, now, batch) for company in sweep_companies())


def _ask_ratings(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.rating_delay_min)
    with transaction.atomic():
        due = list(
            _bot_orders_to_claim()
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
    result = {"reminded": 0, "cancelled": 0, "alerted": 0}
    for company in sweep_companies():
        result["cancelled"] += _cancel_unpaid(now - timedelta(minutes=company.cart_abandoned_cancel_min), batch)
        result["reminded"] += _remind_unpaid(company, now, batch)
        result["alerted"] += _alert_static_pix(company, now, batch)
    return result


def _static_pix_waiting():
    """Orders whose static Pix waits for a person: never cancelled or reminded by the clock."""
    return Exists(
        Payment.objects.filter(
            order=OuterRef("pk"), provider=Payment.Provider.STATIC_PIX, status=Payment.Status.PENDING
        )
    )


def _alert_static_pix(company: Company, now, batch: int) -> int:
    """Static Pix not confirmed after the company's `static_pix_alert_min`: staff are alerted (the
    board marks the order, the log says so) and the customer is asked for the receipt, once."""
    cutoff = now - static_pix_alert_after(company)
    with transaction.atomic():
        due = list(
            payment_qs_select_for_update(skip_locked=True)
            .filter(
                provider=Payment.Provider.STATIC_PIX,
                status=Payment.Status.PENDING,
                alerted_at__isnull=True,
                created_at__lte=cutoff,
                order__status__in=(Order.Status.PENDING, Order.Status.AWAITING_PAYMENT),
            )
            .select_related("order", "order__customer")
            .order_by("created_at")[:batch]
        )
        for payment in due:
            payment.alerted_at = now
            payment.save(update_fields=["alerted_at", "updated_at"])
            logger.warning("static_pix_unconfirmed", order_id=payment.order_id, payment_id=payment.pk)
            notifications.customer_notify(
                company_id=company.pk,
                customer=payment.order.customer,
                text=notifications.static_pix_question_text(
                    payment.order, receipt=payment.receipt_message_id is not None
                ),
            )
        return len(due)


def _cancel_unpaid(cutoff, batch: int) -> int:
    with transaction.atomic():
        due = list(
            _bot_orders_to_claim()
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff)
            .exclude(_static_pix_waiting())
            .order_by("placed_at")[:batch]
        )
        for order in due:
            order_transition(order=order, to=Order.Status.CANCELLED)
        return len(due)


def _remind_unpaid(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_reminder_min)
    with transaction.atomic():
        due = list(
            _bot_orders_to_claim()
            .filter(status=Order.Status.AWAITING_PAYMENT, placed_at__lte=cutoff, payment_reminded_at__isnull=True)
            .exclude(_static_pix_waiting())
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
