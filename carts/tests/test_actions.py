from decimal import Decimal

import pytest

from carts import actions as commerce
from carts.models import Cart
from catalog import demo
from catalog.models import DeliveryZone, Product
from conversations.models import Conversation
from flows import actions as engine_actions
from flows.models import FlowMessage, FlowPosition
from flows.services import flow_handle_inbound, flow_template_import
from orders.demo import ordering_document
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
    not_found = commerce.remove_from_cart(conversation_a, "lasanha")
    assert isinstance(not_found, commerce.NotAccepted)  # the flow asks again, with the cart
    assert not_found == [
        "I did not find that item in your cart.",
        "1. 2x Pizza de Calabresa — R$ 84,00\n\nSubtotal: R$ 84,00\nDelivery: R$ 9,00\nTotal: R$ 93,00",
        "Reply with the number or the name of the item to remove.",
    ]


def test_unknown_item_and_out_of_stock_checkout_are_explained(shop, conversation_a):  # noqa: F811
    assert commerce.add_to_cart(conversation_a, "1 lasanha") == [
        "I did not find: 1 lasanha. Send *menu* to see the options."
    ]
    commerce.add_to_cart(conversation_a, "2 calabresa")
    Product.objects.filter(name="Pizza de Calabresa").update(stock=1)

    sold_out = commerce.checkout(conversation_a, "dinheiro")
    # the way out: the line is cut to what is left, the customer confirms again or swaps it
    assert isinstance(sold_out, commerce.NotAccepted)
    assert sold_out[0] == "Sorry, we ran out of: Pizza de Calabresa. I took it out of your cart."
    assert sold_out[1].startswith("1. 1x Pizza de Calabresa — R$ 42,00")
    assert "*cardápio*" in sold_out[2] and "*desistir*" in sold_out[2]
    assert Order.objects.count() == 0
    assert Cart.objects.get().status == "open"
    placed = commerce.checkout(conversation_a, "dinheiro")
    assert placed[0].startswith("Order #")


def test_cash_checkout_then_repeat_the_last_order(shop, conversation_a):  # noqa: F811
    commerce.add_to_cart(conversation_a, "1 margherita")
    conversation_a.variables = {"endereco": "Rua B, 2"}

    (placed,) = commerce.checkout(conversation_a, "vou pagar em dinheiro")
    order = Order.objects.get()
    assert placed == f"Order #{order.pk} placed! Total R$ 55,00."  # default fee R$ 10,00 without a zone
    assert (order.payment_method, order.status) == ("cash", "pending")
    unclear = commerce.checkout(conversation_a, "fiado")
    assert unclear == ["How will you pay: Pix, cash or card?"]
    assert isinstance(unclear, commerce.NotAccepted)

    assert commerce.repeat_order(conversation_a) == [
        "1. 1x Pizza Margherita — R$ 45,00\n\nSubtotal: R$ 45,00\n"
        "Delivery: calculated once you choose the neighbourhood.\nTotal without delivery: R$ 45,00"
    ]


def test_handoff_asks_the_flow_service_to_hand_over_and_writes_nothing_itself(shop, conversation_a):  # noqa: F811
    assert commerce.handoff(conversation_a) == [engine_actions.HandOff(), "One of our team will talk to you shortly."]

    conversation = Conversation.objects.get(pk=conversation_a.pk)
    assert (conversation.bot_paused, conversation.status) == (False, "active")


def test_unusable_answers_are_not_accepted_and_usable_ones_are(shop, conversation_a):  # noqa: F811
    nothing = commerce.add_to_cart(conversation_a, "bom dia")
    assert (type(nothing), nothing) == (commerce.NotAccepted, ["I did not understand. Send *menu* to see the options."])
    assert type(commerce.add_to_cart(conversation_a, "1 lasanha")) is commerce.NotAccepted
    assert type(commerce.add_to_cart(conversation_a, "99")) is commerce.NotAccepted  # no list shown: CartError
    partly = commerce.add_to_cart(conversation_a, "1 calabresa e 1 lasanha")
    assert type(partly) is list  # something was added: the flow goes on

    assert commerce.choose_zone(conversation_a, "") == [
        "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00"
    ]
    assert commerce.choose_zone(conversation_a, "Moema") == commerce.NotAccepted(
        [
            "We do not deliver to that neighbourhood, or I did not understand it.",
            "Reply with the number or the name of the neighbourhood:\n"
            "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00",
        ]
    )
    assert type(commerce.choose_zone(conversation_a, "centro")) is list

    assert type(commerce.rate_order(conversation_a, "ótimo")) is commerce.NotAccepted
    assert commerce.rate_order(conversation_a, "5") == []  # a rating, even with no order asking for one


