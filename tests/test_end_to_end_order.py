"""Ordering over WhatsApp end to end: real webhook bodies in, the flows engine with the commerce
actions, Mercado Pago (the fake server speaking its payloads) and its signed notification, staff moving the
order on, the rating question 30 minutes after completion and the answer stored.

Nothing is eager: every pipeline task is recorded and run here in order, as a worker would (`Task.apply`),
with its after-commit callbacks executed. Time is controlled by moving stored timestamps: the delayed flow
messages' `send_after` when the worker "waits" for them, the order's `completed_at` for the rating delay.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from catalog import demo as catalog_demo
from catalog.models import Product
from config.public_url import public_url
from conversations.models import Channel, Conversation, Message
from conversations.tasks import conversation_process_task, inbound_event_apply_task, message_send_task
from conversations.tests.factories import ChannelFactory
from flows.services import flow_template_import
from integrations.messaging.console import ConsoleProvider
from integrations.testing.fake_server import FakeServer
from orders import notifications
from orders.demo import ordering_document
from orders.models import Order, Payment
from orders.payment_tasks import pix_charge_task
from orders.services import order_transition
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tenants.services import company_setting_set

CUSTOMER = "5511987654321"
WEBHOOK_SECRET = "whsec-e2e"
CRON_SECRET = "cron-e2e"
MP_FIXTURES = Path(__file__).resolve().parents[1] / "integrations" / "tests" / "fixtures" / "mercadopago"


class Worker:
    """Records what the pipeline enqueues and runs it in order; a delayed send is run once its time
    has come (the worker waits: its `send_after` is moved to now)."""

    def __init__(self, monkeypatch, capture_on_commit, company):
        self.pending: list[tuple[object, dict]] = []
        self._capture = capture_on_commit
        self._company = company
        for task in (inbound_event_apply_task, conversation_process_task, message_send_task, pix_charge_task):
            monkeypatch.setattr(task, "apply_async", self._recorder(task))

    def _recorder(self, task):
        def record(args=None, kwargs=None, countdown=0, **options):
            self.pending.append((task, dict(kwargs or {})))

        return record

    def drain(self, limit: int = 100) -> None:
        while self.pending and limit:
            limit -= 1
            task, kwargs = self.pending.pop(0)
            if task is message_send_task:
                self._wait_for(kwargs["message_id"])
            with self._capture(execute=True):
                task.apply(kwargs=kwargs, throw=True)
        assert not self.pending, "the pipeline kept enqueueing work"

    def _wait_for(self, message_id: int) -> None:
        """Let time pass until the message is due: every queued send_after moves back together."""
        queued = Message.objects.for_company(self._company).filter(status="queued")
        due_at = queued.filter(pk=message_id).values_list("send_after", flat=True).first()
        now = timezone.now()
        if due_at is not None and due_at > now:
            queued.update(send_after=F("send_after") - (due_at - now))


@pytest.fixture(autouse=True)
def _settings(settings):
    # The registered handlers are under test: rating answers first (carts.replies), then the flow.
    settings.CRON_SECRET = CRON_SECRET
    settings.LANGUAGE_CODE = "en"  # asserts read the msgids; the pt-BR catalogue may be reworded
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


@pytest.fixture
def company(company_a):
    company_a.message_debounce_seconds = 0  # processed as soon as the worker picks the task up
    company_a.rating_delay_min = 30
    company_a.save(update_fields=["message_debounce_seconds", "rating_delay_min"])
    catalog_demo.load(company_a)
    with company_scope(company_a):
        flow_template_import(document=ordering_document())
    return company_a


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks, company):
    return Worker(monkeypatch, django_capture_on_commit_callbacks, company)


@pytest.fixture
def say(client, django_capture_on_commit_callbacks, worker, company):
    """The customer writes on WhatsApp (the console provider's webhook body); the worker runs."""
    channel = ChannelFactory(company=company, name="loja", status=Channel.Status.CONNECTED)
    counter = iter(range(1, 1000))

    def send(text: str) -> list[str]:
        before = len(ConsoleProvider.outbox)
        body = {"from": CUSTOMER, "text": text, "id": f"wamid-{next(counter)}"}
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                reverse("webhook", args=[channel.inbound_key]), data=json.dumps(body), content_type="application/json"
            )
        assert (answer.status_code, answer.json()["status"]) == (200, "received")
        worker.drain()
        return [entry.text for entry in ConsoleProvider.outbox[before:] if entry.to == CUSTOMER]

    return send


