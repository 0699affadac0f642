"""Every figure and chart series of the staff dashboard, for one company and one period.

The dashboard page, `GET /api/dashboard/` and the admin lists the figures link to (console.links)
read the same definitions, so the three agree by construction. The number of queries is fixed:
aggregates and per-day groupings, never a query per row.
"""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from carts.models import Cart
from conversations.models import Conversation, Message
from conversations.selectors import ingest_lag_seconds
from customers.selectors import without_test_customers
from leads.recovery import cart_recovery_summary, leads_summary
from orders.models import Order, OrderItem, Payment
from orders.selectors import orders_placed
from tenants.models import Company

ZERO = Decimal("0.00")
TOP_PRODUCTS = 5


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def period_messages(company: Company, start: datetime, end: datetime):
    messages = Message.objects.for_company(company).filter(created_at__gte=start, created_at__lt=end)
    return without_test_customers(messages)  # staff's simulator chats are tests


def period_payments(company: Company, start: datetime, end: datetime):
    return Payment.objects.for_company(company).filter(created_at__gte=start, created_at__lt=end)


def bot_carts_reminded(company: Company, start: datetime, end: datetime):
    """Bot carts left idle until the abandonment reminder went out, reminded in the period."""
    return without_test_customers(
        Cart.objects.for_company(company).filter(
            source=Cart.Source.WHATSAPP, reminded_at__gte=start, reminded_at__lt=end
        )
    )


def waiting_for_human(company: Company):
    """Conversations a person took over (the bot is silent), whatever the period."""
    return without_test_customers(Conversation.objects.for_company(company).filter(bot_paused=True))


def dashboard_figures(company: Company, start: datetime, end: datetime, charts: dict | None = None) -> dict:
    """The dashboard's cards for [start, end). Money as Decimal (2 places), rates in % (1 place).

    Message and order totals are the sums of the per-day series (one scan each); pass the charts
    already read for the same period to reuse them.
    """
    if charts is None:
        charts = {
            "messages_per_day": messages_per_day(company, start, end),
            "orders_per_day": orders_per_day(company, start, end),
        }
    messages, orders = charts["messages_per_day"], charts["orders_per_day"]
    payments = period_payments(company, start, end).aggregate(
        pending=Count("id", filter=Q(status=Payment.Status.PENDING)),
        pending_amount=Sum("amount", filter=Q(status=Payment.Status.PENDING)),
        paid=Count("id", filter=Q(status=Payment.Status.APPROVED)),
        paid_amount=Sum("amount", filter=Q(status=Payment.Status.APPROVED)),
    )
    recovered = Q(status=Cart.Status.CHECKED_OUT)
    bot = bot_carts_reminded(company, start, end).aggregate(
        abandoned=Count("id"), recovered=Count("id", filter=recovered), revenue=Sum("order__total", filter=recovered)
    )
    woo = cart_recovery_summary(company, start, end)
    leads = leads_summary(company, start, end)
    n_orders = _total(orders, "orders")
    revenue = _money(_total(orders, "revenue"))
    return {
        "conversations": period_messages(company, start, end).aggregate(n=Count("conversation", distinct=True))["n"],
        "messages_in": _total(messages, "messages_in"),
        "messages_out": _total(messages, "messages_out"),
        "failed_outbound": _total(messages, "failed_outbound"),
        "waiting_for_human": waiting_for_human(company).count(),
        "orders": n_orders,
        "revenue": revenue,
        "average_ticket": _money(revenue / n_orders) if n_orders else ZERO,
        "pix_pending": payments["pending"],
        "pix_pending_amount": _money(payments["pending_amount"]),
        "pix_paid": payments["paid"],
        "pix_paid_amount": _money(payments["paid_amount"]),
        "bot_carts_abandoned": bot["abandoned"],
        "bot_carts_recovered": bot["recovered"],
        "bot_recovery_rate": _rate(bot["recovered"], bot["abandoned"]),
        "bot_recovered_revenue": _money(bot["revenue"]),
        "woo_carts_abandoned": woo["carts"],
        "woo_carts_recovered": woo["recovered"],
        "woo_recovery_rate": woo["recovery_rate"],
        "woo_recovered_revenue": woo["recovered_revenue"],
        "leads": leads["total"],
        "leads_customers": leads["already_customers"],
        "ingest_lag_seconds": round(ingest_lag_seconds(company.pk)),
    }


def _total(days: dict, key: str):
    return sum((row[key] for row in days.values()), 0)


def _by_day(queryset, field: str, tz_name: str, **aggregates) -> dict[date, dict]:
    day = TruncDate(field, tzinfo=zoneinfo.ZoneInfo(tz_name))
    rows = queryset.annotate(day=day).order_by().values("day").annotate(**aggregates)
    return {row.pop("day"): row for row in rows}


def messages_per_day(company: Company, start: datetime, end: datetime) -> dict[date, dict]:
    """{day: {"messages_in": n, "messages_out": n, "failed_outbound": n}} for the days that had messages."""
    return _by_day(
        period_messages(company, start, end),
        "created_at",
        company.timezone,
        messages_in=Count("id", filter=Q(direction=Message.Direction.INBOUND)),
        messages_out=Count("id", filter=Q(direction=Message.Direction.OUTBOUND)),
        failed_outbound=Count("id", filter=Q(direction=Message.Direction.OUTBOUND, status=Message.Status.FAILED)),
    )


def orders_per_day(company: Company, start: datetime, end: datetime) -> dict[date, dict]:
    """{day: {"orders": n, "revenue": Decimal}} for the days that had orders."""
    days = _by_day(
        orders_placed(company, start, end), "placed_at", company.timezone, orders=Count("id"), revenue=Sum("total")
    )
    for row in days.values():
        row["revenue"] = _money(row["revenue"])
    return days


def top_products(company: Company, start: datetime, end: datetime, limit: int = TOP_PRODUCTS) -> list[dict]:
    """The best sellers of the period's orders by quantity: [{"name", "quantity", "revenue"}]."""
    # A join from the period's orders (their placed-time index) to their items (company, order), not
    # an IN over every item of the company.
    rows = (
        OrderItem.objects.for_company(company)
        .filter(order__company=company, order__placed_at__gte=start, order__placed_at__lt=end)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("name")
        .annotate(quantity=Sum("quantity"), revenue=Sum("total"))
        .order_by("-quantity", "-revenue", "name")[:limit]
    )
    return [{**row, "revenue": _money(row["revenue"])} for row in rows]


def dashboard_charts(company: Company, start: datetime, end: datetime, days: list[date]) -> dict:
    """Series for the charts, one entry per day of `days` (zeros where nothing happened)."""
    messages = messages_per_day(company, start, end)
    orders = orders_per_day(company, start, end)
    empty_messages = {"messages_in": 0, "messages_out": 0, "failed_outbound": 0}
    empty_orders = {"orders": 0, "revenue": ZERO}
    return {
        "messages_per_day": [{"day": day, **messages.get(day, empty_messages)} for day in days],
        "orders_per_day": [{"day": day, **orders.get(day, empty_orders)} for day in days],
        "top_products": top_products(company, start, end),
    }


def dashboard_read_all(company: Company, start: datetime, end: datetime, days: list[date]) -> tuple[dict, dict]:
    """(figures, charts) with each per-day series read once for both."""
    charts = dashboard_charts(company, start, end, days)
    by_day = {name: {row["day"]: row for row in charts[name]} for name in ("messages_per_day", "orders_per_day")}
    return dashboard_figures(company, start, end, by_day), charts
