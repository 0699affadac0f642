from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from catalog.tests.factories import ProductFactory
from orders.models import Order
from orders.services import (
    InvalidTransition,
    OrderLine,
    order_place,
    order_rating_record,
    order_transition,
    parse_rating,
)
from orders.tests.conftest import outbound_texts


def _order(company, customer, stock=5, quantity=2):
    product = ProductFactory(company=company, name="Calabresa", price=Decimal("40.00"), stock=stock)
    order = order_place(
        company=company,
        customer=customer,
        lines=[OrderLine(product, product.name, quantity, product.price)],
        payment_method="cash",
    )
    return order, product


def test_lifecycle_to_completed(company_a, customer_a, conversation_a):
    order, _ = _order(company_a, customer_a)

    for status in ("preparing", "out_for_delivery", "completed"):
        assert order_transition(order=order, to=status) is True

    order.refresh_from_db()
    assert order.status == "completed"
    assert order.completed_at is not None
    assert len(outbound_texts(company_a)) == 3


def test_same_status_twice_is_a_no_op(company_a, customer_a, conversation_a):
    order, _ = _order(company_a, customer_a)
    order_transition(order=order, to="preparing")

    assert order_transition(order=order, to="preparing") is False
    assert len(outbound_texts(company_a)) == 1


def test_disallowed_transition_changes_nothing(company_a, customer_a):
    order, _ = _order(company_a, customer_a)
    order_transition(order=order, to="cancelled", notify=False)

    with pytest.raises(InvalidTransition):
        order_transition(order=order, to="paid")

    assert Order.objects.for_company(company_a).get(pk=order.pk).status == "cancelled"


def test_cancel_returns_stock_once(company_a, customer_a):
    order, product = _order(company_a, customer_a, stock=5, quantity=2)

    order_transition(order=order, to="cancelled")
    order_transition(order=order, to="cancelled")

    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 5
    deltas = list(StockMovement.objects.for_company(company_a).order_by("id").values_list("delta", flat=True))
    assert deltas == [-2, 2]


@pytest.mark.parametrize(
    ("text", "rating"),
    [("5", 5), ("nota 4", 4), ("3 estrelas", 3), ("1/5", 1), ("6", None), ("oi", None), ("12", None)],
)
def test_parse_rating(text, rating):
    assert parse_rating(text) == rating


def test_rating_recorded_only_when_asked(company_a, customer_a, conversation_a):
    order, _ = _order(company_a, customer_a)

    assert order_rating_record(company=company_a, customer=customer_a, text="5") is None

    Order.objects.for_company(company_a).filter(pk=order.pk).update(
        status="completed", rating_requested_at=order.created_at
    )
    assert order_rating_record(company=company_a, customer=customer_a, text="4").pk == order.pk
    assert order_rating_record(company=company_a, customer=customer_a, text="2") is None
    assert Order.objects.for_company(company_a).get(pk=order.pk).rating == 4