def test_an_empty_cart_is_explained_at_the_zone_and_payment_steps(shop, conversation_a):  # noqa: F811
    empty = ["Your cart is empty.", "Send *cardápio* to choose your items."]

    assert (commerce.choose_zone(conversation_a, "centro"), commerce.checkout(conversation_a, "pix")) == (empty, empty)
    assert type(commerce.checkout(conversation_a, "pix")) is commerce.NotAccepted
    # Nothing to remove from an empty cart: said, and the flow goes on.
    assert (type(removed := commerce.remove_from_cart(conversation_a, "1")), removed) == (list, ["Your cart is empty."])


def test_with_nothing_for_sale_the_items_step_goes_on(company_a, conversation_a):  # noqa: F811
    with company_scope(company_a):
        replies = commerce.add_to_cart(conversation_a, "uma calabresa")

    assert (type(replies), replies) == (list, ["Our menu is empty right now."])


def test_without_zones_the_zone_step_goes_on(shop, conversation_a):  # noqa: F811
    DeliveryZone.objects.update(active=False)
    commerce.add_to_cart(conversation_a, "1 calabresa")

    assert commerce.choose_zone(conversation_a, "") == [engine_actions.SkipQuestion()]  # the question is skipped
    assert type(commerce.choose_zone(conversation_a, "centro")) is list


def test_hook_turns_not_accepted_into_the_engines_rejected(shop, conversation_a):  # noqa: F811
    commerce.add_to_cart(conversation_a, "1 coca")
    context = engine_actions.ActionContext(conversation=conversation_a, flow_message_id=1, reply="Moema")

    rejected = engine_actions.get("choose_zone")(context)

    assert isinstance(rejected, engine_actions.Rejected)
    assert rejected.messages[0] == "We do not deliver to that neighbourhood, or I did not understand it."
    context.reply = "1 calabresa"
    assert engine_actions.get("add_to_cart")(context) == ["Added: 1x Pizza de Calabresa."]


@pytest.fixture
def ordering(shop, conversation_a):  # noqa: F811
    """The demo ordering flow (orders/demo.py) on company_a, an item in the cart, at the zone question."""
    flow_template_import(document=ordering_document())
    flow_handle_inbound(conversation=conversation_a, text="oi")
    flow_handle_inbound(conversation=conversation_a, text="2")
    return conversation_a


def test_zone_not_matched_stays_on_the_zone_question_then_a_valid_zone_advances(ordering):
    assert waiting_on(ordering) == "Responda com o número ou o nome do bairro."

    unmatched = flow_handle_inbound(conversation=ordering, text="2x calabresa")

    assert [i.text for i in unmatched] == [
        "We do not deliver to that neighbourhood, or I did not understand it.",
        "Reply with the number or the name of the neighbourhood:\n"
        "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00",
    ]
    assert waiting_on(ordering) == "Responda com o número ou o nome do bairro."
    assert Cart.objects.get().delivery_zone is None

    chosen = flow_handle_inbound(conversation=ordering, text="3")  # the number from the list shown again

    assert [i.text for i in chosen] == [
        "Delivery to Vila Nova: R$ 9,00.",
        "Qual o endereço (rua, número e complemento)?",
    ]
    assert Cart.objects.get().delivery_zone.neighbourhood == "Vila Nova"
    assert waiting_on(ordering) == "Qual o endereço (rua, número e complemento)?"


def test_unclear_payment_keeps_asking_and_a_keyword_still_switches(ordering):
    flow_handle_inbound(conversation=ordering, text="centro")
    flow_handle_inbound(conversation=ordering, text="Rua A, 10")

    unclear = flow_handle_inbound(conversation=ordering, text="fiado")

    assert [i.text for i in unclear] == ["How will you pay: *Pix*, *dinheiro* or *cartão*?"]
    assert waiting_on(ordering) == "Como vai pagar: *Pix*, *dinheiro* ou *cartão*?"
    assert Order.objects.count() == 0

    cart = flow_handle_inbound(conversation=ordering, text="carrinho")
    assert [i.text for i in cart][:2] == [
        "Seu carrinho:",
        "1. 1x Pizza de Calabresa — R$ 42,00\n\nSubtotal: R$ 42,00\nDelivery: R$ 5,00\nTotal: R$ 47,00",
    ]
    assert waiting_on(ordering) == "Responda com o número ou o nome do bairro."  # back to delivery


def waiting_on(conversation) -> str:
    position = FlowPosition.objects.get(conversation=conversation)
    return FlowMessage.objects.get(pk=position.current_message_id).message_text
