"""The whole bot, end to end: a real webhook body in, the flows engine, the outbound choke point, a provider out.

Nothing is eager: every task the pipeline enqueues is recorded and then run here, one by one, the way a
worker would (`Task.apply`), with its after-commit callbacks executed.
"""

import json

import pytest
from django.urls import reverse

from conversations.models import Channel, Conversation, InboundEvent, Message
from conversations.tasks import (
    conversation_process_task,
    inbound_event_apply_task,
    message_send_task,
    received_file_download_task,
)
from conversations.tests.factories import ChannelFactory
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from integrations.messaging.console import ConsoleProvider
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope

CUSTOMER = "5511987654321"
PIPELINE_TASKS = (inbound_event_apply_task, conversation_process_task, message_send_task, received_file_download_task)


class Worker:
    """Records what the pipeline enqueues and runs it in order, as a Celery worker would."""

    def __init__(self, monkeypatch, capture_on_commit):
        self.pending: list[tuple[object, dict]] = []
        self.ran: list[str] = []
        self._capture = capture_on_commit
        for task in PIPELINE_TASKS:
            monkeypatch.setattr(task, "apply_async", self._recorder(task))

    def _recorder(self, task):
        def record(args=None, kwargs=None, countdown=0, **options):
            self.pending.append((task, dict(kwargs or {})))

        return record

    def drain(self, limit: int = 50) -> None:
        while self.pending and limit:
            limit -= 1
            task, kwargs = self.pending.pop(0)
            with self._capture(execute=True):
                task.apply(kwargs=kwargs, throw=True)
            self.ran.append(task.name.rsplit(".", 1)[-1])
        assert not self.pending, "the pipeline kept enqueueing work"


@pytest.fixture(autouse=True)
def _pipeline_settings(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake provider listens on 127.0.0.1
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    return Worker(monkeypatch, django_capture_on_commit_callbacks)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def send(channel: Channel, body: dict):
        url = reverse("webhook", args=[channel.inbound_key])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=json.dumps(body).encode(), content_type="application/json")

    return send


@pytest.fixture
def company(company_a):
    company_a.message_debounce_seconds = 0  # process as soon as the worker picks the task up
    company_a.save(update_fields=["message_debounce_seconds"])
    return company_a


def build_template(company) -> None:
    """greeting (asks the name) → offer (uses the name, waits) → menu by keyword, back to offer."""
    with company_scope(company):
        template = FlowTemplate.objects.create(company=company, name="Loja")
        flow = Flow.objects.create(company=company, template=template, name="Atendimento", is_default=True)
        greeting = Subflow.objects.create(company=company, flow=flow, name="Saudação", order_index=1)
        FlowMessage.objects.create(company=company, subflow=greeting, message_text="Olá! Bem-vindo.", order_index=1)
        FlowMessage.objects.create(
            company=company,
            subflow=greeting,
            message_text="Como você se chama?",
            order_index=2,
            wait_for_response=True,
            save_reply_as="nome",
        )
        offer = Subflow.objects.create(company=company, flow=flow, name="Oferta", order_index=2)
        FlowMessage.objects.create(
            company=company,
            subflow=offer,
            message_text="Prazer, {{ nome }}! Digite cardápio para ver as pizzas.",
            order_index=1,
            wait_for_response=True,
            save_reply_as="pedido",
        )
        menu = Subflow.objects.create(
            company=company,
            flow=flow,
            name="Cardápio",
            order_index=3,
            trigger_keywords=["cardápio", "menu"],
            parent_subflow=offer,
        )
        FlowMessage.objects.create(
            company=company, subflow=menu, message_text="Margherita ou Calabresa, {{ nome }}?", order_index=1
        )


def console_channel(company) -> Channel:
    return ChannelFactory(company=company, name="loja", status=Channel.Status.CONNECTED)


def gosac_channel(company, base_url: str) -> Channel:
    credentials = json.dumps({"token": "tok-secret", "integration": "int-1"})
    return ChannelFactory(
        company=company, provider="gosac", name="gosac", base_url=base_url, credentials=credentials, status="connected"
    )


def console_received(to: str = CUSTOMER) -> list[str]:
    return [entry.text for entry in ConsoleProvider.outbox if entry.to == to]


def test_console_customer_gets_greeting_then_keyword_subflow_then_saved_variable(company, worker, post):
    build_template(company)
    channel = console_channel(company)

    answer = post(channel, {"from": CUSTOMER, "text": "oi", "id": "m1"})
    worker.drain()
    assert answer.status_code == 200
    assert answer.json()["status"] == "received"  # stored; the worker applied it
    assert console_received() == ["Olá! Bem-vindo.", "Como você se chama?"]

    post(channel, {"from": CUSTOMER, "text": "Ana", "id": "m2"})
    worker.drain()
    assert console_received()[2:] == ["Prazer, Ana! Digite cardápio para ver as pizzas."]

    post(channel, {"from": CUSTOMER, "text": "Cardápio!", "id": "m3"})
    worker.drain()
    # The menu subflow ends and returns to its parent, which asks again.
    assert console_received()[3:] == [
        "Margherita ou Calabresa, Ana?",
        "Prazer, Ana! Digite cardápio para ver as pizzas.",
    ]

    with company_scope(company):
        conversation = Conversation.objects.get()
        statuses = list(conversation.messages.values_list("direction", "status"))
    assert conversation.variables["nome"] == "Ana"
    assert statuses == [
        ("in", "processed"),
        ("out", "sent"),
        ("out", "sent"),
        ("in", "processed"),
        ("out", "sent"),
        ("in", "processed"),
        ("out", "sent"),
        ("out", "sent"),
    ]


