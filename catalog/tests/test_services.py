from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import Product, StockMovement
from catalog.services import (
    OutOfStock,
    default_delivery_fee_get,
    default_delivery_fee_set,
    stock_move,
    stock_set,
)
from catalog.tests.concurrency import race
from catalog.tests.factories import ProductFactory


def test_stock_move_records_movement(company_a):
    product = ProductFactory(company=company_a, stock=3)

    movement = stock_move(product=product, delta=-2, reason=StockMovement.Reason.SALE, reference="order:1")

    assert movement.stock_after == 1
    assert movement.delta == -2
    assert movement.reference == "order:1"
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 1


def test_stock_move_refuses_to_go_negative(company_a):
    product = ProductFactory(company=company_a, stock=1)

    with pytest.raises(OutOfStock):
        stock_move(product=product, delta=-2, reason=StockMovement.Reason.SALE)

    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 1
    assert StockMovement.objects.for_company(company_a).count() == 0


def test_stock_move_on_unlimited_product_changes_nothing(company_a):
    product = ProductFactory(company=company_a, stock=None)

    assert stock_move(product=product, delta=-5, reason=StockMovement.Reason.SALE) is None

    assert Product.objects.for_company(company_a).get(pk=product.pk).stock is None
    assert StockMovement.objects.for_company(company_a).count() == 0


def test_stock_set_writes_the_difference(company_a):
    product = ProductFactory(company=company_a, stock=None)

    stock_set(product=product, quantity=5)
    stock_set(product=product, quantity=3)

    deltas = list(StockMovement.objects.for_company(company_a).order_by("id").values_list("delta", "reason"))
    assert deltas == [(5, "initial"), (-2, "adjustment")]
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 3


def test_default_delivery_fee(company_a):
    assert default_delivery_fee_get(company=company_a) == Decimal("0.00")

    default_delivery_fee_set(company=company_a, fee=Decimal("7.5"))

    assert default_delivery_fee_get(company=company_a) == Decimal("7.50")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_takes_of_the_last_pizza(postgres_only, company_a):
    product = ProductFactory(company=company_a, stock=1)

    def take():
        with transaction.atomic():
            return stock_move(product=product, delta=-1, reason=StockMovement.Reason.SALE)

    results = race(lambda _: take(), range(20))

    assert sum(isinstance(r, StockMovement) for r in results) == 1
    assert sum(isinstance(r, OutOfStock) for r in results) == 19
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 0
    assert StockMovement.objects.for_company(company_a).count() == 1
