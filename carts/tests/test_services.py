from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from carts.models import Cart, CartItem
from carts.services import (
    CartError,
    cart_add_item,
    cart_checkout,
    cart_remove_item,
    cart_repeat_last_order,
    cart_set_zone,
    cart_view,
    session_list_set,
)
from carts.tests.factories import CartFactory
from catalog.models import Product, StockMovement
from catalog.services import OutOfStock, default_delivery_fee_set
from catalog.tests.factories import DeliveryZoneFactory, ProductFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order, OrderItem


@pytest.fixture
def menu(company_a):
    return {
        "calabresa": ProductFactory(company=company_a, name="Pizza de Calabresa", price=Decimal("42.00"), stock=5),
        "margherita": ProductFactory(company=company_a, name="Pizza Margherita", price=Decimal("45.00")),
        "coca": ProductFactory(company=company_a, name="Coca-Cola 2L", price=Decimal("12.00"), stock=10),
    }


@pytest.fixture
def customer(company_a):
    return CustomerFactory(company=company_a)


def _items(company, customer):
    return [(i.name, i.quantity, i.unit_price) for i in cart_view(company=company, customer=customer).items]


def test_add_by_free_text_with_quantity(company_a, menu, customer):
    result = cart_add_item(company=company_a, customer=customer, text="2x pizza de calabreza e uma coca")

    assert result.unmatched == []
    assert _items(company_a, customer) == [
        ("Pizza de Calabresa", 2, Decimal("42.00")),
        ("Coca-Cola 2L", 1, Decimal("12.00")),
    ]


@pytest.mark.parametrize("text", ["2", "quero o 2", "o 2"])
def test_add_by_number_from_the_list_shown(company_a, menu, customer, text):
    entries = [
        {"n": 1, "kind": "product", "id": menu["calabresa"].pk, "name": "Pizza de Calabresa"},
        {"n": 2, "kind": "product", "id": menu["margherita"].pk, "name": "Pizza Margherita"},
    ]
    session_list_set(company=company_a, customer=customer, entries=entries)

    cart_add_item(company=company_a, customer=customer, text=text)

    assert _items(company_a, customer) == [("Pizza Margherita", 1, Decimal("45.00"))]


def test_number_after_the_session_expired_adds_nothing(company_a, menu, customer):
    entries = [{"n": 1, "kind": "product", "id": menu["calabresa"].pk, "name": "x"}]
    session_list_set(
        company=company_a, customer=customer, entries=entries, now=timezone.now() - timezone.timedelta(minutes=31)
    )

    with pytest.raises(CartError):
        cart_add_item(company=company_a, customer=customer, text="1")

    assert Cart.objects.for_company(company_a).count() == 0


def test_quantity_above_the_company_limit_is_refused(company_a, menu, customer):
    company_a.max_item_quantity = 3
    company_a.save()
    cart_add_item(company=company_a, customer=customer, product=menu["margherita"], quantity=2)

    with pytest.raises(CartError):
        cart_add_item(company=company_a, customer=customer, product=menu["margherita"], quantity=2)

    assert _items(company_a, customer) == [("Pizza Margherita", 2, Decimal("45.00"))]


def test_price_is_a_snapshot(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, product=menu["margherita"])
    Product.objects.for_company(company_a).filter(pk=menu["margherita"].pk).update(price=Decimal("99.00"))

    assert cart_view(company=company_a, customer=customer).subtotal == Decimal("45.00")


def test_one_open_whatsapp_cart_per_customer(company_a, customer):
    CartFactory(company=company_a, customer=customer)

    with pytest.raises(IntegrityError):
        CartFactory(company=company_a, customer=customer)


def test_remove_by_number_and_by_name(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, text="1 calabresa, 1 margherita, 1 coca")

    assert cart_remove_item(company=company_a, customer=customer, text="2").name == "Pizza Margherita"
    assert cart_remove_item(company=company_a, customer=customer, text="coca cola 2l").name == "Coca-Cola 2L"
    assert cart_remove_item(company=company_a, customer=customer, text="9") is None
    assert _items(company_a, customer) == [("Pizza de Calabresa", 1, Decimal("42.00"))]


