"""Abandoned bot carts: remind once after cart_abandoned_reminder_min of inactivity, cancel once after
cart_abandoned_cancel_min; and the cleanup of old carts (retention_abandoned_carts_days) and expired sessions.

Sweeps as `tenants.sweeps` describes: per company, due rows only (the partial indexes
cart_open_due_idx / cart_reminded_due_idx), bounded batches claimed with FOR UPDATE SKIP LOCKED,
the state change committed with the claim, so each cart is reminded once and cancelled once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carts.lock_objects import cart_qs_select_for_update
from carts.models import Cart, SessionContext
from orders import notifications
from orders.sweeps import orders_sweep_unpaid
from tenants.models import Company
from tenants.setting_keys import declare_setting, whole_number_between
from tenants.sweeps import sweep_companies

SWEEP_BATCH = 200  # carts per company per run
CLEANUP_BATCH = 1000
# How long a bot cart nobody touches is kept (7 days by default); a per-company setting, LGPD retention.
CART_RETENTION_DAYS = declare_setting(
    "retention_abandoned_carts_days",
    value_type="number",
    default=7,
    description=gettext_lazy("Days an untouched, not checked-out bot cart is kept"),
    validate=whole_number_between(1, 36500),
)


def carts_sweep_abandoned(*, now=None, batch: int = SWEEP_BATCH) -> dict:
    """One pass over every active company: reminders, cancellations, then unpaid Pix orders
    (orders.sweeps.orders_sweep_unpaid: cancelled with their stock returned)."""
    now = now or timezone.now()
    result = {"reminded": 0, "cancelled": 0}
    for company in sweep_companies():
        result["cancelled"] += _cancel_due(company, now, batch)
        result["reminded"] += _remind_due(company, now, batch)
    unpaid = orders_sweep_unpaid(now=now, batch=batch)
    result["orders_reminded"] = unpaid["reminded"]
    result["orders_cancelled"] = unpaid["cancelled"]
    return result


def _claim(status: str, cutoff, batch: int) -> list[Cart]:
    """Lock a batch of due carts (caller holds the transaction); rows other sweepers hold are skipped."""
    return list(
        cart_qs_select_for_update(skip_locked=True)
        .filter(source=Cart.Source.WHATSAPP, status=status, last_activity_at__lte=cutoff)
        .select_related("customer")
        .order_by("last_activity_at")[:batch]
    )


def _remind_due(company: Company, now, batch: int) -> int:
    cutoff = now - timedelta(minutes=company.cart_abandoned_reminder_min)
    with transaction.atomic():
        carts = _claim(Cart.Status.OPEN, cutoff, batch)
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
        carts = _claim(Cart.Status.REMINDED, cutoff, batch)
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
    """In every company (active or not): delete the bot carts untouched past its retention (all of
    them, batch after batch; see carts_delete_untouched) and the expired session contexts. The
    `cleanup_old_data` command; the beat runs the same two pieces in privacy.retention. Returns the counts."""
    now = now or timezone.now()
    deleted = {"carts": 0, "sessions": 0}
    for company in sweep_companies(include_inactive=True):
        while count := carts_delete_untouched(company=company, now=now):
            deleted["carts"] += count
        deleted["sessions"] += session_contexts_delete_expired(now=now)
    return deleted


def carts_delete_untouched(*, company: Company, now=None, batch: int = CLEANUP_BATCH) -> int:
    """Delete at most `batch` of the company's bot carts untouched for its
    `retention_abandoned_carts_days` (7 by default) that are not checked out (their orders stay),
    oldest first, through cart_untouched_idx. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(CART_RETENTION_DAYS.get(company)))
    carts = Cart.objects.for_company(company)
    ids = list(
        carts.filter(source=Cart.Source.WHATSAPP, updated_at__lt=cutoff)
        .exclude(status=Cart.Status.CHECKED_OUT)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:batch]
    )
    carts.filter(pk__in=ids).delete()
    return len(ids)


def session_contexts_delete_expired(*, now=None) -> int:
    """In the current company's scope: delete the expired session contexts, in batches; how many."""
    return _delete_in_batches(SessionContext.objects.filter(expires_at__lt=now or timezone.now()))


def _delete_in_batches(rows) -> int:
    count = 0
    while ids := list(rows.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        rows.model.objects.filter(pk__in=ids).delete()
        count += len(ids)
    return count
