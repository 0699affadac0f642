"""Where each dashboard figure leads: the admin list, filtered to exactly the rows it counts.

Each link's filters mirror the definition in console.selectors (a test opens every link and
compares the list's count with the figure). Datetimes travel as ISO strings with their offset.
"""

from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from carts.models import Cart
from conversations.models import Message
from leads.recovery import CANDIDATE_STATUSES, RECOVERED
from orders.models import Order, Payment

PLACED_STATUSES = ",".join(s for s in Order.Status.values if s != Order.Status.CANCELLED)


def admin_list(model_name: str, **params) -> str:
    """The changelist URL of `app_model` ("orders_order") with these query parameters."""
    url = reverse(f"admin:{model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _between(field: str, start: datetime, end: datetime) -> dict:
    return {f"{field}__gte": start.isoformat(), f"{field}__lt": end.isoformat()}


def messages_list(start, end, **extra) -> str:
    return admin_list("conversations_message", **_between("created_at", start, end), **extra)


def orders_list(start, end, **extra) -> str:
    return admin_list("orders_order", **_between("placed_at", start, end), status__in=PLACED_STATUSES, **extra)


def figure_links(start: datetime, end: datetime) -> dict[str, str]:
    """{figure key: URL} for every figure of console.selectors.dashboard_figures."""
    payments = _between("created_at", start, end)
    bot = {"source__exact": Cart.Source.WHATSAPP, **_between("reminded_at", start, end)}
    woo = {
        "source__exact": Cart.Source.WOOCOMMERCE,
        "status__in": ",".join(CANDIDATE_STATUSES),
        **_between("last_activity_at", start, end),
    }
    leads = _between("submitted_at", start, end)
    orders = orders_list(start, end)
    bot_recovered = admin_list("carts_cart", **bot, status__exact=Cart.Status.CHECKED_OUT)
    woo_recovered = admin_list("leads_importedcart", **woo, recovery=RECOVERED)
    return {
        "conversations": admin_list(
            "conversations_conversation", messages_since=start.isoformat(), messages_until=end.isoformat()
        ),
        "messages_in": messages_list(start, end, direction__exact=Message.Direction.INBOUND),
        "messages_out": messages_list(start, end, direction__exact=Message.Direction.OUTBOUND),
        "failed_outbound": messages_list(
            start, end, direction__exact=Message.Direction.OUTBOUND, status__exact=Message.Status.FAILED
        ),
        "waiting_for_human": admin_list("conversations_conversation", bot_paused__exact=1),
        "orders": orders,
        "revenue": orders,
        "average_ticket": orders,
        "pix_pending": admin_list("orders_payment", **payments, status__exact=Payment.Status.PENDING),
        "pix_pending_amount": admin_list("orders_payment", **payments, status__exact=Payment.Status.PENDING),
        "pix_paid": admin_list("orders_payment", **payments, status__exact=Payment.Status.APPROVED),
        "pix_paid_amount": admin_list("orders_payment", **payments, status__exact=Payment.Status.APPROVED),
        "bot_carts_abandoned": admin_list("carts_cart", **bot),
        "bot_carts_recovered": bot_recovered,
        "bot_recovery_rate": bot_recovered,
        "bot_recovered_revenue": bot_recovered,
        "woo_carts_abandoned": admin_list("leads_importedcart", **woo),
        "woo_carts_recovered": woo_recovered,
        "woo_recovery_rate": woo_recovered,
        "woo_recovered_revenue": woo_recovered,
        "leads": admin_list("leads_lead", **leads),
        "leads_customers": admin_list("leads_lead", **leads, already_customer="yes"),
        "ingest_lag_seconds": admin_list("conversations_inboundevent", status__exact="received"),
    }