def configure_mercadopago(company, settings, server) -> None:
    settings.MERCADOPAGO_BASE_URL = server.url
    secret = CompanySetting.ValueType.SECRET
    company_setting_set(company=company, key="mercadopago_access_token", value="APP_USR-e2e", value_type=secret)
    company_setting_set(company=company, key="mercadopago_webhook_secret", value=WEBHOOK_SECRET, value_type=secret)


def mercadopago_notify(client, company, payment_id: str, capture):
    """Mercado Pago's Webhooks notification, signed as documented (x-signature over id, request-id, ts)."""
    ts, request_id = str(int(time.time())), "e2e-req-1"
    manifest = f"id:{payment_id};request-id:{request_id};ts:{ts};"
    signature = hmac.new(WEBHOOK_SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    url = reverse("mercadopago-webhook", args=[company.webhook_key]) + f"?data.id={payment_id}&type=payment"
    body = {"action": "payment.updated", "type": "payment", "data": {"id": payment_id}}
    with capture(execute=True):
        return client.post(
            url,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_SIGNATURE=f"ts={ts},v1={signature}",
            HTTP_X_REQUEST_ID=request_id,
        )


def staff_moves(order: Order, to: str, capture) -> None:
    with capture(execute=True):
        assert order_transition(order=order, to=to) is True


def test_order_over_whatsapp_from_greeting_to_rating(
    company, say, worker, client, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    created = json.loads((MP_FIXTURES / "payment_pix_created.json").read_text())
    payment_id = str(created["id"])
    approved = json.loads((MP_FIXTURES / "payment_pix_approved.json").read_text())
    approved.update(id=created["id"], status="approved", transaction_amount=101.0)

    with FakeServer() as mercadopago:
        mercadopago.add("POST", "/v1/payments", json=created, status=201)
        mercadopago.add("GET", f"/v1/payments/{payment_id}", json=approved)
        configure_mercadopago(company, settings, mercadopago)

        greeting = say("oi")
        items = say("2x calabresa e 1 coca")
        zone = say("1")
        address = say("Rua das Flores, 123")
        recap = say("pix")
        checkout = say("sim")

        with company_scope(company):
            order = Order.objects.get()
            payment = Payment.objects.get()
        notified = mercadopago_notify(client, company, payment_id, capture)
        worker.drain()
        paid = [entry.text for entry in ConsoleProvider.outbox[-1:]]

    # greeting → menu (numbered, by category) → the question
    assert greeting[0] == f"Olá! 🍕 Bem-vindo à {company.name}."  # the company's own name
    assert greeting[1] == "Este é o nosso cardápio:"
    assert "*Pizzas*\n1. Pizza Margherita — R$ 45,00\n2. Pizza de Calabresa — R$ 42,00" in greeting[2]
    assert "*Bebidas*\n5. Coca-Cola 2L — R$ 12,00" in greeting[2]
    assert greeting[3].startswith("O que vai querer?")
    assert len(greeting) == 4
    # items added, cart shown, zones listed
    assert items[0] == "Added: 2x Pizza de Calabresa, 1x Coca-Cola 2L."
    assert items[1] == "Seu pedido até agora:"
    assert items[2].startswith("1. 2x Pizza de Calabresa — R$ 84,00\n2. 1x Coca-Cola 2L — R$ 12,00")
    # before the neighbourhood: the fee comes later, the total says so
    assert items[2].endswith(
        "Delivery: calculated once you choose the neighbourhood.\nTotal without delivery: R$ 96,00"
    )
    assert items[3:] == [
        "Em qual bairro é a entrega?",
        "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00",
        "Responda com o número ou o nome do bairro.",
    ]
    assert zone == ["Delivery to Centro: R$ 5,00.", "Qual o endereço (rua, número e complemento)?"]
    assert address == ["Como vai pagar: *Pix*, *dinheiro* ou *cartão*?"]
    # the recap: items, fee, address, payment, total; then the confirmation question
    assert recap == [
        "Confira seu pedido:",
        "2x Pizza de Calabresa — R$ 84,00\n1x Coca-Cola 2L — R$ 12,00\n\nDelivery (Centro): R$ 5,00\n"
        "Address: Rua das Flores, 123\nPayment: Pix\nTotal: R$ 101,00",
        "Posso fazer o pedido? Responda *sim* para confirmar ou *não* para mudar.",
    ]
    # checkout: the order, Mercado Pago's Pix code and its QR, the flow's last words
    assert (order.status, order.total, order.delivery_fee, order.address, order.payment_method) == (
        "awaiting_payment",
        Decimal("101.00"),
        Decimal("5.00"),
        "Rua das Flores, 123",
        "pix",
    )
    assert checkout == [
        f"Order #{order.pk} placed! Total R$ 101,00.",
        "Your Pix code comes in the next message.",
        "Obrigado pelo pedido! Avisamos por aqui a cada etapa.",
        "Pix copy-and-paste code:",
        created["point_of_interaction"]["transaction_data"]["qr_code"],
        f"QR code: {public_url(f'/payments/qr/{payment.public_id}.png')}",
    ]
    charge = mercadopago.requests_to("POST", "/v1/payments")[0]
    assert (charge.json["transaction_amount"], charge.json["payment_method_id"]) == (101.0, "pix")
    assert charge.headers["X-Idempotency-Key"] == f"balcao-order-{order.pk}-payment-{payment.pk}"
    with company_scope(company):
        stock = dict(
            Product.objects.filter(name__in=["Pizza de Calabresa", "Coca-Cola 2L"]).values_list("name", "stock")
        )
    assert stock == {"Pizza de Calabresa": 18, "Coca-Cola 2L": 29}
    # the signed notification: paid, the customer told once
    assert (notified.status_code, notified.json()) == (200, {"result": "applied"})
    order.refresh_from_db()
    assert order.status == "paid"
    assert paid == [notifications.order_paid_text(order)]

    # staff move the order on; each step is told to the customer
    for step in ("preparing", "out_for_delivery", "completed"):
        staff_moves(order, step, capture)
    worker.drain()
    assert [e.text for e in ConsoleProvider.outbox[-3:]] == [
        f"Your order #{order.pk} is being prepared.",
        f"Your order #{order.pk} is on its way!",
        f"Your order #{order.pk} was delivered. Enjoy!",
    ]

    # the rating question: not before rating_delay_min, then once
    def cron_rate():
        with capture(execute=True):
            answer = client.get(reverse("cron-avaliar"), HTTP_X_CRON_SECRET=CRON_SECRET)
        worker.drain()
        return answer.json()["asked"]

    assert cron_rate() == 0
    with company_scope(company):
        Order.objects.filter(pk=order.pk).update(completed_at=timezone.now() - timedelta(minutes=29))
    assert cron_rate() == 0
    with company_scope(company):
        Order.objects.filter(pk=order.pk).update(completed_at=timezone.now() - timedelta(minutes=31))
    sent_before = len(ConsoleProvider.outbox)
    assert cron_rate() == 1
    assert cron_rate() == 0
    assert [e.text for e in ConsoleProvider.outbox[sent_before:]] == [
        f"How was your order #{order.pk}? Reply with a score from 1 to 5."
    ]

    # the answer is stored and thanked; the flow does not start over
    assert say("5") == ["Thank you for your rating (5/5)!"]
    order.refresh_from_db()
    assert (order.status, order.rating, order.rated_at is not None) == ("completed", 5, True)
    assert say("4") != ["Thank you for your rating (4/5)!"]  # asked once, answered once
    order.refresh_from_db()
    assert order.rating == 5
    with company_scope(company):
        conversation = Conversation.objects.get()
        statuses = set(conversation.messages.filter(direction="out").values_list("status", flat=True))
    assert statuses == {"sent"}
