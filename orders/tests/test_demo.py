from decimal import Decimal

from django.db.models import Sum

from catalog import demo as catalog_demo
from catalog.models import DeliveryZone, Product, StockMovement
from catalog.services import default_delivery_fee_get
from conversations.handlers import handlers_run
from conversations.models import Channel
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory
from flows import demo as flows_demo
from flows.models import FlowTemplate
from flows.pipeline import handle_message
from flows.selectors import live_template_id
from flows.services import flow_template_import
from integrations.pix import parse_brcode
from orders import demo
from orders.models import Order
from orders.payments import static_pix_config
from orders.tests.conftest import conversation_a, customer_a  # noqa: F401 - fixtures
from tenants.demo import load_demo
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
        say(conversation_a, "pix")  # the recap, then "Posso fazer o pedido?"
        checkout = say(conversation_a, "sim")

    order = Order.objects.for_company(company_a).get()
    assert greeting[:2] == [f"Olá! 🍕 Bem-vindo à {company_a.name}.", "Este é o nosso cardápio:"]
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


def test_make_run_demo_has_a_menu_zones_and_a_pix_key_and_takes_an_order(db, settings, tmp_path):
    """`make run` loads the demo with `load_demo`: the pizzeria can sell through the console channel."""
    settings.VAR_DIR = tmp_path
    company, _, _ = load_demo()
    load_demo()  # idempotent: nothing doubled, stock not counted twice

    with company_scope(company):
        stock = dict(Product.objects.filter(active=True).values_list("name", "stock"))
        ledger = dict(Product.objects.annotate(total=Sum("movements__delta")).values_list("name", "total"))
        zones = dict(DeliveryZone.objects.filter(active=True).values_list("neighbourhood", "fee"))
        channel = Channel.objects.get(provider="console")
        assert live_template_id() == FlowTemplate.objects.get(name=demo.ORDERING_TEMPLATE_NAME).pk
    assert stock == {
        "Pizza Margherita": 20,
        "Pizza de Calabresa": 20,
        "Pizza Portuguesa": 15,
        "Pizza Quatro Queijos": 10,
        "Coca-Cola 2L": 30,
        "Guaraná Antarctica 2L": 30,
    }
    assert ledger == stock
    assert StockMovement.objects.for_company(company).count() == 6
    assert zones == {"Centro": Decimal("5.00"), "Jardim América": Decimal("7.00"), "Vila Nova": Decimal("9.00")}
    assert default_delivery_fee_get(company=company) == Decimal("10.00")
    pix = static_pix_config(company)
    assert (pix.key, pix.merchant_name, pix.merchant_city) == ("pix@pizzaria-demo.com.br", "Pizzaria Demo", "São Paulo")

    company.message_debounce_seconds = 0
    customer = CustomerFactory(company=company)
    with company_scope(company):
        conversation = ConversationFactory(company=company, channel=channel, customer=customer)
        for text in ("oi", "2x calabresa", "2", "Rua das Flores, 123", "pix"):
            handlers_run(conversation=conversation, text=text, message=None)
            conversation.refresh_from_db()
        checkout = [intent.text for intent in handlers_run(conversation=conversation, text="sim", message=None)]

    order = Order.objects.for_company(company).get()
    assert (order.total, order.delivery_fee, order.status) == (Decimal("91.00"), Decimal("7.00"), "awaiting_payment")
    brcode = parse_brcode(checkout[2])
    assert (brcode["key"], brcode["amount"], brcode["merchant_name"]) == (
        "pix@pizzaria-demo.com.br",
        Decimal("91.00"),
        "Pizzaria Demo",
    )
