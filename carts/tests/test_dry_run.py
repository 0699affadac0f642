"""The dry-run simulator runs the commerce hooks in their write-nothing mode: the menu, the cart
summary and the checkout's answer are shown, and no row stays (no customer, cart, order)."""

from decimal import Decimal

from carts.models import Cart, SessionContext
from catalog.tests.factories import ProductFactory
from customers.models import Customer
from flows.services import flow_simulate
from flows.tests.factories import FlowMessageFactory, SubflowFactory
from orders.models import Order, Payment
from tenants.scoping import company_scope


def test_the_dry_run_shows_what_the_actions_send_and_writes_nothing(company_a):
    with company_scope(company_a):
        ProductFactory(company=company_a, name="Pizza de Calabresa", price=Decimal("42.00"))
        subflow = SubflowFactory(company=company_a)
        for order, (text, extra) in enumerate(
            [
                ("Cardápio:", {"action": "show_catalog"}),
                ("O que vai querer?", {"wait_for_response": True, "action": "add_to_cart"}),
                ("Seu carrinho:", {"action": "show_cart"}),
                ("Como vai pagar?", {"wait_for_response": True, "action": "checkout"}),
                ("Obrigado!", {}),
            ]
        ):
            FlowMessageFactory(company=company_a, subflow=subflow, message_text=text, order_index=order, **extra)

        turns = flow_simulate(template_id=subflow.flow.template_id, inputs=["oi", "2x calabresa", "pix"])

        replies = [[r["text"] for r in turn["replies"]] for turn in turns]
        assert replies[0][0] == "Cardápio:" and "1. Pizza de Calabresa — R$ 42,00" in replies[0][1]
        assert replies[1][0] == "Adicionado: 2x Pizza de Calabresa."
        assert "Total: R$ 84,00" in replies[1][2]  # show_cart after "Seu carrinho:"
        assert replies[2][0].startswith("(simulação) O pedido seria fechado aqui: total R$ 84,00")
        assert replies[2][-1] == "Obrigado!"
        assert turns[2]["completed"] is True
        assert [m.objects.count() for m in (Customer, Cart, SessionContext, Order, Payment)] == [0, 0, 0, 0, 0]
