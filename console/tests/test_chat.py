"""Console chat: staff talk to the company's flows through the console
channel and the real pipeline (ingest → processing → bot handler → outbound choke point → console send),
synchronously, and see the transcript, the current step, the variables and the open cart."""

from decimal import Decimal

import pytest
from django.utils import translation

from carts.models import Cart
from console.chat import console_chat_load, console_chat_send, simulator_contact_id
from conversations.models import Channel, Conversation, InboundEvent, Message
from conversations.services.controls import BlockReason
from customers.models import Customer
from flows import demo as flows_demo
from flows.models import FlowMessage, FlowTemplate
from flows.services import flow_template_publish
from flows.tests.factories import pizzeria_template
from integrations.messaging.console import ConsoleProvider
from integrations.pix import parse_brcode
from orders.models import Order
from tenants.demo import DEMO_USERNAME, load_demo
from tenants.models import Company
from tenants.scoping import company_scope
from tenants.tests.factories import UserFactory

URL = "/admin/flows/flowtemplate/console-chat/"


@pytest.fixture(autouse=True)
def _outbox():
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


@pytest.fixture
def demo(db, postgres_only, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # load_demo writes the demo login and webhook files there
    company, _, _ = load_demo()
    return company


@pytest.fixture
def pizzeria(postgres_only, company_a):
    """company_a with the factories' pizzeria template, published, then its greeting edited in the draft."""
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
        flow_template_publish(template=template)
        FlowMessage.objects.filter(message_text="Olá!").update(message_text="Olá do rascunho!")
    return company_a


def bot_texts(chat, since: int = 0) -> list[str]:
    return [m["text"] for m in chat.transcript[since:] if not m["inbound"]]


def brcode_in(texts: list[str]) -> dict | None:
    for text in texts:
        try:
            return parse_brcode(text)
        except ValueError:
            continue
    return None


def test_the_demo_takes_an_order_end_to_end_in_the_console_chat(demo, django_user_model):
    user = django_user_model.objects.get(username=DEMO_USERNAME)

    def say(text):
        chat = console_chat_send(company=demo, user=user, text=text)
        assert chat.result == "processed", (text, chat.blocked_reason)
        return chat

    greeting = say("oi")
    assert bot_texts(greeting)[:2] == ["Olá! 🍕 Bem-vindo à Pizzaria Demo.", "Este é o nosso cardápio:"]
    assert "Pizza de Calabresa" in bot_texts(greeting)[2]
    assert greeting.template["name"] == "Pedidos"
    assert (greeting.step["subflow"], greeting.step["waiting_for"]) == ("Cardápio e itens", "response")
    assert greeting.step["version"] is None  # the draft, while customers talk to the published version

    items = say("2x calabresa")
    assert [(i["name"], i["quantity"]) for i in items.cart["items"]] == [("Pizza de Calabresa", 2)]
    assert items.cart["subtotal"] == Decimal("84.00")
    assert items.step["subflow"] == "Entrega e pagamento"

    zone = say("2")
    assert (zone.cart["zone"], zone.cart["fee"], zone.cart["total"]) == (
        "Jardim América",
        Decimal("7.00"),
        Decimal("91.00"),
    )
    assert zone.step["message_text"].startswith("Qual o endereço")

    address = say("Rua das Flores, 123")
    assert address.variables["endereco"] == "Rua das Flores, 123"
    assert address.step["message_text"].startswith("Como vai pagar")

    recap = say("pix")  # the recap and "Posso fazer o pedido?" (issue 20)
    assert recap.step["message_text"].startswith("Posso fazer o pedido?")
    before = len(recap.transcript)
    paid = say("sim")
    replies = bot_texts(paid, before)
    order = Order.objects.for_company(demo).get()
    assert (order.status, order.total, order.delivery_fee) == ("awaiting_payment", Decimal("91.00"), Decimal("7.00"))
    assert order.customer == paid.customer
    brcode = brcode_in(replies)
    assert (brcode["key"], brcode["amount"], brcode["txid"]) == (
        "pix@pizzaria-demo.com.br",
        Decimal("91.00"),
        f"PED{order.pk}",
    )
    assert any("/payments/qr/" in text for text in replies)
    assert paid.cart is None  # checked out
    assert paid.step is None and paid.status == Conversation.Status.COMPLETED
    assert paid.variables["endereco"] == "Rua das Flores, 123"

    # The same path a webhook takes: raw events, message rows, the demo's console channel, the console outbox.
    with company_scope(demo):
        channel = Channel.objects.get(provider="console")
        assert channel.name == "demo"
        assert InboundEvent.objects.filter(channel=channel, status="processed").count() == 6
    assert paid.channel == channel
    assert [m["status"] for m in paid.transcript if m["inbound"]] == ["processed"] * 6
    assert {m["status"] for m in paid.transcript if not m["inbound"]} == {"sent"}
    sent = [entry.text for entry in ConsoleProvider.outbox]
    assert sent == bot_texts(paid)
    assert {entry.to for entry in ConsoleProvider.outbox} == {simulator_contact_id(user)}
    assert (paid.customer.phone, paid.customer.opted_out_at) == ("", None)


def test_the_simulator_talks_to_the_draft_in_and_out_of_test_mode(pizzeria, manager_a):
    out_of_test_mode = console_chat_send(company=pizzeria, user=manager_a, text="oi")
    assert bot_texts(out_of_test_mode) == ["Olá do rascunho!", "Qual é o seu nome?"]

    pizzeria.test_mode, pizzeria.test_contact = True, "5511987654321"
    pizzeria.save()
    with company_scope(pizzeria):
        FlowTemplate.objects.update(published_version=0)  # no published bot: only test contacts are answered
    chat = console_chat_send(company=pizzeria, user=manager_a, text="oi", reset=True)

    assert chat.result == "processed"
    assert bot_texts(chat) == ["Olá do rascunho!", "Qual é o seu nome?"]
    assert chat.step["save_reply_as"] == "nome"


def test_opt_out_words_do_not_opt_the_simulator_out(pizzeria, manager_a):
    console_chat_send(company=pizzeria, user=manager_a, text="oi")
    chat = console_chat_send(company=pizzeria, user=manager_a, text="Sair")

    assert chat.result == "processed"
    assert bot_texts(chat)[-1] == "Prazer, Sair! Quer o cardápio?"
    assert chat.variables == {"nome": "Sair"}
    assert chat.customer.opted_out_at is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bot_enabled": False}, BlockReason.BOT_DISABLED),
        ({"bot_status": Company.BotStatus.PAUSED}, BlockReason.BOT_PAUSED),
    ],
)
def test_a_silenced_bot_is_reported(pizzeria, manager_a, change, reason):
    Company.objects.filter(pk=pizzeria.pk).update(**change)
    pizzeria.refresh_from_db()

    with translation.override("en"):
        chat = console_chat_send(company=pizzeria, user=manager_a, text="oi")
        opened = console_chat_load(company=pizzeria, user=manager_a)

    assert (chat.result, chat.blocked_reason) == ("blocked", reason)
    assert chat.notice and opened.notice == chat.notice
    assert [(m["inbound"], m["status"], m["reason"]) for m in chat.transcript] == [(True, "ignored", reason)]
    assert ConsoleProvider.outbox == []


