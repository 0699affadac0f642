from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from carts.models import Cart, SessionContext
from carts.sweeps import carts_cleanup_old, carts_sweep_abandoned
from carts.tests.factories import CartFactory
from catalog.models import Product, StockMovement
from catalog.services import stock_set
from catalog.tests.concurrency import race
from catalog.tests.factories import ProductFactory
from conversations.models import Channel, Conversation, Message
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.services import OrderLine, order_place, order_transition
from tenants.tests.sweep_plans import (
    analyze,
    assert_reads_only_due_rows,
    claim_scans,
    claims,
    statement_shapes,
    sweep_run,
)

CRON_SECRET = "s3cret"


def _idle_cart(company, minutes, **fields):
    return CartFactory(company=company, last_activity_at=timezone.now() - timedelta(minutes=minutes), **fields)


def _talking(company, customers) -> None:
    """Give each customer a conversation, so what the sweeps tell them is written to the outbox."""
    channel = Channel.objects.for_company(company).filter(name="principal").first()
    channel = channel or Channel.objects.for_company(company).create(
        company=company, name="principal", status=Channel.Status.CONNECTED
    )
    Conversation.objects.for_company(company).bulk_create(
        [Conversation(company=company, channel=channel, customer=customer) for customer in customers]
    )


def _messages_per_customer(company) -> Counter:
    outbound = Message.objects.for_company(company).filter(direction=Message.Direction.OUTBOUND)
    return Counter(outbound.values_list("conversation__customer_id", flat=True))


def _not_due_carts(company, count: int, prefix: str) -> None:
    """`count` open bot carts touched just now (customers bulk-created with phones +55<prefix>...)."""
    customers = CustomerFactory.build_batch(count, company=company)
    for index, customer in enumerate(customers):
        customer.phone = f"+55{prefix}{index:08d}"
    Customer.objects.for_company(company).bulk_create(customers, batch_size=2000)
    saved = Customer.objects.for_company(company).filter(phone__startswith=f"+55{prefix}")
    Cart.objects.for_company(company).bulk_create(
        [Cart(company=company, customer=c, last_activity_at=timezone.now()) for c in saved], batch_size=2000
    )


def test_reminds_then_cancels_once(company_a):
    cart = _idle_cart(company_a, 11)
    fresh = _idle_cart(company_a, 2)
    _talking(company_a, [cart.customer, fresh.customer])

    assert carts_sweep_abandoned()["reminded"] == 1
    assert carts_sweep_abandoned()["reminded"] == 0
    Cart.objects.for_company(company_a).filter(pk=cart.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=16)
    )
    assert carts_sweep_abandoned()["cancelled"] == 1
    assert carts_sweep_abandoned()["cancelled"] == 0

    statuses = dict(Cart.objects.for_company(company_a).values_list("pk", "status"))
    assert statuses == {cart.pk: "cancelled", fresh.pk: "open"}
    assert _messages_per_customer(company_a) == {cart.customer_id: 2}  # the reminder, then the cancellation


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


