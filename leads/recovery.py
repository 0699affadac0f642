"""Cart recovery (SPEC §7): which imported abandoned carts turned into orders, and the desk's figures.

An abandoned WooCommerce cart is **recovered** when the same person placed an order that counts
(RECOVERY_ORDER_STATUSES: paid states; pending and on-hold too when the company's setting
`recovery_counts_unpaid_orders` is on) from 2 days before to 30 days after the cart's time, both ends
included; **waiting** while that window is still open with no order; **abandoned** once it closed with
none. Carts the plugin itself marked completed (it saw the purchase) count as recovered.

"The same person": the cart's own e-mail or phone (as recorded with the cart) or any identity of
its customer (customers.CustomerIdentity, plus the customer's own phone/e-mail columns, plus the
customer itself) equals the order's own e-mail or phone or any identity of the order's customer.
Text that is not an e-mail address identifies nobody.

The matching order is computed once, set-based (`recovery_refresh`, one UPDATE per company), and
stored on the cart (`recovery_order`, and status `recovered`); the lists and figures read the stored
result, with waiting/abandoned decided by the clock. Imports, merges and the setting refresh it.
"""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy

from carts.models import Cart
from carts.selectors import (
    ABANDONED,
    RECOVERED,
    RECOVERY_CANDIDATES,
    WAITING,
    recovery_status_expression,
    recovery_status_q,
)
from carts.selectors import RECOVERY_STATUSES as RECOVERY_STATUSES  # re-exported: the desk's vocabulary
from carts.selectors import filter_recovery_status as filter_recovery_status  # re-exported
from customers.models import Customer, CustomerIdentity
from exports.periods import in_period
from leads.models import Lead
from orders.models import Order
from orders.selectors import orders_placed
from tenants.models import Company
from tenants.setting_keys import declare_setting, yes_or_no
from tenants.settings_registry import SettingGroup

WINDOW_BEFORE = timedelta(days=2)
WINDOW_AFTER = timedelta(days=30)
# Carts recovery applies to: WooCommerce carts left on the site (normal = still shopping: not yet
# abandoned), the plugin's completed ones, and those recovery already matched.
CANDIDATE_STATUSES = RECOVERY_CANDIDATES
SOURCE_CANDIDATES = ("abandoned", "lost", "completed")  # the same, as CartFlows' order_status
# Orders that recover a cart (and count as recovered revenue): paid ones. Pending (WooCommerce pending)
# and awaiting payment (on-hold) only when the company says so: CartFlows counts them, an owner may not.
PAID_ORDER_STATUSES = (
    Order.Status.PAID,
    Order.Status.PREPARING,
    Order.Status.OUT_FOR_DELIVERY,
    Order.Status.COMPLETED,
)
UNPAID_ORDER_STATUSES = (Order.Status.PENDING, Order.Status.AWAITING_PAYMENT)

COUNT_UNPAID = declare_setting(
    "recovery_counts_unpaid_orders",
    value_type="boolean",
    default=False,
    description=gettext_lazy("Pending and on-hold orders recover a cart"),
    validate=yes_or_no,
    group=SettingGroup(
        "recovery",
        gettext_lazy("Cart recovery"),
        gettext_lazy(
            "Which orders count as a recovered cart. Paid orders always do; CartFlows also counts orders "
            "still waiting for payment."
        ),
        order=15,
    ),
)


def recovery_order_statuses(company: Company | int | None) -> tuple[str, ...]:
    """The order statuses that recover a cart for `company` (paid, plus unpaid when its setting says so)."""
    if company is None:
        return PAID_ORDER_STATUSES
    if isinstance(company, int):
        company = Company.objects.get(pk=company)
    return PAID_ORDER_STATUSES + (UNPAID_ORDER_STATUSES if COUNT_UNPAID.get(company) else ())