def test_a_handoff_is_reported_and_start_over_talks_to_the_bot_again(pizzeria, manager_a):
    console_chat_send(company=pizzeria, user=manager_a, text="oi")
    Conversation.objects.for_company(pizzeria).update(bot_paused=True, status=Conversation.Status.HANDOFF)

    with translation.override("en"):
        silenced = console_chat_send(company=pizzeria, user=manager_a, text="Ana")
    fresh = console_chat_send(company=pizzeria, user=manager_a, text="oi", reset=True)

    assert (silenced.result, silenced.blocked_reason) == ("blocked", BlockReason.HANDOFF)
    assert "took over" in silenced.notice
    assert [m["text"] for m in fresh.transcript] == ["oi", "Olá do rascunho!", "Qual é o seu nome?"]
    assert fresh.conversation.pk != silenced.conversation.pk
    assert Conversation.objects.for_company(pizzeria).count() == 1


def test_start_over_cancels_the_open_cart(demo, django_user_model):
    user = django_user_model.objects.get(username=DEMO_USERNAME)
    console_chat_send(company=demo, user=user, text="oi")
    chat = console_chat_send(company=demo, user=user, text="1 margherita")
    assert chat.cart["items"]

    fresh = console_chat_send(company=demo, user=user, reset=True)

    assert (fresh.transcript, fresh.cart, fresh.step, fresh.variables) == ([], None, None, {})
    assert Cart.objects.for_company(demo).get().status == Cart.Status.CANCELLED


