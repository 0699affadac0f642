# ruff: noqa: F811 - the pipeline fixtures imported below are used as arguments
"""The free-text order through the real pipeline (webhook -> processing task -> flow -> action) with
the LLM configured against a local fake server: the LLM is called with no transaction open (the
suite's HTTP_ASSERT_NO_TRANSACTION guard fails the call otherwise), and the turn is applied once."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from carts import free_text
from carts.actions import NotAccepted
from carts.models import CartItem
from catalog import demo
from catalog.models import Product
from conversations.models import Conversation, Message
from conversations.outside_calls import MAX_READS_PER_RUN
from conversations.processing import conversation_process
from conversations.tasks import conversation_process_task
from conversations.tests.conftest import _empty_console_outbox, channel_a, enqueued, post_webhook  # noqa: F401
from flows.tests.factories import FlowMessageFactory, SubflowFactory
from integrations.http import open_transactions
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope

GROQ_ANSWER = json.loads(
    (
        Path(__file__).parents[2] / "integrations" / "tests" / "fixtures" / "llm" / "groq_chat_completion.json"
    ).read_text()
)
PATH = "/openai/v1/chat/completions"
ASK, NEXT = "O que vai querer?", "Anotado! Mais alguma coisa?"


def pt(msgid: str, **values) -> str:
    """The customer's text: the processing task answers in the company's language (pt-BR)."""
    with translation.override("pt-br"):
        return gettext(msgid) % values if values else gettext(msgid)


@pytest.fixture(autouse=True)
def _loopback_llm(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake LLM listens on 127.0.0.1
    assert settings.HTTP_ASSERT_NO_TRANSACTION  # the guard this file relies on


@pytest.fixture
def free_text_flow(company_a):
    """A live flow: ask for the order (order_free_text waits for it), then a closing line."""
    with company_scope(company_a):
        demo.load(company_a)
        subflow = SubflowFactory(company=company_a)
        FlowMessageFactory(
            company=company_a,
            subflow=subflow,
            message_text=ASK,
            order_index=1,
            wait_for_response=True,
            action="order_free_text",
        )
        FlowMessageFactory(company=company_a, subflow=subflow, message_text=NEXT, order_index=2)
    return subflow


class Chat:
    """The customer writing through the webhook, and the processing task the webhook enqueued."""

    def __init__(self, channel, post_webhook, enqueued):
        self.channel, self.post_webhook, self.enqueued, self.sent = channel, post_webhook, enqueued, 0

    def say(self, text: str) -> list[str]:
        self.sent += 1
        response = self.post_webhook(self.channel, {"from": "5511987654321", "text": text, "id": f"m-{self.sent}"})
        assert response.status_code == 200
        Message.objects.unscoped().update(created_at=timezone.now() - timedelta(seconds=60))  # unscoped: test
        runs = self.enqueued.of("conversation_process_task")
        self.enqueued.calls.clear()
        return [conversation_process_task.apply(kwargs=kwargs).result for kwargs in runs]


@pytest.fixture
def chat(company_a, channel_a, free_text_flow, post_webhook, enqueued):
    """The conversation waiting for the free-text order (the customer said "oi")."""
    chat = Chat(channel_a, post_webhook, enqueued)
    assert chat.say("oi") == ["processed"]
    assert outbound(company_a) == [ASK]
    return chat


class FakeLlm:
    def __init__(self, server):
        self.server, self.read = server, []  # read: the customer texts the LLM was asked about

    def answers(self, items) -> None:
        body = copy.deepcopy(GROQ_ANSWER)
        body["choices"][0]["message"]["content"] = json.dumps({"items": items})

        def handler(request):
            self.read.append(request.json["messages"][-1]["content"])
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

        self.server._routes.clear()
        self.server.add("POST", PATH, handler=handler)


@pytest.fixture
def llm(settings):
    """The platform's LLM account, on a local fake server."""
    with FakeServer() as server:
        settings.GROQ_API_KEY, settings.LLM_BASE_URL = "gsk_test", f"{server.url}/openai/v1"
        yield FakeLlm(server)


def outbound(company) -> list[str]:
    return list(
        Message.objects.for_company(company).filter(direction="out").order_by("id").values_list("text", flat=True)
    )


def cart_lines(company):
    return [(i.name, i.quantity, i.note) for i in CartItem.objects.for_company(company).order_by("id")]


def calabresa_line(company, quantity=2, note="sem cebola"):
    product = Product.objects.for_company(company).get(name="Pizza de Calabresa")
    return {"product_id": str(product.pk), "name": product.name, "quantity": quantity, "unit_price": 42.0, "note": note}


