import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carts.models import Cart, SessionContext
from carts.sweeps import carts_cleanup_old, carts_sweep_abandoned
from carts.tests.factories import CartFactory, CustomerFactory
from catalog.models import Product, StockMovement
from catalog.tests.factories import ProductFactory
from orders.models import Order
from orders.services import OrderLine, order_place, order_transition


def _idle_cart(company, minutes):
    return CartFactory(company=company, last_activity_at=timezone.now() - timedelta(minutes=minutes))


def test_reminds_then_cancels_once(company_a):
    cart = _idle_cart(company_a, 11)
    fresh = _idle_cart(company_a, 2)

    assert carts_sweep_abandoned()["reminded"] == 1
    assert carts_sweep_abandoned()["reminded"] == 0
    Cart.objects.for_company(company_a).filter(pk=cart.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=16)
    )
    assert carts_sweep_abandoned()["cancelled"] == 1
    assert carts_sweep_abandoned()["cancelled"] == 0

    statuses = dict(Cart.objects.for_company(company_a).values_list("pk", "status"))
    assert statuses == {cart.pk: "cancelled", fresh.pk: "open"}


def test_unpaid_order_cancelled_with_stock_returned(company_a):
    customer = CustomerFactory(company=company_a)
    product = ProductFactory(company=company_a, stock=4, price=Decimal("10"))
    order = order_place(
        company=company_a, customer=customer, lines=[OrderLine(product, "P", 3, product.price)], payment_method="pix"
    )
    order_transition(order=order, to="awaiting_payment", notify=False)
    Order.objects.for_company(company_a).filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(minutes=16))

    result = carts_sweep_abandoned()

    assert result["orders_cancelled"] == 1
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 4
    assert carts_sweep_abandoned()["orders_cancelled"] == 0


def _count_queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def test_query_count_does_not_depend_on_carts_not_due(company_a, postgres_only):
    _idle_cart(company_a, 11)
    customers = CustomerFactory.create_batch(10, company=company_a)
    Cart.objects.for_company(company_a).bulk_create(
        [Cart(company=company_a, customer=c, last_activity_at=timezone.now()) for c in customers]
    )
    small = _count_queries(carts_sweep_abandoned)

    _idle_cart(company_a, 11)
    many = CustomerFactory.build_batch(10_000, company=company_a)
    for index, customer in enumerate(many):
        customer.phone = f"+55219{index:08d}"
    type(many[0]).objects.for_company(company_a).bulk_create(many, batch_size=2000)
    saved = list(type(many[0]).objects.for_company(company_a).filter(phone__startswith="+55219"))
    Cart.objects.for_company(company_a).bulk_create(
        [Cart(company=company_a, customer=c, last_activity_at=timezone.now()) for c in saved], batch_size=2000
    )
    large = _count_queries(carts_sweep_abandoned)

    assert small == large
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE carts_cart")
        cursor.execute(
            "EXPLAIN SELECT id FROM carts_cart WHERE company_id = %s AND source = 'whatsapp' AND status = 'open' "
            "AND last_activity_at <= now() - interval '10 minutes' ORDER BY last_activity_at LIMIT 200",
            [company_a.pk],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "cart_open_due_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_remind_and_cancel_each_cart_once(postgres_only, company_a):
    customer = CustomerFactory(company=company_a)
    product = ProductFactory(company=company_a, stock=10)
    order = order_place(
        company=company_a, customer=customer, lines=[OrderLine(product, "P", 2, product.price)], payment_method="pix"
    )
    order_transition(order=order, to="awaiting_payment", notify=False)
    Order.objects.for_company(company_a).filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(minutes=20))
    carts = [_idle_cart(company_a, 11) for _ in range(30)]
    results = []

    def sweep(barrier):
        try:
            barrier.wait()
            results.append(carts_sweep_abandoned())
        finally:
            connection.close()

    for _ in range(2):  # first pass reminds, second (after aging) cancels
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=sweep, args=(barrier,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        Cart.objects.for_company(company_a).update(last_activity_at=timezone.now() - timedelta(minutes=16))

    assert sum(r["reminded"] for r in results) == 30
    assert sum(r["cancelled"] for r in results) == 30
    assert sum(r["orders_cancelled"] for r in results) == 1
    assert set(Cart.objects.for_company(company_a).values_list("status", flat=True)) == {"cancelled"}
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 10
    assert list(StockMovement.objects.for_company(company_a).order_by("id").values_list("delta", flat=True)) == [-2, 2]
    assert len(carts) == 30


def test_cleanup_removes_old_carts_and_expired_sessions(company_a):
    old = _idle_cart(company_a, 1)
    Cart.objects.for_company(company_a).filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=8))
    recent = CartFactory(company=company_a)
    SessionContext.objects.for_company(company_a).create(
        company=company_a, customer=recent.customer, expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert carts_cleanup_old() == {"carts": 1, "sessions": 1}
    assert list(Cart.objects.for_company(company_a).values_list("pk", flat=True)) == [recent.pk]


def test_cron_endpoints_need_the_secret(client, settings, db):
    settings.CRON_SECRET = ""
    assert client.get("/cron/abandoned-carts", HTTP_X_CRON_SECRET="").status_code == 403
    settings.CRON_SECRET = "s3cret"
    assert client.get("/cron/abandoned-carts").status_code == 403
    assert client.get("/cron/avaliar?secret=wrong").status_code == 403
    assert client.get("/cron/abandoned-carts", HTTP_X_CRON_SECRET="s3cret").status_code == 200
    assert client.get("/cron/abandoned-carts?secret=s3cret").json()["reminded"] == 0
    assert client.get("/cron/avaliar?secret=s3cret").json() == {"asked": 0}
