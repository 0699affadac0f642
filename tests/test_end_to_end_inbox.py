"""The staff inbox end to end, through the real pipeline (webhook, processing, flow, outbox, send), with
every enqueued task run in order as a worker would (`tests.test_end_to_end_bot.Worker`).

A customer asks for a person; the flow's hand-off step leaves the conversation waiting for one, where
the inbox, the API filter and the admin's status filter find it; an agent takes it, replies (the
customer receives it), hands it back, and the bot answers the customer's next message.
"""

import pytest
from django.urls import reverse

from conversations.models import Conversation, Message
from conversations.selectors import InboxTab, inbox_page
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from tenants.scoping import company_scope
from tests.test_end_to_end_bot import (  # noqa: F401 - the pipeline's fixtures
    CUSTOMER,
    _pipeline_settings,
    company,
    console_channel,
    console_received,
    post,
    worker,
)

GREETING = "Olá! Digite *atendente* para falar com uma pessoa."


def build_attendant_template(owner) -> None:
    """A greeting that waits, and an "atendente" keyword subflow whose step hands off to a person."""
    with company_scope(owner):
        template = FlowTemplate.objects.create(company=owner, name="Atendimento")
        flow = Flow.objects.create(company=owner, template=template, name="Principal", is_default=True)
        greeting = Subflow.objects.create(company=owner, flow=flow, name="Saudação", order_index=1)
        FlowMessage.objects.create(
            company=owner, subflow=greeting, message_text=GREETING, order_index=1, wait_for_response=True
        )
        human = Subflow.objects.create(
            company=owner, flow=flow, name="Atendente", order_index=2, trigger_keywords=["atendente", "humano"]
        )
        FlowMessage.objects.create(
            company=owner, subflow=human, message_text="Certo! Vou chamar alguém.", order_index=1, action="handoff"
        )


@pytest.fixture
def channel(company):  # noqa: F811
    build_attendant_template(company)
    return console_channel(company)


def test_customer_asks_for_a_person_an_agent_answers_and_hands_back(
    company,  # noqa: F811
    channel,
    worker,  # noqa: F811
    post,  # noqa: F811
    agent_a,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    agent = api_client_for(company, agent_a)

    def act(action: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return agent.post(f"/api/conversations/{conversation.pk}/{action}/", data or {})

    post(channel, {"from": CUSTOMER, "text": "quero falar com um atendente", "id": "i1", "name": "Maria"})
    worker.drain()

    with company_scope(company):
        conversation = Conversation.objects.get()
        waiting = inbox_page(company=company, tab=InboxTab.WAITING)
    assert (conversation.status, conversation.bot_paused) == ("handoff", True)
    assert [(row.pk, row.unread) for row in waiting] == [(conversation.pk, 1)]
    listed = agent.get("/api/conversations/?needs_human=true").json()["results"]
    assert [row["id"] for row in listed] == [conversation.pk]

    assert act("takeover").status_code == 200
    reply = act("reply", {"text": "Oi Maria, aqui é a equipe!"})
    worker.drain()

    assert reply.status_code == 201
    with company_scope(company):
        sent = Message.objects.get(pk=reply.json()["id"])
    assert (sent.status, sent.sent_by_id) == ("sent", agent_a.pk)
    assert console_received()[-1] == "Oi Maria, aqui é a equipe!"  # the customer received it

    post(channel, {"from": CUSTOMER, "text": "obrigada!", "id": "i2"})
    worker.drain()
    assert console_received()[-1] == "Oi Maria, aqui é a equipe!"  # with a person: the bot stays silent

    act("release", {"resume": "restart"})
    post(channel, {"from": CUSTOMER, "text": "oi de novo", "id": "i3"})
    worker.drain()

    assert console_received()[-1] == GREETING  # the bot answers again, from the top


def test_the_admins_with_a_human_filter_finds_a_flow_hand_off(company, channel, worker, post, admin_client_a):  # noqa: F811
    post(channel, {"from": CUSTOMER, "text": "humano por favor", "id": "f1"})
    worker.drain()

    page = admin_client_a.get(reverse("admin:conversations_conversation_changelist") + "?status__exact=handoff")

    assert [c.pk for c in page.context["cl"].result_list] == list(
        Conversation.objects.for_company(company).values_list("pk", flat=True)
    )
    assert page.context["cl"].result_count == 1