def test_sweep_cost_does_not_depend_on_carts_not_due(company_a, postgres_only):
    """10 and then 10,000 carts that are not due: the same statements (none per cart), and each claim
    reads the due carts only, through the partial indexes."""
    _idle_cart(company_a, 11)  # due for the reminder
    _idle_cart(company_a, 16, status=Cart.Status.REMINDED)  # due for the cancellation
    _not_due_carts(company_a, 10, "219")
    analyze("carts_cart", "customers_customer")
    small = sweep_run(carts_sweep_abandoned)
    small_scans = [claim_scans(sql, seqscan=False) for sql in claims(small)]

    _not_due_carts(company_a, 9_990, "218")
    analyze("carts_cart", "customers_customer")
    large = sweep_run(carts_sweep_abandoned)
    large_scans = [claim_scans(sql) for sql in claims(large)]

    assert Cart.objects.for_company(company_a).filter(status="open").count() == 10_001
    assert len(small) == len(large)
    assert statement_shapes(small) == statement_shapes(large)

    # The cancel claim, then the reminder claim: neither reads the carts sequentially, and each reads
    # no more rows than the one cart it finds due (through the partial indexes).
    due = [1, 1]
    assert_reads_only_due_rows(large_scans, "carts_cart", due)
    assert_reads_only_due_rows(small_scans, "carts_cart", due)


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_remind_and_cancel_each_cart_once(postgres_only, company_a):
    product = ProductFactory(company=company_a, stock=None)
    stock_set(product=product, quantity=10)
    orders = []
    for _ in range(5):
        order = order_place(
            company=company_a,
            customer=CustomerFactory(company=company_a),
            lines=[OrderLine(product, "P", 2, product.price)],
            payment_method="pix",
        )
        order_transition(order=order, to="awaiting_payment", notify=False)
        orders.append(order)
    Order.objects.for_company(company_a).update(placed_at=timezone.now() - timedelta(minutes=20))
    carts = [_idle_cart(company_a, 11) for _ in range(30)]
    _talking(company_a, [cart.customer for cart in carts] + [order.customer for order in orders])
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 0
    results = []

    for _ in range(2):  # first pass reminds (and cancels the unpaid orders), second (after aging) cancels
        results += race(lambda _: carts_sweep_abandoned(), range(2))
        Cart.objects.for_company(company_a).update(last_activity_at=timezone.now() - timedelta(minutes=16))

    assert len(results) == 4
    assert sum(r["reminded"] for r in results) == 30
    assert sum(r["cancelled"] for r in results) == 30
    assert sum(r["orders_cancelled"] for r in results) == 5
    assert sum(r["orders_reminded"] for r in results) == 0  # cancelled before anyone could remind them
    assert set(Cart.objects.for_company(company_a).values_list("status", flat=True)) == {"cancelled"}
    assert set(Order.objects.for_company(company_a).values_list("status", flat=True)) == {"cancelled"}
    # Stock given back once per order: the product is full again and equals its ledger.
    movements = StockMovement.objects.for_company(company_a).filter(product=product)
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 10
    assert movements.aggregate(total=Sum("delta"))["total"] == 10
    returns = Counter(movements.filter(reason="return").values_list("reference", flat=True))
    assert returns == {f"order:{order.pk}": 1 for order in orders}
    # Told once each: a cart's customer the reminder and the cancellation, an order's the cancellation.
    expected = {cart.customer_id: 2 for cart in carts} | {order.customer_id: 1 for order in orders}
    assert _messages_per_customer(company_a) == expected


