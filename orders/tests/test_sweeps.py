from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.concurrency import race
from conversations.models import Message
from conversations.tests.factories import ChannelFactory, ConversationFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.sweeps import orders_request_ratings, orders_sweep_unpaid
from tenants.tests.sweep_plans import (
    analyze,
    assert_reads_only_due_rows,
    claim_scans,
    claims,
    statement_shapes,
    sweep_run,
)


def _orders(company, count: int, *, customer=None, **fields) -> None:
    customer = customer or CustomerFactory(company=company)
    Order.objects.for_company(company).bulk_create(
        [Order(company=company, customer=customer, total=Decimal("10.00"), **fields) for _ in range(count)],
        batch_size=2000,
    )


def _both_sweeps():
    orders_request_ratings()
    orders_sweep_unpaid()


def test_order_sweeps_cost_does_not_depend_on_orders_not_due(company_a, postgres_only):
    """Rating requests and the unpaid-Pix sweep with 10 and then 10,000 orders that are not due:
    the same statements, and each claim reads only the due order through its partial index."""
    now = timezone.now()
    _orders(company_a, 1, status="completed", completed_at=now - timedelta(minutes=31))  # rating due
    _orders(company_a, 1, status="awaiting_payment", placed_at=now - timedelta(minutes=16))  # cancel due
    _orders(company_a, 1, status="awaiting_payment", placed_at=now - timedelta(minutes=11))  # reminder due

    def not_due(count):
        _orders(company_a, count // 2, status="completed", completed_at=now - timedelta(minutes=5))
        _orders(
            company_a, count // 4, status="completed", completed_at=now - timedelta(days=2), rating_requested_at=now
        )
        _orders(company_a, count - count // 2 - count // 4, status="awaiting_payment", placed_at=now)
        # Imported from the store, long past every delay: the store's, never due (nor in the indexes).
        _orders(company_a, 1, source="woocommerce", status="completed", completed_at=now - timedelta(days=9))
        _orders(company_a, 1, source="woocommerce", status="awaiting_payment", placed_at=now - timedelta(days=9))
        analyze("orders_order", "customers_customer")

    not_due(10)
    small = sweep_run(_both_sweeps)
    small_scans = [claim_scans(sql, seqscan=False) for sql in claims(small)]
    not_due(9_990)
    large = sweep_run(_both_sweeps)
    large_scans = [claim_scans(sql) for sql in claims(large)]

    assert Order.objects.for_company(company_a).count() == 10_007
    assert statement_shapes(small) == statement_shapes(large)

    # Per claim: no sequential scan of the orders, and no more rows read than the orders due.
    due = [
        1,  # rating requests: the completed order (order_rating_due_idx)
        1,  # cancel: awaiting payment for more than 15 minutes (order_unpaid_due_idx)
        1,  # order_transition locks the order it cancels (primary key)
        2,  # remind: past 10 minutes, explained before the cancel (order_unpaid_due_idx)
        0,  # static Pix alert: no payment due (payment_static_unalerted_idx), so no order read
    ]
    assert_reads_only_due_rows(large_scans, "orders_order", due)
    assert_reads_only_due_rows(small_scans, "orders_order", due)


def test_orders_imported_from_the_store_are_never_rated_reminded_or_cancelled(company_a):
    """An imported WooCommerce order is the store's: completed or on hold for days, its customer gets
    no rating request and no Pix reminder from us, and it is not cancelled."""
    customer = CustomerFactory(company=company_a)
    channel = ChannelFactory(company=company_a, name="principal", status="connected")
    ConversationFactory(company=company_a, channel=channel, customer=customer)
    long_ago = timezone.now() - timedelta(days=9)
    _orders(company_a, 1, customer=customer, source="woocommerce", status="completed", completed_at=long_ago)
    _orders(company_a, 1, customer=customer, source="woocommerce", status="awaiting_payment", placed_at=long_ago)

    asked = orders_request_ratings()
    swept = orders_sweep_unpaid()

    assert (asked, swept) == (0, {"reminded": 0, "cancelled": 0, "alerted": 0})
    assert sorted(Order.objects.for_company(company_a).values_list("status", "rating_requested_at", "payment_reminded_at")) == [
        ("awaiting_payment", None, None), ("completed", None, None),
    ]  # fmt: skip
    assert not Message.objects.for_company(company_a).filter(direction="out").exists()


@pytest.mark.django_db(transaction=True)
def test_two_rating_sweeps_ask_each_order_once(postgres_only, company_a):
    customers = CustomerFactory.create_batch(20, company=company_a)
    channel = ChannelFactory(company=company_a, name="principal", status="connected")
    for customer in customers:
        ConversationFactory(company=company_a, channel=channel, customer=customer)
        _orders(company_a, 1, customer=customer, status="completed", completed_at=timezone.now() - timedelta(hours=1))

    asked = race(lambda _: orders_request_ratings(), range(2))

    assert sum(asked) == 20
    assert Order.objects.for_company(company_a).filter(rating_requested_at__isnull=True).count() == 0
    outbound = Message.objects.for_company(company_a).filter(direction="out")
    assert Counter(outbound.values_list("conversation__customer_id", flat=True)) == {c.pk: 1 for c in customers}
