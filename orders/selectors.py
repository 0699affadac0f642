"""Reads of orders: nested child rows for serializers without touching the default manager unscoped, and
the customer's last orders in the staff inbox's panel."""

from django.db.models import F
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from conversations.panel import PanelRow, PanelSection
from orders.models import Order


def children(obj, related_name: str, model):
    """`obj.<related_name>.all()` from the prefetch cache when the view prefetched it, else an
    explicit company query (reverse managers use the fail-closed manager, which needs a scope)."""
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if related_name in cache:
        return list(cache[related_name])
    field = obj._meta.get_field(related_name).field.name
    return list(model.objects.for_company(obj.company_id).filter(**{field: obj}).order_by("pk"))


LAST_ORDERS = 5  # orders shown beside a conversation


def last_orders_panel_section(conversation) -> PanelSection:
    """The customer's latest orders (status, total, date), each linked to its page. One query."""
    orders = (
        Order.objects.for_company(conversation.company_id)
        .filter(customer_id=conversation.customer_id)
        .order_by(F("placed_at").desc(nulls_last=True), "-id")[:LAST_ORDERS]
    )
    rows = [
        PanelRow(
            f"#{order.pk} · {localtime(order.placed_at or order.created_at):%d/%m}",
            f"{order.get_status_display()} · R$ {number_format(order.total, 2)}",
            reverse("admin:orders_order_change", args=[order.pk]),
        )
        for order in orders
    ]
    return PanelSection(_("Last orders"), rows, empty=_("No orders yet."))
