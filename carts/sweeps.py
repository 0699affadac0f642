"""Abandoned bot carts: remind once after cart_abandoned_reminder_min of inactivity, cancel once after
cart_abandoned_cancel_min; and the cleanup of old carts and expired sessions.

Due rows only, through the partial indexes cart_open_due_idx / cart_reminded_due_idx, in bounded
batches claimed with FOR UPDATE SKIP LOCKED: two sweepers at once never handle the same cart, and
the state change commits with the claim, so each cart is reminded once and cancelled once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carts.models import Cart, SessionContext
from orders import notifications
from orders.sweeps import orders_sweep_unpaid
from tenants.models import Company
from tenants.scoping import company_scope

SWEEP_BATCH = 200  # carts per company per run
CLEANUP_AFTER = timedelta(days=7)  # seed 000: carts untouched for more than 7 days
CLEANUP_BATCH = 1000


def carts_sweep_abandoned(*, now=None, batch: int = SWEEP_BATCH) -> dict:
    """One pass over every active company: reminders, cancellations, then unpaid Pix orders
    (orders.sweeps.orders_sweep_unpaid: cancelled with their stock returned)."""
    now = now or timezone.now()
    result = {"reminded": 0, "cancelled": 0}
    for company in Company.objects.filter(active=True).order_by("pk"):
        with company_scope(company):
            result["cancelled"] += _cancel_due(company, now, batch)
            result["reminded"] += _remind_due(company, now, batch)
    unpaid = orders_sweep_unpaid(now=now, batch=batch)
    result["orders_reminded"] = unpaid["reminded"]
    result["orders_cancelled"] = unpaid["cancelled"]
    return result


def _claim(company: Company, status: str, cutoff, batch: int) -> list[Cart]:
    """Lock a batch of due carts (caller holds the transaction); rows other sweepers hold are skipped."""
    return list(
        Cart.objects.for_company(company)
        .filter(source=Cart.Source.WHATSAPP, status=status, last_activity_at__lte=cutoff)
        .select_related("customer")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("last_activity_at")[:batch]
    )


def _remind_due(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_reminder_min)
    with transaction.atomic():
        carts = _claim(company, Cart.Status.OPEN, cutoff, batch)
        for cart in carts:
            cart.status = Cart.Status.REMINDED
            cart.reminded_at = now
            cart.save(update_fields=["status", "reminded_at", "updated_at"])
            notifications.customer_notify(
                company_id=company.pk,
                customer=cart.customer,
                text=_("You left items in your cart. Reply *carrinho* to see it or *finalizar* to place the order."),
            )
    return len(carts)


def _cancel_due(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_cancel_min)
    with transaction.atomic():
        carts = _claim(company, Cart.Status.REMINDED, cutoff, batch)
        for cart in carts:
            cart.status = Cart.Status.CANCELLED
            cart.closed_at = now
            cart.save(update_fields=["status", "closed_at", "updated_at"])
            notifications.customer_notify(
                company_id=company.pk,
                customer=cart.customer,
                text=_("Your cart was cancelled after a while without activity. Send *menu* to start again."),
            )
    return len(carts)


def carts_cleanup_old(*, now=None) -> dict:
    """Delete bot carts untouched for CLEANUP_AFTER that are not checked out (their orders stay),
    and expired session contexts. Batched deletes; returns the counts."""
    now = now or timezone.now()
    deleted = {"carts": 0, "sessions": 0}
    stale = (
        Cart.objects.unscoped()  # unscoped: a global maintenance job over every company
        .filter(source=Cart.Source.WHATSAPP, updated_at__lt=now - CLEANUP_AFTER)
        .exclude(status=Cart.Status.CHECKED_OUT)
    )
    while ids := list(stale.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        Cart.objects.unscoped().filter(pk__in=ids).delete()  # unscoped: ids picked just above
        deleted["carts"] += len(ids)
    expired = SessionContext.objects.unscoped().filter(expires_at__lt=now)  # unscoped: global maintenance
    while ids := list(expired.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        SessionContext.objects.unscoped().filter(pk__in=ids).delete()  # unscoped: ids picked just above
        deleted["sessions"] += len(ids)
    return deleted
