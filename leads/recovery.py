"""Cart recovery (SPEC §7): which imported abandoned carts turned into orders, and the desk's figures.

An abandoned WooCommerce cart is **recovered** when the same customer — the same Customer row, or
a customer with the same normalised phone or the same email — placed a (not cancelled) order from
2 days before to 30 days after the cart's time, both ends included; **waiting** while that window
is still open with no order; **abandoned** once it closed with none. Carts the plugin itself marked
completed (it saw the purchase) count as recovered. Everything here reads; nothing is written.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from carts.models import Cart
from customers.models import Customer
from exports.periods import in_period
from leads.models import Lead
from orders.models import Order
from orders.selectors import orders_placed
from tenants.models import Company

WINDOW_BEFORE = timedelta(days=2)
WINDOW_AFTER = timedelta(days=30)
RECOVERED, WAITING, ABANDONED = "recovered", "waiting", "abandoned"
RECOVERY_STATUSES = (RECOVERED, WAITING, ABANDONED)
# WooCommerce cart statuses that mean "left on the site" (normal = still shopping: not yet abandoned).
CANDIDATE_STATUSES = (Cart.Status.ABANDONED, Cart.Status.LOST, Cart.Status.CHECKED_OUT)


def _shifted(ref: str, delta: timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(OuterRef(ref) + Value(delta), output_field=DateTimeField())


def _same_person() -> QuerySet:
    """Ids of the customers an order of the outer row's person may have: the outer row's customer, or a
    customer of its company with the same phone or the same email (one to three rows).

    Meant for `orders.filter(customer_id__in=...)` inside a subquery over the outer row (hence the
    OuterRef(OuterRef)); the orders subquery keeps to the company. An OR on this one table is served by
    its indexes (primary key, unique company+phone, unique company+email, combined by a BitmapOr), then
    the orders of those few customers by orders(company, customer, placed_at); the same OR across orders
    and joined customer columns could use no index and read every order of the company for every outer
    row. No separate company filter here: on tables not analyzed yet the planner would rather scan the
    company's customers by it than combine the three lookups.
    """
    company_id = OuterRef(OuterRef("company_id"))
    return (
        Customer.objects.unscoped()  # unscoped: the outer row's own customer, or its company's (same phone/email)
        .filter(
            Q(pk=OuterRef(OuterRef("customer_id")))
            | (Q(company_id=company_id, phone=OuterRef(OuterRef("customer__phone"))) & ~Q(phone=""))
            | (Q(company_id=company_id, email=OuterRef(OuterRef("customer__email"))) & ~Q(email=""))
        )
        .values("pk")
    )


def abandoned_carts(company: Company) -> QuerySet:
    """The company's imported carts that recovery applies to."""
    return Cart.objects.for_company(company).filter(source=Cart.Source.WOOCOMMERCE, status__in=CANDIDATE_STATUSES)


def _orders_of(company: Company | int | None) -> QuerySet:
    if company is None:
        return Order.objects.unscoped()  # unscoped: superuser all-companies view; tied to the outer company below
    return Order.objects.for_company(company)


def with_recovery(carts: QuerySet, company: Company | int | None, now: datetime | None = None) -> QuerySet:
    """`carts` annotated with `recovery_order_id` (first matching order) and `recovery_status`
    ("" for carts recovery does not apply to: bot carts, WooCommerce carts still "normal").

    Orders always come from the cart's own company; `company` None is only for a superuser's
    all-companies admin view.
    """
    now = now or timezone.now()
    matching = (
        _orders_of(company)
        .filter(company_id=OuterRef("company_id"))
        .filter(customer_id__in=_same_person())
        .exclude(status=Order.Status.CANCELLED)
        .filter(
            placed_at__gte=_shifted("last_activity_at", -WINDOW_BEFORE),
            placed_at__lte=_shifted("last_activity_at", WINDOW_AFTER),
        )
        .order_by("placed_at", "id")
        .values("id")[:1]
    )
    return carts.annotate(recovery_order_id=Subquery(matching)).annotate(
        recovery_status=Case(
            When(~Q(source=Cart.Source.WOOCOMMERCE) | ~Q(status__in=CANDIDATE_STATUSES), then=Value("")),
            When(status=Cart.Status.CHECKED_OUT, then=Value(RECOVERED)),
            When(recovery_order_id__isnull=False, then=Value(RECOVERED)),
            When(last_activity_at__gte=now - WINDOW_AFTER, then=Value(WAITING)),
            default=Value(ABANDONED),
            output_field=CharField(),
        )
    )


