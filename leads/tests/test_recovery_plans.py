"""How PostgreSQL runs recovery: carts matched once, set-based, and stored (no per-cart subquery left);
the lead flag's subqueries: per lead a few index lookups, whatever the volume.

The person's customers come from one OR over the customers table (primary key, unique company+phone,
unique company+email), their orders from orders(company, customer, placed_at) with the window in the
index condition. So the rows read per cart are the person's orders inside its window, not the
company's orders (the old OR across orders and joined customers read carts x orders). The tests
assert what that buys: neither table is read sequentially, and no more rows are read than the
person's; not which kind of index scan (Index Scan, Bitmap Heap Scan) the planner's statistics pick.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carts.models import Cart
from customers.models import Customer
from leads.models import Lead
from leads.recovery import RECOVERED, abandoned_carts, leads_with_customer_flag, recovery_refresh, with_recovery
from orders.models import Order
from tenants.tests.sweep_plans import analyze

CART_AT = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
PEOPLE = 20
IN_WINDOW = (timedelta(days=1), timedelta(days=10))  # each person's orders inside their cart's window
OUTSIDE = 100  # orders per person long before their cart
OTHERS = 1000  # customers of the company with one order each, at the carts' time


def subplan_scans(queryset, *, seqscan: bool = True) -> list[tuple[str, str, str | None, str, int]]:
    """(table, node, index, index condition, rows read) of each scan inside the query's subplans (the
    per-row subqueries). Rows read: rows the scan produced plus those it read and threw away, over all
    its loops. `seqscan=False` as in tenants/tests/sweep_plans.py: on small tables the planner may prefer
    reading a few pages; the plan then shows which indexes the query can use at any size."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: list[tuple[str, str, str | None, str, int]] = []

    def walk(node: dict, in_subplan: bool, table: str | None) -> None:
        in_subplan = in_subplan or node.get("Parent Relationship") == "SubPlan"
        table = node.get("Relation Name", table)  # a Bitmap Index Scan names its index; the table is its parent's
        if in_subplan and "Scan" in node["Node Type"]:
            read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            read += node.get("Rows Removed by Index Recheck", 0)
            condition = node.get("Index Cond", "")
            found.append((table, node["Node Type"], node.get("Index Name"), condition, read * node["Actual Loops"]))
        for child in node.get("Plans", []):
            walk(child, in_subplan, table)

    walk(plan[0]["Plan"], False, None)
    return found


def table_reads(scans, table: str) -> tuple[set[str], int]:
    """The nodes that read `table`'s rows (a Bitmap Index Scan reads only its index), and the rows they read."""
    reads = [(node, read) for scan_table, node, _, _, read in scans if scan_table == table]
    reads = [(node, read) for node, read in reads if node != "Bitmap Index Scan"]
    return {node for node, _ in reads}, sum(read for _, read in reads)


def _people_with_noise(company, other_company):
    """PEOPLE customers with a cart, a lead and 2 completed orders in the cart's window, plus orders that
    must not be read: OUTSIDE older completed orders per person, OTHERS customers with a pending order at
    the carts' time, and another company's customers with the same phones and emails ordering then."""
    people = Customer.objects.for_company(company).bulk_create(
        [Customer(company=company, phone=f"+551198765{i:04d}", email=f"p{i}@example.com") for i in range(PEOPLE)]
    )
    Cart.objects.for_company(company).bulk_create(
        [
            Cart(company=company, customer=p, source=Cart.Source.WOOCOMMERCE, external_id=str(p.pk),
                 status=Cart.Status.ABANDONED, last_activity_at=CART_AT)
            for p in people
        ]
    )  # fmt: skip
    Lead.objects.for_company(company).bulk_create(
        [Lead(company=company, customer=p, external_id=str(p.pk), phone=p.phone) for p in people]
    )
    others = Customer.objects.for_company(company).bulk_create(
        [Customer(company=company, phone=f"+552198765{i:04d}") for i in range(OTHERS)], batch_size=2000
    )
    twins = Customer.objects.for_company(other_company).bulk_create(
        [Customer(company=other_company, phone=p.phone, email=p.email) for p in people]
    )
    done = {"status": Order.Status.COMPLETED, "total": Decimal("10")}
    orders = [Order(company=company, customer=p, placed_at=CART_AT + d, **done) for p in people for d in IN_WINDOW]
    orders += [
        Order(company=company, customer=p, placed_at=CART_AT - timedelta(days=60 + n), **done)
        for p in people
        for n in range(OUTSIDE)
    ]
    orders += [Order(company=company, customer=o, placed_at=CART_AT, total=Decimal("10")) for o in others]
    orders += [Order(company=other_company, customer=t, placed_at=CART_AT, total=Decimal("10")) for t in twins]
    Order.objects.unscoped().bulk_create(orders, batch_size=2000)  # unscoped: test data of two companies
    for model in (Customer, Cart, Lead, Order):
        analyze(model._meta.db_table)


