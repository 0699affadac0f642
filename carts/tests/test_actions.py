from decimal import Decimal

import pytest

from carts import actions as commerce
from carts.models import Cart
from catalog import demo
from catalog.models import Product
from conversations.models import Conversation
from flows import actions as engine_actions
from orders.models import Order, Payment
from orders.tests.conftest import conversation_a, customer_a, english  # noqa: F401 - fixtures
from tenants.scoping import company_scope

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def shop(company_a):
    demo.load(company_a)
    with company_scope(company_a):
        yield company_a


def test_hooks_are_registered_with_the_engine():
    assert set(commerce.ACTIONS) <= set(engine_actions.registered_names())


def test_menu_pick_zone_and_pix_checkout(company_a, conversation_a):  # noqa: F811
    demo.load(company_a)
    demo.load(company_a)  # idempotent
    with company_scope(company_a):
        menu = commerce.show_catalog(conversation_a)[0]
        assert "2. Pizza de Calabresa — R$ 42,00" in menu
        assert commerce.add_to_cart(conversation_a, "quero o 2") == ["Added: 1x Pizza de Calabresa."]
        commerce.add_to_cart(conversation_a, "1 coca")
        commerce.choose_zone(conversation_a, "")
        assert commerce.choose_zone(conversation_a, "2") == ["Delivery to Jardim América: R$ 7,00."]
        conversation_a.variables = {"endereco": "Rua A, 10"}
        replies = commerce.checkout(conversation_a, "pix")

    order = Order.objects.for_company(company_a).get()
    assert (order.total, order.status, order.address) == (Decimal("61.00"), "awaiting_payment", "Rua A, 10")
    assert replies[2] == Payment.objects.for_company(company_a).get().qr_payload
    assert Product.objects.for_company(company_a).count() == 6


def test_menu_is_numbered_by_category(shop, conversation_a):  # noqa: F811
    (menu,) = commerce.show_catalog(conversation_a)

    assert menu.startswith("*Pizzas*\n1. Pizza Margherita — R$ 45,00\n2. Pizza de Calabresa — R$ 42,00")
    assert "*Bebidas*\n5. Coca-Cola 2L — R$ 12,00\n6. Guaraná Antarctica 2L — R$ 10,00" in menu
    assert menu.endswith("Reply with the number or the name (e.g. 2x calabresa).")


def test_names_are_matched_forgivingly(shop, conversation_a):  # noqa: F811
    replies = commerce.add_to_cart(conversation_a, "2x PIZZA DE CALABREZA e um guarana")

    assert replies == ["Added: 2x Pizza de Calabresa, 1x Guaraná Antarctica 2L."]


def test_cart_shows_subtotal_fee_and_total_then_remove(shop, conversation_a):  # noqa: F811
    commerce.add_to_cart(conversation_a, "2 calabresa e 1 coca")
    commerce.choose_zone(conversation_a, "vila nova")

    assert commerce.show_cart(conversation_a) == [
        "1. 2x Pizza de Calabresa — R$ 84,00\n2. 1x Coca-Cola 2L — R$ 12,00\n\n"
        "Subtotal: R$ 96,00\nDelivery: R$ 9,00\nTotal: R$ 105,00"
    ]
    assert commerce.remove_from_cart(conversation_a, "coca") == [
        "Removed: Coca-Cola 2L.",
        "1. 2x Pizza de Calabresa — R$ 84,00\n\nSubtotal: R$ 84,00\nDelivery: R$ 9,00\nTotal: R$ 93,00",
    ]
    assert commerce.remove_from_cart(conversation_a, "lasanha") == ["I did not find that item in your cart."]


def test_unknown_item_and_out_of_stock_checkout_are_explained(shop, conversation_a):  # noqa: F811
    assert commerce.add_to_cart(conversation_a, "1 lasanha") == [
        "I did not find: 1 lasanha. Send *menu* to see the options."
    ]
    commerce.add_to_cart(conversation_a, "2 calabresa")
    Product.objects.filter(name="Pizza de Calabresa").update(stock=1)

    assert commerce.checkout(conversation_a, "dinheiro") == ["Not enough stock of Pizza de Calabresa."]
    assert Order.objects.count() == 0
    assert Cart.objects.get().status == "open"


def test_cash_checkout_then_repeat_the_last_order(shop, conversation_a):  # noqa: F811
    commerce.add_to_cart(conversation_a, "1 margherita")
    conversation_a.variables = {"endereco": "Rua B, 2"}

    (placed,) = commerce.checkout(conversation_a, "vou pagar em dinheiro")
    order = Order.objects.get()
    assert placed == f"Order #{order.pk} placed! Total R$ 55,00."  # default fee R$ 10,00 without a zone
    assert (order.payment_method, order.status) == ("cash", "pending")
    assert commerce.checkout(conversation_a, "fiado") == ["How will you pay: Pix, cash or card?"]

    assert commerce.repeat_order(conversation_a) == [
        "1. 1x Pizza Margherita — R$ 45,00\n\nSubtotal: R$ 45,00\nDelivery: R$ 10,00\nTotal: R$ 55,00"
    ]


def test_handoff_pauses_the_bot(shop, conversation_a):  # noqa: F811
    assert commerce.handoff(conversation_a) == ["One of our team will talk to you shortly."]

    conversation = Conversation.objects.get(pk=conversation_a.pk)
    assert (conversation.bot_paused, conversation.status) == (True, "handoff")
