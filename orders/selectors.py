"""Reads of orders: nested child rows for serializers without touching the default manager unscoped,
which orders count as placed in a period, the orders board, and the customer's last orders in the
staff inbox's panel."""

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from conversations.panel import PanelRow, PanelSection
from customers.selectors import test_customer_q
from orders.models import Order, Payment


def children(obj, related_name: str, model):
    """`obj.<related_name>.all()` from the prefetch cache when the view prefetched it, else an
    explicit company query (reverse managers use the fail-closed manager, which needs a scope)."""
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if related_name in cache:
        return list(cache[related_name])
    field = obj._meta.get_field(related_name).field.name
    return list(model.objects.for_company(obj.company_id).filter(**{field: obj}).order_by("pk"))


def conversations_that_ordered(conversations: dict) -> set:
    """The ids among `conversations` ({id: (customer id, started at)}) whose customer placed an
    order (not cancelled) at or after the conversation started. One query."""
    placed: dict[int, list] = {}
    rows = (
        Order.objects.filter(
            customer_id__in={customer for customer, _ in conversations.values()}, placed_at__isnull=False
        )
        .exclude(status=Order.Status.CANCELLED)
        .values_list("customer_id", "placed_at")
    )
    for customer_id, placed_at in rows:
        placed.setdefault(customer_id, []).append(placed_at)
    return {
        conversation_id
        for conversation_id, (customer_id, started_at) in conversations.items()
        if any(when >= started_at for when in placed.get(customer_id, ()))
    }


def orders_placed(company, start=None, end=None) -> QuerySet:
    """The company's orders placed in [start, end) (an open side when None) that were not cancelled:
    what "orders" and "revenue" count everywhere (dashboard, recovery figures)."""
    orders = (
        Order.objects.for_company(company)
        .exclude(status=Order.Status.CANCELLED)
        .filter(placed_at__isnull=False)
        .exclude(test_customer_q("customer__"))  # staff's simulator orders are tests
    )
    if start:
        orders = orders.filter(placed_at__gte=start)
    if end:
        orders = orders.filter(placed_at__lt=end)
    return orders


# --- The orders board ---------------------------------------------------------------------------

BOARD_COLUMN_LIMIT = 40  # cards per column; the rest is one click away in the filtered list
BOARD_DONE_WINDOW = timedelta(hours=24)  # completed/cancelled cards stay this long on the board
FINAL_STATUSES = (Order.Status.COMPLETED, Order.Status.CANCELLED)


def order_board(company, now=None) -> dict[str, dict]:
    """{status: {"orders": [...], "count": n}} in lifecycle order: every open order, and those
    completed or cancelled in the last BOARD_DONE_WINDOW; oldest first, BOARD_COLUMN_LIMIT per
    column. Cards carry the customer and `payment_status` (their latest payment's). Two queries."""
    now = now or timezone.now()
    shown = Order.objects.for_company(company).filter(
        ~Q(status__in=FINAL_STATUSES) | Q(updated_at__gte=now - BOARD_DONE_WINDOW)
    )
    counts = dict(shown.order_by().values_list("status").annotate(n=Count("id")))
    latest_payment = Payment.objects.for_company(company).filter(order=OuterRef("pk")).order_by("-created_at", "-id")
    placed = Coalesce("placed_at", "created_at")
    rank = Window(RowNumber(), partition_by=F("status"), order_by=[placed.asc(), F("id").asc()])
    cards = (
        shown.select_related("customer")
        .annotate(payment_status=Subquery(latest_payment.values("status")[:1]), column_rank=rank)
        .filter(column_rank__lte=BOARD_COLUMN_LIMIT)
        .order_by(placed, "id")
    )
    board = {status: {"orders": [], "count": counts.get(status, 0)} for status in Order.Status.values}
    for order in cards:
        board[order.status]["orders"].append(order)
    return board


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
