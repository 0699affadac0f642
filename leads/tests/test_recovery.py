from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from carts.models import Cart
from carts.tests.factories import CartFactory
from customers.services import Person, customers_resolve
from customers.tests.factories import CustomerFactory
from leads.models import Lead
from leads.recovery import (
    ABANDONED,
    RECOVERED,
    WAITING,
    leads_summary,
    leads_with_customer_flag,
    recovery_refresh,
    recovery_status_of,
    recovery_summary,
)
from orders.models import Order
from orders.tests.factories import OrderFactory

CART_AT = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
LONG_AFTER = CART_AT + timedelta(days=90)


def customer(company, phone="", email=""):
    return CustomerFactory(company=company, phone=phone, email=email)


def woo_cart(company, person, at=CART_AT, status=Cart.Status.ABANDONED, total="100.00", external_id="c1"):
    return CartFactory(
        company=company, customer=person, source=Cart.Source.WOOCOMMERCE, external_id=external_id,
        status=status, last_activity_at=at, external_total=Decimal(total),
    )  # fmt: skip


def placed(company, person, at, total="80.00", status=Order.Status.COMPLETED, external_id=""):
    return OrderFactory(
        company=company, customer=person, source="woocommerce", external_id=external_id, status=status,
        placed_at=at, total=Decimal(total),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-timedelta(days=2), RECOVERED),
        (-timedelta(days=2, seconds=1), ABANDONED),
        (timedelta(days=30), RECOVERED),
        (timedelta(days=30, seconds=1), ABANDONED),
        (timedelta(hours=1), RECOVERED),
    ],
)
def test_recovery_window_boundaries(company_a, offset, expected):
    person = customer(company_a, phone="+5511987654321")
    cart = woo_cart(company_a, person)
    placed(company_a, person, CART_AT + offset)

    assert recovery_status_of(cart, now=LONG_AFTER) == expected


def test_waiting_while_the_window_is_open(company_a):
    cart = woo_cart(company_a, customer(company_a, phone="+5511987654321"))

    assert recovery_status_of(cart, now=CART_AT + timedelta(days=30)) == WAITING
    assert recovery_status_of(cart, now=CART_AT + timedelta(days=30, seconds=1)) == ABANDONED


def resolve(company, **person):
    return customers_resolve(company=company, people=[Person(**person)])[0][0]


def test_match_by_phone_only_written_differently(company_a):
    cart = woo_cart(company_a, resolve(company_a, phone_raw="(11) 98765-4321"))
    placed(company_a, resolve(company_a, phone_raw="+55 11 8765-4321", email="ana@example.com"), CART_AT)

    assert recovery_status_of(cart, now=LONG_AFTER) == RECOVERED


def test_match_by_email_only(company_a):
    cart = woo_cart(company_a, resolve(company_a, email="Ana@Example.com"))
    placed(company_a, resolve(company_a, phone_raw="21 91234-5678", email="ana@example.com"), CART_AT)

    assert recovery_status_of(cart, now=LONG_AFTER) == RECOVERED


def test_another_persons_order_does_not_match(company_a):
    cart = woo_cart(company_a, resolve(company_a, phone_raw="11987654321", email="ana@example.com"))
    placed(company_a, resolve(company_a, phone_raw="21987654321", email="bia@example.com"), CART_AT)

    assert recovery_status_of(cart, now=LONG_AFTER) == ABANDONED


def test_cancelled_orders_do_not_recover(company_a):
    person = customer(company_a, phone="+5511987654321")
    cart = woo_cart(company_a, person)
    placed(company_a, person, CART_AT, status=Order.Status.CANCELLED)

    assert recovery_status_of(cart, now=LONG_AFTER) == ABANDONED


def test_another_companys_order_never_matches(company_a, company_b):
    cart = woo_cart(company_a, customer(company_a, phone="+5511987654321", email="ana@example.com"))
    placed(company_b, customer(company_b, phone="+5511987654321", email="ana@example.com"), CART_AT)

    assert recovery_status_of(cart, now=LONG_AFTER) == ABANDONED


def test_summary_figures(company_a):
    ana = customer(company_a, phone="+5511987654321")
    bia = customer(company_a, email="bia@example.com")
    woo_cart(company_a, ana, external_id="a")
    woo_cart(company_a, bia, external_id="b")
    woo_cart(company_a, customer(company_a, phone="+5521987654321"), external_id="c", at=LONG_AFTER - timedelta(days=1))
    placed(company_a, ana, CART_AT + timedelta(days=1), total="150.00")
    placed(company_a, ana, CART_AT + timedelta(days=11), total="50.00")
    placed(company_a, bia, CART_AT + timedelta(days=40), total="100.00")
    recovery_refresh(company_a)  # imports do this; the figures read the stored matches

    figures = recovery_summary(company_a, now=LONG_AFTER)

    assert figures == {
        "carts": 3,
        "recovered": 1,
        "waiting": 1,
        "abandoned": 1,
        "recovery_rate": 33.3,
        "recovered_revenue": Decimal("150.00"),
        "orders": 3,
        "average_ticket": Decimal("100.00"),
        "customers_with_orders": 2,
        "repeat_customers": 1,
        "average_days_between_orders": 10.0,
    }


def test_lead_is_already_a_customer_only_with_a_completed_order(company_a):
    ana = customer(company_a, phone="+5511987654321")
    bia = customer(company_a, phone="+5521987654321")
    leads = Lead.objects.for_company(company_a)
    leads.create(company=company_a, external_id="1", customer=ana, phone=ana.phone)
    leads.create(company=company_a, external_id="2", customer=bia, phone=bia.phone)
    placed(company_a, ana, CART_AT)
    placed(company_a, bia, CART_AT, status=Order.Status.PAID)

    flags = dict(leads_with_customer_flag(leads.all(), company_a).values_list("external_id", "is_customer"))

    assert flags == {"1": True, "2": False}
    assert leads_summary(company_a)["already_customers"] == 1