def test_the_llm_reads_the_order_outside_the_transaction_and_the_turn_is_applied_once(company_a, chat, llm):
    llm.answers([calabresa_line(company_a)])

    assert chat.say("duas calabresas sem cebola") == ["processed"]

    assert llm.read == ["duas calabresas sem cebola"]  # one call, not one per run of the turn
    assert cart_lines(company_a) == [("Pizza de Calabresa", 2, "sem cebola")]
    replies = outbound(company_a)[1:]
    assert replies[0] == pt("Added: %(items)s.", items="2x Pizza de Calabresa")
    assert "2x Pizza de Calabresa" in replies[1]  # the cart
    assert replies[2:] == [NEXT]  # the flow moved on
    conversation = Conversation.objects.for_company(company_a).get()
    assert not conversation.bot_paused and conversation.status != Conversation.Status.HANDOFF
    statuses = Message.objects.for_company(company_a).filter(direction="in").values_list("status", flat=True)
    assert set(statuses) == {Message.Status.PROCESSED}


def test_nothing_understood_keeps_the_flow_waiting_on_the_order(company_a, chat, llm):
    llm.answers([])

    assert chat.say("quero algo gostoso") == ["processed"]

    assert llm.read == ["quero algo gostoso"]
    assert cart_lines(company_a) == []
    assert outbound(company_a)[1:] == [pt("I did not understand your order. Send *menu* to see the options.")]

    llm.answers([calabresa_line(company_a, 1, "")])  # still waiting on the order: the next answer is one
    assert chat.say("uma calabresa") == ["processed"]
    assert llm.read[1:] == ["uma calabresa"]
    assert cart_lines(company_a) == [("Pizza de Calabresa", 1, "")]
    assert outbound(company_a)[-1] == NEXT


def test_a_failing_llm_falls_back_to_the_rules_outside_the_transaction(company_a, chat, llm):
    llm.server.add("POST", PATH, status=500, json={"error": "down"})

    assert chat.say("2 pizzas de calabresa") == ["processed"]

    assert len(llm.server.requests_to("POST", PATH)) == 1
    assert cart_lines(company_a) == [("Pizza de Calabresa", 2, "")]
    assert outbound(company_a)[1] == pt("Added: %(items)s.", items="2x Pizza de Calabresa")
    assert outbound(company_a)[-1] == NEXT


def test_a_customer_writing_during_every_read_gets_the_rules_after_a_few_reads(company_a, chat, llm, monkeypatch):
    """Each read finds a newer message when the turn runs again: the reads are bounded, then the
    rules read the whole buffer, and no call is ever made inside the transaction."""
    conversation = Conversation.objects.for_company(company_a).get()
    real_parse = free_text.parse_order_text

    def parse_while_the_customer_writes(text, catalog, creds, **kwargs):
        if creds is not None:  # the LLM read: a message lands meanwhile
            assert not open_transactions()
            Message.objects.create(
                company=company_a,
                conversation=conversation,
                channel=conversation.channel,
                direction=Message.Direction.INBOUND,
                status=Message.Status.RECEIVED,
                text="1 calabresa",
            )
        return real_parse(text, catalog, creds, **kwargs)

    monkeypatch.setattr(free_text, "parse_order_text", parse_while_the_customer_writes)
    monkeypatch.setattr(chat.enqueued, "of", lambda name: [])  # the run below is the one under test
    llm.answers([])
    chat.say("1 calabresa")
    with company_scope(company_a):
        run = conversation_process(conversation_id=conversation.pk, debounce=False)

    assert run.result == "processed"
    assert len(llm.read) == MAX_READS_PER_RUN
    assert len(run.message_ids) == 1 + MAX_READS_PER_RUN  # every message of the buffer, in one turn
    assert cart_lines(company_a)  # the rules read the buffer
    assert outbound(company_a)[-1] == NEXT


def test_rules_only_runs_the_turn_once(company_a, chat, settings):
    """Without an LLM nothing changes: the turn runs once, nothing rolled back."""
    settings.GROQ_API_KEY = ""
    with CaptureQueriesContext(connection) as queries:
        assert chat.say("2 pizzas de calabresa") == ["processed"]
    assert not [q for q in queries.captured_queries if "ROLLBACK" in q["sql"].upper()]
    assert cart_lines(company_a) == [("Pizza de Calabresa", 2, "")]


def test_an_empty_reply_never_calls_the_llm(company_a, chat, llm):
    """A resume or a skipped question runs the action with no text, inside the caller's locked
    transaction (the inbox's release): the rules answer, nothing is called."""
    conversation = Conversation.objects.for_company(company_a).select_related("company", "customer").get()
    llm.answers([calabresa_line(company_a)])

    with transaction.atomic(), company_scope(company_a):
        replies = free_text.order_free_text(conversation, "")

    assert llm.read == [] and llm.server.requests == []
    assert isinstance(replies, NotAccepted)  # nothing added: the flow keeps waiting
    assert cart_lines(company_a) == []