def recovery_status_of(cart: Cart, now: datetime | None = None) -> str:
    """recovered | waiting | abandoned for one cart (of a candidate status)."""
    qs = with_recovery(Cart.objects.for_company(cart.company_id).filter(pk=cart.pk), cart.company_id, now)
    return qs.values_list("recovery_status", flat=True).get()


def recovery_summary(
    company: Company, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> dict:
    """Recovery figures of carts whose time is in [start, end) and of orders placed in it.

    Keys: those of `cart_recovery_summary`, plus orders, average_ticket, customers_with_orders,
    repeat_customers (2+ orders), average_days_between_orders (per repeat customer, then averaged;
    None if none).
    """
    orders = orders_placed(company, start, end)
    order_figures = orders.aggregate(n=Count("id"), revenue=Sum("total"))
    n_orders = order_figures["n"]
    return {
        **cart_recovery_summary(company, start, end, now),
        "orders": n_orders,
        "average_ticket": (order_figures["revenue"] / n_orders).quantize(Decimal("0.01"))
        if n_orders
        else Decimal("0.00"),
        **recurrence(orders),
    }


def cart_recovery_summary(
    company: Company, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> dict:
    """Imported carts whose time is in [start, end): carts, recovered, waiting, abandoned,
    recovery_rate (% of carts, 1 decimal), recovered_revenue (distinct matching orders' totals, plus
    the cart total of plugin-completed carts with no imported order)."""
    carts = with_recovery(in_period(abandoned_carts(company), "last_activity_at", start, end), company, now)
    # One pass over the carts (each row runs the matching subquery): the counts, the matched orders
    # and the plugin-completed totals are taken from the same rows.
    counts = dict.fromkeys(RECOVERY_STATUSES, 0)
    matched: set[int] = set()
    plugin_only = Decimal("0")
    for status, order_id, cart_status, cart_total in carts.values_list(
        "recovery_status", "recovery_order_id", "status", "external_total"
    ).iterator():
        counts[status] += 1
        if order_id is not None:
            matched.add(order_id)
        elif cart_status == Cart.Status.CHECKED_OUT:
            plugin_only += cart_total or 0
    revenue = (
        Order.objects.for_company(company).filter(id__in=matched).aggregate(s=Sum("total"))["s"] if matched else None
    )
    revenue = (revenue or Decimal("0")) + plugin_only
    total = sum(counts.values())
    recovered = counts[RECOVERED]
    return {
        "carts": total,
        "recovered": recovered,
        "waiting": counts[WAITING],
        "abandoned": counts[ABANDONED],
        "recovery_rate": round(100 * recovered / total, 1) if total else 0.0,
        "recovered_revenue": revenue.quantize(Decimal("0.01")),
    }


def recurrence(orders: QuerySet) -> dict:
    """Customers with orders, those with 2+, and the average days between consecutive orders of the latter."""
    per_customer = (
        orders.filter(customer__isnull=False)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"), first=Min("placed_at"), last=Max("placed_at"))
    )
    customers = repeat = 0
    gaps: list[float] = []
    for row in per_customer.iterator():
        customers += 1
        if row["n"] >= 2:
            repeat += 1
            gaps.append((row["last"] - row["first"]).total_seconds() / 86400 / (row["n"] - 1))
    return {
        "customers_with_orders": customers,
        "repeat_customers": repeat,
        "average_days_between_orders": round(sum(gaps) / len(gaps), 1) if gaps else None,
    }


def leads_with_customer_flag(leads: QuerySet, company: Company) -> QuerySet:
    """`leads` annotated with `is_customer`: the person (customer, phone or email) has a completed order."""
    completed = (
        _orders_of(company)
        .filter(company_id=OuterRef("company_id"), status=Order.Status.COMPLETED)
        .filter(customer_id__in=_same_person())
    )
    return leads.annotate(is_customer=Exists(completed))


def leads_summary(company: Company, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Lead figures for leads submitted in [start, end): totals, already customers, contact toggles."""
    leads = leads_with_customer_flag(in_period(Lead.objects.for_company(company), "submitted_at", start, end), company)
    figures = leads.aggregate(
        total=Count("id"),
        with_phone=Count("id", filter=~Q(phone="")),
        already_customers=Count("id", filter=Q(is_customer=True)),
        email_sent=Count("id", filter=Q(email_sent=True)),
        whatsapp_sent=Count("id", filter=Q(whatsapp_sent=True)),
    )
    total = figures["total"]
    figures["conversion_rate"] = round(100 * figures["already_customers"] / total, 1) if total else 0.0
    return figures
