"""Reads of carts for other pages: the open cart in the staff inbox's customer panel; imported carts'
stored recovery status (recovered / waiting / abandoned) for the lists, filters and figures."""

from datetime import datetime, timedelta

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from carts.models import Cart
from carts.services import cart_view
from conversations.panel import PanelRow, PanelSection


def open_cart_panel_section(conversation) -> PanelSection:
    """The customer's open cart: its items and total, linked to the cart's page. A few queries,
    whatever the customer's history (the open cart, its items, its zone)."""
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if view.cart is None or not view.items:
        return PanelSection(_("Open cart"), empty=_("No open cart."))
    url = reverse("admin:carts_cart_change", args=[view.cart.pk])
    rows = [PanelRow(f"{item.quantity}×", item.name, url) for item in view.items]
    rows.append(PanelRow(_("Total"), f"R$ {number_format(view.total, 2)}"))
    return PanelSection(_("Open cart"), rows)


# --- Recovery of imported carts, as stored (leads.recovery.recovery_refresh computes and stores it) ---

RECOVERY_WINDOW_AFTER = timedelta(days=30)
RECOVERED, WAITING, ABANDONED = "recovered", "waiting", "abandoned"
RECOVERY_STATUSES = (RECOVERED, WAITING, ABANDONED)
# WooCommerce carts recovery applies to (normal = still shopping: not yet abandoned).
RECOVERY_CANDIDATES = (Cart.Status.ABANDONED, Cart.Status.LOST, Cart.Status.CHECKED_OUT, Cart.Status.RECOVERED)


def recovery_status_expression(now: datetime | None = None) -> Case:
    """recovered | waiting | abandoned of each cart from its stored match and the clock ("" for carts
    recovery does not apply to: bot carts, WooCommerce carts still "normal"). No subquery."""
    now = now or timezone.now()
    return Case(
        When(~Q(source=Cart.Source.WOOCOMMERCE) | ~Q(status__in=RECOVERY_CANDIDATES), then=Value("")),
        When(status__in=(Cart.Status.CHECKED_OUT, Cart.Status.RECOVERED), then=Value(RECOVERED)),
        When(recovery_order_id__isnull=False, then=Value(RECOVERED)),
        When(last_activity_at__gte=now - RECOVERY_WINDOW_AFTER, then=Value(WAITING)),
        default=Value(ABANDONED),
        output_field=CharField(),
    )


def recovery_status_q(status: str, now: datetime) -> Q:
    """The condition of one recovery status on an imported cart's stored columns (what
    `recovery_status_expression` gives, as plain conditions the figures and filters share)."""
    woo = Q(source=Cart.Source.WOOCOMMERCE)
    if status == RECOVERED:
        return woo & (
            Q(status__in=(Cart.Status.CHECKED_OUT, Cart.Status.RECOVERED))
            | Q(status__in=RECOVERY_CANDIDATES, recovery_order__isnull=False)
        )
    unmatched = woo & Q(status__in=(Cart.Status.ABANDONED, Cart.Status.LOST), recovery_order__isnull=True)
    if status == WAITING:
        return unmatched & Q(last_activity_at__gte=now - RECOVERY_WINDOW_AFTER)
    if status == ABANDONED:
        return unmatched & Q(last_activity_at__lt=now - RECOVERY_WINDOW_AFTER)
    raise ValueError(f"unknown recovery status {status!r}")


def filter_recovery_status(carts: QuerySet, status: str, now: datetime | None = None) -> QuerySet:
    """Imported carts of one recovery status (the rows each figure of the recovery summary counts).
    ValueError for another status."""
    return carts.filter(recovery_status_q(status, now or timezone.now()))
