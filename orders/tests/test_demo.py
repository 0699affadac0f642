from decimal import Decimal

from catalog import demo as catalog_demo
from flows import demo as flows_demo
from flows.models import FlowTemplate
from flows.pipeline import handle_message
from flows.selectors import live_template_id
from flows.services import flow_template_import
from integrations.pix import parse_brcode
from orders import demo
from orders.models import Order
from orders.tests.conftest import conversation_a, customer_a  # noqa: F401 - fixtures
from tenants.scoping import company_scope


def say(conversation, text: str) -> list[str]:
    return [intent.text for intent in handle_message(conversation=conversation, text=text)]


def test_demo_ordering_flow_is_live_once_and_takes_a_pix_order(company_a, conversation_a):  # noqa: F811
    flows_demo.load(company_a)
    catalog_demo.load(company_a)
    template = demo.load(company_a)
    assert demo.load(company_a).pk == template.pk  # idempotent

    with company_scope(company_a):
        assert live_template_id() == template.pk
        assert dict(FlowTemplate.objects.values_list("name", "is_active")) == {"Pizzaria": False, "Pedidos": True}
        greeting = say(conversation_a, "oi")
        say(conversation_a, "quero o 2")
        say(conversation_a, "Centro")
        say(conversation_a, "Rua A, 10")
        checkout = say(conversation_a, "pix")

    order = Order.objects.for_company(company_a).get()
    assert greeting[:2] == ["Olá! 🍕 Bem-vindo à Pizzaria Demo.", "Este é o nosso cardápio:"]
    assert (order.total, order.status, order.address) == (Decimal("47.00"), "awaiting_payment", "Rua A, 10")
    brcode = parse_brcode(checkout[2])
    assert (brcode["key"], brcode["amount"], brcode["txid"]) == (
        "pix@pizzaria-demo.com.br",
        Decimal("47.00"),
        f"PED{order.pk}",
    )


def test_demo_leaves_a_flows_demo_that_checks_out_active(company_a):
    catalog_demo.load(company_a)
    with company_scope(company_a):
        flows_own = flow_template_import(document=demo.ordering_document())
        FlowTemplate.objects.filter(pk=flows_own.pk).update(name=demo.FLOWS_DEMO_TEMPLATE_NAME)
    demo.load(company_a)

    with company_scope(company_a):
        active = dict(FlowTemplate.objects.values_list("name", "is_active"))
    assert active == {"Pizzaria": True, "Pedidos": True}