def test_cleanup_removes_old_carts_and_expired_sessions(company_a):
    old = _idle_cart(company_a, 1)
    Cart.objects.for_company(company_a).filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=8))
    recent = CartFactory(company=company_a)
    SessionContext.objects.for_company(company_a).create(
        company=company_a, customer=recent.customer, expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert carts_cleanup_old() == {"carts": 1, "sessions": 1}
    assert list(Cart.objects.for_company(company_a).values_list("pk", flat=True)) == [recent.pk]


def test_cleanup_old_data_command_keeps_checked_out_carts_and_live_sessions(company_a, capsys):
    now = timezone.now()
    stale_open = _idle_cart(company_a, 1)
    stale_cancelled = _idle_cart(company_a, 1, status=Cart.Status.CANCELLED)
    stale_checked_out = _idle_cart(company_a, 1, status=Cart.Status.CHECKED_OUT)
    recent = CartFactory(company=company_a)
    stale = [stale_open.pk, stale_cancelled.pk, stale_checked_out.pk]
    Cart.objects.for_company(company_a).filter(pk__in=stale).update(updated_at=now - timedelta(days=8))
    sessions = SessionContext.objects.for_company(company_a)
    sessions.create(company=company_a, customer=stale_open.customer, expires_at=now - timedelta(minutes=1))
    live = sessions.create(company=company_a, customer=recent.customer, expires_at=now + timedelta(minutes=20))

    call_command("cleanup_old_data")
    call_command("cleanup_old_data")

    out = capsys.readouterr().out.splitlines()
    assert out == ["carts deleted: 2, sessions deleted: 1", "carts deleted: 0, sessions deleted: 0"]
    remaining = set(Cart.objects.for_company(company_a).values_list("pk", flat=True))
    assert remaining == {stale_checked_out.pk, recent.pk}
    assert list(sessions.values_list("pk", flat=True)) == [live.pk]


@pytest.mark.parametrize("path", ["/cron/abandoned-carts", "/cron/avaliar"])
def test_cron_endpoints_refuse_without_the_secret_and_change_nothing(client, settings, company_a, path):
    cart = _idle_cart(company_a, 11)
    _talking(company_a, [cart.customer])

    settings.CRON_SECRET = ""  # not configured: nobody gets in, not even with an empty secret
    assert client.get(path, HTTP_X_CRON_SECRET="").status_code == 403
    assert client.get(f"{path}?secret=").status_code == 403
    settings.CRON_SECRET = CRON_SECRET
    assert client.get(path).status_code == 403
    assert client.get(path, HTTP_X_CRON_SECRET="wrong").status_code == 403
    assert client.get(f"{path}?secret=wrong").status_code == 403
    assert client.get(f"{path}?secret={CRON_SECRET}").status_code == 403  # a header only, never the URL

    assert Cart.objects.for_company(company_a).get(pk=cart.pk).status == "open"
    assert _messages_per_customer(company_a) == {}


def test_cron_endpoints_are_safe_to_call_twice(client, settings, company_a):
    settings.CRON_SECRET = CRON_SECRET
    cart = _idle_cart(company_a, 11)
    order = order_place(
        company=company_a,
        customer=CustomerFactory(company=company_a),
        lines=[OrderLine(ProductFactory(company=company_a), "P", 1, Decimal("40.00"))],
        payment_method="cash",
    )
    Order.objects.for_company(company_a).filter(pk=order.pk).update(
        status="completed", completed_at=timezone.now() - timedelta(minutes=31)
    )
    _talking(company_a, [cart.customer, order.customer])

    def call(path, **headers):
        response = client.get(path, **headers)
        assert response.status_code == 200
        return response.json()

    first = call("/cron/abandoned-carts", HTTP_X_CRON_SECRET=CRON_SECRET)
    second = call("/cron/abandoned-carts", HTTP_X_CRON_SECRET=CRON_SECRET)
    asked = [
        call("/cron/avaliar", HTTP_X_CRON_SECRET=CRON_SECRET),
        call("/cron/avaliar", HTTP_X_CRON_SECRET=CRON_SECRET),
    ]

    assert (first["reminded"], second["reminded"]) == (1, 0)
    assert first["cancelled"] == second["cancelled"] == 0
    assert asked == [{"asked": 1}, {"asked": 0}]
    assert Cart.objects.for_company(company_a).get(pk=cart.pk).status == "reminded"
    assert Order.objects.for_company(company_a).get(pk=order.pk).rating_requested_at is not None
    assert _messages_per_customer(company_a) == {cart.customer_id: 1, order.customer_id: 1}


def test_beat_runs_the_commerce_sweeps(company_a):
    from config.beat import PERIODIC_TASKS
    from config.celery_app import app as current_app

    current_app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks

    jobs = {
        name: PERIODIC_TASKS[name] for name in ("carts-sweep-abandoned", "orders-request-ratings", "privacy-retention")
    }
    assert {job["task"] for job in jobs.values()} <= set(current_app.tasks)
    assert (jobs["carts-sweep-abandoned"]["every_seconds"], jobs["orders-request-ratings"]["every_seconds"]) == (60, 60)
    cart = _idle_cart(company_a, 11)

    swept = current_app.tasks["carts.tasks.carts_sweep_abandoned_task"].apply().get()
    current_app.tasks["orders.tasks.orders_request_ratings_task"].apply().get()
    cleaned = current_app.tasks["privacy.tasks.privacy_retention_task"].apply().get()

    assert (swept["reminded"], cleaned["carts"], cleaned["sessions"]) == (1, 0, 0)
    assert Cart.objects.for_company(company_a).get(pk=cart.pk).status == "reminded"