def test_view_uses_zone_fee_else_default(company_a, menu, customer):
    default_delivery_fee_set(company=company_a, fee=Decimal("8.00"))
    DeliveryZoneFactory(company=company_a, neighbourhood="Jardim América", fee=Decimal("5.00"))
    cart_add_item(company=company_a, customer=customer, product=menu["calabresa"], quantity=2)

    pending = cart_view(company=company_a, customer=customer)
    assert (pending.total, pending.fee_pending) == (Decimal("84.00"), True)  # no zone chosen yet: fee later

    cart_set_zone(company=company_a, customer=customer, text="jardim america")

    view = cart_view(company=company_a, customer=customer)
    assert (view.subtotal, view.fee, view.total) == (Decimal("84.00"), Decimal("5.00"), Decimal("89.00"))


def test_unknown_zone_is_refused(company_a, menu, customer):
    DeliveryZoneFactory(company=company_a, neighbourhood="Centro")
    cart_add_item(company=company_a, customer=customer, product=menu["calabresa"])

    with pytest.raises(CartError):
        cart_set_zone(company=company_a, customer=customer, text="Copacabana")


def test_checkout_places_order_and_takes_stock(company_a, menu, customer):
    zone = DeliveryZoneFactory(company=company_a, neighbourhood="Centro", fee=Decimal("6.00"))
    cart_add_item(company=company_a, customer=customer, text="2 calabresa e 1 coca")
    cart_set_zone(company=company_a, customer=customer, zone=zone)

    order = cart_checkout(company=company_a, customer=customer, address="Rua A, 1", payment_method="pix")

    assert (order.status, order.subtotal, order.delivery_fee, order.total) == (
        "pending",
        Decimal("96.00"),
        Decimal("6.00"),
        Decimal("102.00"),
    )
    assert [(i.name, i.quantity, i.total) for i in OrderItem.objects.for_company(company_a).order_by("id")] == [
        ("Pizza de Calabresa", 2, Decimal("84.00")),
        ("Coca-Cola 2L", 1, Decimal("12.00")),
    ]
    assert Product.objects.for_company(company_a).get(pk=menu["calabresa"].pk).stock == 3
    cart = Cart.objects.for_company(company_a).get()
    assert (cart.status, cart.order_id) == ("checked_out", order.pk)


def test_checkout_without_stock_changes_nothing(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, text="1 coca e 2 calabresa")
    Product.objects.for_company(company_a).filter(pk=menu["calabresa"].pk).update(stock=1)

    with pytest.raises(OutOfStock):
        cart_checkout(company=company_a, customer=customer, address="Rua A", payment_method="cash")

    assert Order.objects.for_company(company_a).count() == 0
    assert StockMovement.objects.for_company(company_a).count() == 0
    assert Product.objects.for_company(company_a).get(pk=menu["coca"].pk).stock == 10
    assert Cart.objects.for_company(company_a).get().status == "open"


def test_empty_cart_cannot_check_out(company_a, customer):
    with pytest.raises(CartError):
        cart_checkout(company=company_a, customer=customer, address="x", payment_method="cash")


def test_repeat_last_order(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, text="2 margherita")
    cart_checkout(company=company_a, customer=customer, address="Rua A", payment_method="cash")

    result = cart_repeat_last_order(company=company_a, customer=customer)

    assert [(i.name, i.quantity) for i in result.added] == [("Pizza Margherita", 2)]
    assert CartItem.objects.for_company(company_a).filter(cart__status="open").count() == 1


def test_repeat_ignores_orders_older_than_the_lookback(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, text="2 margherita")
    order = cart_checkout(company=company_a, customer=customer, address="Rua A", payment_method="cash")
    Order.objects.for_company(company_a).filter(pk=order.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=31)
    )

    with pytest.raises(CartError):
        cart_repeat_last_order(company=company_a, customer=customer)


def test_woocommerce_statuses_map_onto_cart_statuses():
    assert {k: str(v) for k, v in Cart.WOOCOMMERCE_STATUS.items()} == {
        "normal": "open",
        "abandoned": "abandoned",
        "completed": "checked_out",
        "lost": "lost",
    }


def test_a_reminded_cart_checked_out_later_keeps_its_reminder_time(company_a, menu, customer):
    cart_add_item(company=company_a, customer=customer, text="1 calabresa")
    reminded_at = timezone.now()
    Cart.objects.for_company(company_a).update(status=Cart.Status.REMINDED, reminded_at=reminded_at)

    cart_add_item(company=company_a, customer=customer, text="1 coca")
    order = cart_checkout(company=company_a, customer=customer, address="Rua A, 1", payment_method="cash")

    cart = Cart.objects.for_company(company_a).get()
    assert (cart.status, cart.order_id, cart.reminded_at) == ("checked_out", order.pk, reminded_at)