_REFRESH_SQL = """
WITH carts AS (
    SELECT c.id, c.customer_id, c.contact_email, c.contact_phone, c.last_activity_at AS at,
        COALESCE(NULLIF(c.external_status, ''),
                 CASE c.status WHEN 'checked_out' THEN 'completed' WHEN 'lost' THEN 'lost' ELSE 'abandoned' END)
            AS external_status
    FROM {cart} c
    WHERE c.company_id = %(company)s AND c.source = 'woocommerce'
      AND (c.external_status = ANY(%(candidates)s) OR (c.external_status = '' AND c.status = ANY(%(ours)s)))
      {only_carts}
),
orders AS (
    SELECT o.id, o.customer_id, o.contact_email, o.contact_phone, o.placed_at
    FROM {order} o
    WHERE o.company_id = %(company)s AND o.status = ANY(%(statuses)s) AND o.placed_at IS NOT NULL
),
identities AS (
    SELECT customer_id, value FROM {identity} WHERE company_id = %(company)s
    UNION SELECT id, phone FROM {customer} WHERE company_id = %(company)s AND phone <> ''
    UNION SELECT id, email FROM {customer} WHERE company_id = %(company)s AND email <> ''
),
cart_keys AS (
    SELECT c.id, c.at, 'c' || c.customer_id AS key FROM carts c WHERE c.customer_id IS NOT NULL
    UNION ALL SELECT c.id, c.at, i.value FROM carts c JOIN identities i ON i.customer_id = c.customer_id
    UNION ALL SELECT c.id, c.at, c.contact_phone FROM carts c WHERE c.contact_phone <> ''
    UNION ALL SELECT c.id, c.at, i.value FROM carts c JOIN {identity} i
        ON i.company_id = %(company)s AND i.value = c.contact_email
),
order_keys AS (
    SELECT o.id, o.placed_at, 'c' || o.customer_id AS key FROM orders o WHERE o.customer_id IS NOT NULL
    UNION ALL SELECT o.id, o.placed_at, i.value FROM orders o JOIN identities i ON i.customer_id = o.customer_id
    UNION ALL SELECT o.id, o.placed_at, o.contact_phone FROM orders o WHERE o.contact_phone <> ''
    UNION ALL SELECT o.id, o.placed_at, i.value FROM orders o JOIN {identity} i
        ON i.company_id = %(company)s AND i.value = o.contact_email
),
matches AS (
    SELECT DISTINCT ON (ck.id) ck.id AS cart_id, ok.id AS order_id
    FROM cart_keys ck JOIN order_keys ok
        ON ok.key = ck.key AND ok.placed_at BETWEEN ck.at - %(before)s AND ck.at + %(after)s
    ORDER BY ck.id, ok.placed_at, ok.id
),
results AS (
    SELECT c.id, m.order_id,
        CASE WHEN c.external_status = 'completed' THEN 'checked_out'
             WHEN m.order_id IS NOT NULL THEN 'recovered'
             WHEN c.external_status = 'lost' THEN 'lost'
             ELSE 'abandoned' END AS status
    FROM carts c LEFT JOIN matches m ON m.cart_id = c.id
)
UPDATE {cart} t SET recovery_order_id = r.order_id, status = r.status, updated_at = %(now)s
FROM results r
WHERE t.id = r.id AND (t.recovery_order_id IS DISTINCT FROM r.order_id OR t.status <> r.status)
"""


