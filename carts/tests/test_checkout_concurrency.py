"""20 customers check out at the same instant, 5 pizzas in stock (real threads, real PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from carts.models import Cart
from carts.services import cart_add_item, cart_checkout
from catalog.models import Product, StockMovement
from catalog.services import OutOfStock, stock_set
from catalog.tests.concurrency import race
from catalog.tests.factories import ProductFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order, OrderItem

BUYERS = 20
STOCK = 5


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_checkouts_of_five_pizzas_make_five_orders(postgres_only, company_a):
    pizza = ProductFactory(company=company_a, name="Pizza de Calabresa", price=Decimal("42.00"), stock=None)
    stock_set(product=pizza, quantity=STOCK, reference="count")  # the ledger starts with +5
    customers = CustomerFactory.create_batch(BUYERS, company=company_a)
    for customer in customers:  # every cart was filled while the stock was still there
        cart_add_item(company=company_a, customer=customer, product=pizza, quantity=1)

    def checkout(customer):
        return cart_checkout(company=company_a, customer=customer, address="Rua A, 1", payment_method="cash")

    results = race(checkout, customers)

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert (len(orders), len(refused)) == (STOCK, BUYERS - STOCK)
    assert Order.objects.for_company(company_a).count() == STOCK
    assert OrderItem.objects.for_company(company_a).count() == STOCK  # a refused checkout leaves no item behind
    # Stock 0, and it equals the ledger: +5 counted, then one -1 sale per order.
    stock = Product.objects.for_company(company_a).get(pk=pizza.pk).stock
    ledger = StockMovement.objects.for_company(company_a).filter(product=pizza)
    assert stock == 0 == ledger.aggregate(total=Sum("delta"))["total"]
    sales = ledger.filter(reason="sale")
    assert sorted(sales.values_list("reference", flat=True)) == sorted(f"order:{o.pk}" for o in orders)
    assert sorted(sales.values_list("stock_after", flat=True)) == [0, 1, 2, 3, 4]
    # The winners' carts became their orders; the others are still open to change or retry.
    carts = Cart.objects.for_company(company_a)
    assert carts.filter(status="checked_out").count() == STOCK
    assert set(carts.filter(status="checked_out").values_list("order_id", flat=True)) == {o.pk for o in orders}
    assert carts.filter(status="open", order__isnull=True).count() == BUYERS - STOCK