# Committed and then truncated: rows rolled back would leave these tables' pages (and the planner's
# figures) behind, and change the plans of other tests' small cases (orders/tests/test_sweeps.py).
@pytest.mark.django_db(transaction=True)
def test_recovery_is_matched_once_and_read_without_subqueries(company_a, company_b, postgres_only):
    """The match is computed set-based by recovery_refresh (one statement) and stored: reading the
    carts' recovery runs no per-cart subquery at all (it was one per cart, twice in the revenue)."""
    _people_with_noise(company_a, company_b)
    with CaptureQueriesContext(connection) as refresh:
        recovery_refresh(company_a)
    carts = with_recovery(abandoned_carts(company_a), company_a)

    scans = subplan_scans(carts.values("id", "recovery_order_id"))

    assert scans == []  # no subplan: the status is read from the cart's own columns
    assert len([q for q in refresh.captured_queries if "UPDATE" in q["sql"]]) == 1
    assert Order.objects.unscoped().count() == PEOPLE * (len(IN_WINDOW) + OUTSIDE + 1) + OTHERS  # unscoped: all
    first = dict(
        Order.objects.for_company(company_a).filter(placed_at=CART_AT + IN_WINDOW[0]).values_list("customer_id", "id")
    )
    assert {(c["customer_id"], c["recovery_order_id"], c["recovery_status"]) for c in carts.values()} == {
        (customer_id, order_id, RECOVERED) for customer_id, order_id in first.items()
    }


@pytest.mark.django_db(transaction=True)
def test_customer_flag_looks_up_the_persons_orders_by_index(company_a, company_b, postgres_only):
    _people_with_noise(company_a, company_b)
    leads = leads_with_customer_flag(Lead.objects.for_company(company_a), company_a)

    scans = subplan_scans(leads.values("id", "is_customer"), seqscan=False)

    identity_nodes, _identities_read = table_reads(scans, "customers_customeridentity")
    assert "Seq Scan" not in identity_nodes  # the owners of the lead's phone/e-mail: the unique index
    order_nodes, orders_read = table_reads(scans, "orders_order")
    assert order_nodes and "Seq Scan" not in order_nodes
    # An index on orders.customer_id, (company, customer, ...) or the FK's, on whichever index node.
    assert any("customer_id = " in condition for table, _, _, condition, _ in scans if table == "orders_order")
    assert orders_read <= PEOPLE  # EXISTS stops at the person's first completed order
    assert set(leads.values_list("is_customer", flat=True)) == {True}


def test_first_matching_order_by_placed_at_then_id(company_a):
    person = Customer.objects.for_company(company_a).create(company=company_a, phone="+5511987654321")
    cart = Cart.objects.for_company(company_a).create(
        company=company_a, customer=person, source=Cart.Source.WOOCOMMERCE, external_id="c1",
        status=Cart.Status.ABANDONED, last_activity_at=CART_AT,
    )  # fmt: skip
    orders = Order.objects.for_company(company_a)
    later = orders.create(company=company_a, customer=person, placed_at=CART_AT + timedelta(days=3), status="paid")
    tie_a = orders.create(company=company_a, customer=person, placed_at=CART_AT + timedelta(days=1), status="paid")
    orders.create(company=company_a, customer=person, placed_at=CART_AT + timedelta(days=1), status="paid")
    orders.create(company=company_a, customer=person, placed_at=CART_AT - timedelta(hours=1), status="cancelled")

    recovery_refresh(company_a)
    found = with_recovery(Cart.objects.for_company(company_a).filter(pk=cart.pk), company_a)

    assert found.values_list("recovery_order_id", flat=True).get() == tie_a.pk != later.pk
