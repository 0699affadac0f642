from decimal import Decimal

from carts import actions as commerce
from catalog import demo
from catalog.models import Product
from flows import actions as engine_actions
from orders.models import Order, Payment
from orders.tests.conftest import conversation_a, customer_a  # noqa: F401 - fixtures
from tenants.scoping import company_scope


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