def test_redelivered_webhook_does_not_answer_twice(company, worker, post):
    build_template(company)
    channel = console_channel(company)

    post(channel, {"from": CUSTOMER, "text": "oi", "id": "m1"})
    duplicate = post(channel, {"from": CUSTOMER, "text": "oi", "id": "m1"})
    worker.drain()

    with company_scope(company):
        event = InboundEvent.objects.get(pk=duplicate.json()["event_id"])
    assert (event.status, event.reason) == ("ignored", "duplicate")
    assert console_received() == ["Olá! Bem-vindo.", "Como você se chama?"]


def gosac_body(text: str, message_id: str) -> dict:
    """GOSAC's `messages:created` shape (integrations/messaging/tests/fixtures/gosac/text.json)."""
    return {
        "type": "messages:created",
        "data": {
            "id": message_id,
            "mediaUrl": None,
            "mediaPath": None,
            "fromMe": False,
            "body": text,
            "mediaType": "chat",
            "ticketId": 8812,
            "contactId": 24914,
            "fromGroup": False,
            "contact": {"name": "Maria Souza", "number": CUSTOMER},
            "ticket": {"status": "pending", "userId": None},
        },
    }


def test_gosac_customer_gets_the_flow_through_the_provider_api(company, worker, post):
    build_template(company)
    with FakeServer() as gosac:
        gosac.add("POST", "/send-message", json={"id": "gs-1"})
        channel = gosac_channel(company, gosac.url)

        post(channel, gosac_body("oi", "g1"))
        worker.drain()
        post(channel, gosac_body("Maria", "g2"))
        worker.drain()
        post(channel, gosac_body("menu", "g3"))
        worker.drain()

    sent = gosac.requests_to("POST", "/send-message")
    assert [request.json for request in sent] == [
        {"contact_id": 24914, "message": "Olá! Bem-vindo."},
        {"contact_id": 24914, "message": "Como você se chama?"},
        {"contact_id": 24914, "message": "Prazer, Maria! Digite cardápio para ver as pizzas."},
        {"contact_id": 24914, "message": "Margherita ou Calabresa, Maria?"},
        {"contact_id": 24914, "message": "Prazer, Maria! Digite cardápio para ver as pizzas."},
    ]
    assert {request.headers["Authorization"] for request in sent} == {"tok-secret"}
    assert {request.headers["INTEGRATION"] for request in sent} == {"int-1"}
    assert ConsoleProvider.outbox == []


def test_gosac_ticket_taken_by_an_agent_silences_the_bot(company, worker, post):
    build_template(company)
    with FakeServer() as gosac:
        gosac.add("POST", "/send-message", json={"id": "gs-1"})
        channel = gosac_channel(company, gosac.url)
        post(channel, gosac_body("oi", "g1"))
        worker.drain()
        taken = gosac_body("quero falar com alguém", "g2")
        taken["data"]["ticket"] = {"status": "open", "userId": 7}
        post(channel, taken)
        worker.drain()

    assert len(gosac.requests_to("POST", "/send-message")) == 2
    with company_scope(company):
        last = Message.objects.filter(direction="in").order_by("-id").first()
    assert (last.status, last.reason) == ("ignored", "handoff")


def test_a_flows_handoff_step_leaves_the_conversation_with_a_human(company, worker, post):
    """The last step runs the commerce "handoff" action: the flow completes in the same turn, and the
    conversation still ends handed off with the bot paused (the hook's effect, applied by the flow
    service), so the customer's next message is not answered by the bot."""
    with company_scope(company):
        template = FlowTemplate.objects.create(company=company, name="Atendimento")
        flow = Flow.objects.create(company=company, template=template, name="Humano", is_default=True)
        subflow = Subflow.objects.create(company=company, flow=flow, name="Falar com alguém", order_index=1)
        FlowMessage.objects.create(
            company=company, subflow=subflow, message_text="Vou chamar alguém.", order_index=1, action="handoff"
        )
    channel = console_channel(company)

    post(channel, {"from": CUSTOMER, "text": "oi", "id": "h1"})
    worker.drain()
    post(channel, {"from": CUSTOMER, "text": "alguém aí?", "id": "h2"})
    worker.drain()

    with company_scope(company):
        conversation = Conversation.objects.get()
    assert (conversation.status, conversation.bot_paused) == (Conversation.Status.HANDOFF, True)
    assert len(console_received()) == 2  # the step and the hand-off notice; the second message is not answered