def test_a_document_goes_through_a_file_wait(postgres_only, company_a, manager_a):
    flows_demo.load(company_a)  # the engine's demo: name, order, address, then a receipt (pdf or image)
    for text in ("oi", "Ana", "uma calabresa"):
        console_chat_send(company=company_a, user=manager_a, text=text)
    waiting = console_chat_send(company=company_a, user=manager_a, text="Rua A, 10")

    chat = console_chat_send(
        company=company_a, user=manager_a, document={"name": "recibo.pdf", "mime": "application/pdf"}
    )

    assert (waiting.step["subflow"], waiting.step["waiting_for"]) == ("Pedido", "file")
    assert bot_texts(chat)[-1] == "Comprovante recebido, Ana! Seu pedido vai para Rua A, 10. Até logo! 👋"
    assert (chat.transcript[-2]["kind"], chat.transcript[-2]["file_name"]) == ("document", "recibo.pdf")
    assert chat.variables["comprovante"] == "recibo.pdf"


def test_each_staff_member_has_an_own_simulator_customer(pizzeria, manager_a, viewer_a):
    mine = console_chat_send(company=pizzeria, user=manager_a, text="oi")
    theirs = console_chat_load(company=pizzeria, user=viewer_a)

    assert mine.customer != theirs.customer
    assert mine.conversation.customer == mine.customer  # the ingest found the same customer by its contact id
    assert theirs.transcript == []
    assert Customer.objects.for_company(pizzeria).filter(phone="").count() == 2


# -- the admin page ----------------------------------------------------------------------------------


def test_the_admin_page_renders_and_chats(pizzeria, admin_client_a):
    with translation.override("en"):
        page = admin_client_a.get(URL)
        answered = admin_client_a.post(URL, {"text": "oi", "send": "1"})
        named = admin_client_a.post(URL, {"text": "Ana", "send": "1"})
        reset = admin_client_a.post(URL, {"text": "", "reset": "1"})

    assert page.status_code == 200
    assert "Nenhuma mensagem ainda" in page.content.decode()  # the admin speaks pt-BR
    assert answered.status_code == 200
    assert "Olá do rascunho!" in answered.content.decode()
    step = answered.context["chat"].step
    assert (step["message_text"], step["waiting_for"]) == ("Qual é o seu nome?", "response")
    assert named.context["chat"].variables == {"nome": "Ana"}
    assert "Prazer, Ana! Quer o cardápio?" in named.content.decode()
    assert "<code>nome</code> = Ana" in named.content.decode()
    assert reset.context["chat"].transcript == []


def test_the_template_pages_link_to_the_console_chat(pizzeria, admin_client_a):
    with company_scope(pizzeria):
        template = FlowTemplate.objects.get()

    for url in (
        f"/admin/flows/flowtemplate/{template.pk}/change/",
        f"/admin/flows/flowtemplate/{template.pk}/simulate/",
    ):
        assert URL in admin_client_a.get(url).content.decode()


def test_the_admin_page_shows_only_the_users_own_company(pizzeria, admin_client_a, client, company_b, manager_b):
    admin_client_a.post(URL, {"text": "oi", "send": "1"})
    client.force_login(manager_b)

    other = client.post(URL, {"text": "oi", "send": "1"})

    assert other.status_code == 200
    chat = other.context["chat"]
    assert chat.channel.company_id == company_b.pk and chat.customer.company_id == company_b.pk
    assert chat.template is None and [m["text"] for m in chat.transcript] == ["oi"]
    assert "Olá do rascunho!" not in other.content.decode()
    assert Message.objects.for_company(pizzeria).count() == 3  # A's conversation untouched


def test_the_admin_page_refuses_readers_and_users_without_a_company(pizzeria, client, viewer_a):
    outsider = UserFactory(username="outsider", is_staff=True)
    client.force_login(viewer_a)
    assert (client.get(URL).status_code, client.post(URL, {"text": "oi"}).status_code) == (403, 403)

    client.force_login(outsider)
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL, {"text": "oi"}).status_code in (302, 403)
    assert not Message.objects.for_company(pizzeria).exists()