@contextmanager
def no_jit():
    """PostgreSQL's JIT compiles these aggregates over a company's whole carts/orders for longer than
    they run (about 1 s at 100k carts): off for the enclosed queries (one transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def recovery_refresh(company: Company, cart_ids: list[int] | None = None) -> int:
    """Match the company's imported carts (or only `cart_ids`) to their recovering order, set-based
    in one statement, and store it (recovery_order, status recovered / back to the source's). Returns
    how many carts changed. Rows that did not change are not written."""
    tables = {
        "cart": Cart._meta.db_table,
        "order": Order._meta.db_table,
        "identity": CustomerIdentity._meta.db_table,
        "customer": Customer._meta.db_table,
        "only_carts": "AND c.id = ANY(%(carts)s)" if cart_ids is not None else "",
    }
    params = {
        "company": company.pk,
        "candidates": list(SOURCE_CANDIDATES),
        "ours": list(CANDIDATE_STATUSES),  # carts made here (no source status): by ours
        "statuses": list(recovery_order_statuses(company)),
        "before": WINDOW_BEFORE,
        "after": WINDOW_AFTER,
        "now": timezone.now(),
        "carts": list(cart_ids or []),
    }
    with no_jit(), connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL.format(**tables), params)
        return cursor.rowcount


def abandoned_carts(company: Company) -> QuerySet:
    """The company's imported carts that recovery applies to."""
    return Cart.objects.for_company(company).filter(source=Cart.Source.WOOCOMMERCE, status__in=CANDIDATE_STATUSES)


def _orders_of(company: Company | int | None) -> QuerySet:
    if company is None:
        return Order.objects.unscoped()  # unscoped: superuser all-companies view; tied to the outer company below
    return Order.objects.for_company(company)


def with_recovery(carts: QuerySet, company: Company | int | None = None, now: datetime | None = None) -> QuerySet:
    """`carts` annotated with `recovery_status` ("" for carts recovery does not apply to) from the stored
    match (`recovery_order_id`) and the clock: no subquery. `company` is kept for the callers'
    signature; the stored result is per company already."""
    return carts.annotate(recovery_status=recovery_status_expression(now))


def recovery_status_of(cart: Cart, now: datetime | None = None) -> str:
    """recovered | waiting | abandoned for one cart (of a candidate status), matched afresh."""
    recovery_refresh(
        cart.company if isinstance(cart.company, Company) else Company.objects.get(pk=cart.company_id), [cart.pk]
    )
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
    with no_jit():
        return _recovery_summary(company, start, end, now)


def _recovery_summary(company, start, end, now) -> dict:
    figures = order_figures(orders_placed(company, start, end))
    n_orders, revenue = figures.pop("orders"), figures.pop("revenue")
    return {
        **_cart_recovery_summary(company, start, end, now),
        "orders": n_orders,
        "average_ticket": (revenue / n_orders).quantize(Decimal("0.01")) if n_orders else Decimal("0.00"),
        **figures,
    }


def cart_recovery_summary(
    company: Company, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> dict:
    """Imported carts whose time is in [start, end): carts, recovered, waiting, abandoned,
    recovery_rate (% of carts, 1 decimal), recovered_revenue (distinct matching orders' totals, plus
    the cart total of plugin-completed carts with no imported order). Two queries on stored results;
    each count equals the rows `filter_recovery_status` gives for the same period."""
    with no_jit():
        return _cart_recovery_summary(company, start, end, now)


def _cart_recovery_summary(company, start, end, now) -> dict:
    carts = with_recovery(in_period(abandoned_carts(company), "last_activity_at", start, end), company, now)
    now = now or timezone.now()
    figures = carts.aggregate(
        carts=Count("id"),
        recovered=Count("id", filter=recovery_status_q(RECOVERED, now)),
        waiting=Count("id", filter=recovery_status_q(WAITING, now)),
        abandoned=Count("id", filter=recovery_status_q(ABANDONED, now)),
        plugin_only=Sum("external_total", filter=Q(status=Cart.Status.CHECKED_OUT, recovery_order__isnull=True)),
    )
    matched = carts.filter(recovery_order__isnull=False).values("recovery_order_id")
    revenue = Order.objects.for_company(company).filter(id__in=matched).aggregate(s=Sum("total"))["s"]
    revenue = (revenue or Decimal("0")) + (figures.pop("plugin_only") or Decimal("0"))
    total, recovered = figures["carts"], figures["recovered"]
    return {
        **figures,
        "recovery_rate": round(100 * recovered / total, 1) if total else 0.0,
        "recovered_revenue": revenue.quantize(Decimal("0.01")),
    }


_ORDER_FIGURES_SQL = """
SELECT COALESCE(SUM(n), 0), SUM(revenue),
       COUNT(*) FILTER (WHERE customer_id IS NOT NULL),
       COUNT(*) FILTER (WHERE customer_id IS NOT NULL AND n >= 2),
       AVG(EXTRACT(EPOCH FROM (last - first)) / 86400 / (n - 1)) FILTER (WHERE customer_id IS NOT NULL AND n >= 2)
FROM ({per_customer}) AS per_customer
"""


def order_figures(orders: QuerySet) -> dict:
    """orders, revenue, customers_with_orders, repeat_customers (2+ orders) and the average days between
    consecutive orders of the latter (per customer, then averaged): one pass over the orders, grouped
    by customer (orders without one form their own group, counted in orders and revenue only)."""
    per_customer = (
        orders.order_by()
        .values("customer_id")
        .annotate(n=Count("id"), revenue=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
        .values("customer_id", "n", "revenue", "first", "last")
    )
    sql, params = per_customer.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_ORDER_FIGURES_SQL.format(per_customer=sql), params)
        n_orders, revenue, customers, repeat, average = cursor.fetchone()
    return {
        "orders": int(n_orders),
        "revenue": revenue or Decimal("0"),
        "customers_with_orders": customers,
        "repeat_customers": repeat,
        "average_days_between_orders": round(float(average), 1) if average is not None else None,
    }


def leads_with_customer_flag(leads: QuerySet, company: Company | int | None) -> QuerySet:
    """`leads` annotated with `is_customer`: the person has a completed order — the lead's customer's, or
    one placed with the lead's phone or (valid) e-mail, or by a customer holding either as an identity."""
    completed = _orders_of(company).filter(company_id=OuterRef("company_id"), status=Order.Status.COMPLETED)
    identity_owners = CustomerIdentity.objects.unscoped().filter(  # unscoped: tied to the lead's company
        company_id=OuterRef(OuterRef("company_id")),
        value__in=[OuterRef(OuterRef("phone")), OuterRef(OuterRef("email"))],
    )
    return leads.annotate(
        is_customer=Exists(completed.filter(customer_id=OuterRef("customer_id")))
        | Exists(completed.filter(contact_phone=OuterRef("phone")).exclude(contact_phone=""))
        | Exists(completed.filter(customer_id__in=identity_owners.values("customer_id")))
    )


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


def recovery_setting_saved(sender, instance, **kwargs) -> None:
    """When a company switches `recovery_counts_unpaid_orders`, its stored matches are computed again
    (after the save commits). Connected in LeadsConfig.ready()."""
    if instance.key == COUNT_UNPAID.key:
        company = instance.company
        transaction.on_commit(lambda: recovery_refresh(company))
