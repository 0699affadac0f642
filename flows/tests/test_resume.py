"""Where the flow picks up when staff hand a conversation back in the inbox (flows.services.resume)."""

import pytest

from conversations.models import Conversation, Message
from conversations.services import ResumePoint, conversation_release, conversation_resolve, conversation_take_over
from conversations.tests.factories import ConversationFactory
from flows.models import FlowPosition
from flows.services import flow_handle_inbound
from flows.tests.factories import FlowMessageFactory, SubflowFactory, pizzeria_template
from tenants.scoping import company_scope


@pytest.fixture
def agent(manager_a):
    return manager_a


@pytest.fixture
def taken(company_a, agent):
    """A conversation in the middle of the pizzeria flow (asked the name), then taken by staff."""
    with company_scope(company_a):
        template, _ask = pizzeria_template(company_a)
        conversation = ConversationFactory(company=company_a)
        flow_handle_inbound(conversation=conversation, text="oi")
        conversation_take_over(conversation=conversation, user=agent)
        conversation.template = template
        return conversation


def bot_texts(conversation) -> list[str]:
    rows = Message.objects.for_company(conversation.company_id).filter(conversation=conversation, direction="out")
    return list(rows.order_by("id").values_list("text", flat=True))


def position(conversation) -> FlowPosition:
    return FlowPosition.objects.for_company(conversation.company_id).get(conversation=conversation)


def test_restart_says_nothing_now_and_the_next_message_starts_the_flow_over(company_a, taken, agent):
    with company_scope(company_a):
        conversation_release(conversation=taken, user=agent, resume=ResumePoint.RESTART)

        assert bot_texts(taken) == []
        assert position(taken).waiting_for == "nothing"
        conversation = Conversation.objects.get(pk=taken.pk)
        assert [i.text for i in flow_handle_inbound(conversation=conversation, text="voltei")] == [
            "Olá!",
            "Qual é o seu nome?",
        ]


def test_main_menu_sends_the_subflow_the_word_menu_opens_at_once(company_a, taken, agent):
    with company_scope(company_a):
        flow = taken.template.flows.get()
        menu = SubflowFactory(company=company_a, flow=flow, name="menu", order_index=9, trigger_keywords=["menu"])
        FlowMessageFactory(company=company_a, subflow=menu, message_text="1) Pizzas 2) Bebidas", wait_for_response=True)

        conversation_release(conversation=taken, user=agent, resume=ResumePoint.MENU)

        assert bot_texts(taken) == ["1) Pizzas 2) Bebidas"]
        assert (position(taken).current_subflow_id, position(taken).waiting_for) == (menu.pk, "response")
        assert Conversation.objects.get(pk=taken.pk).status == "waiting"


def test_main_menu_without_a_menu_keyword_starts_the_default_flow_now(company_a, taken, agent):
    with company_scope(company_a):
        conversation_release(conversation=taken, user=agent, resume=ResumePoint.MENU)

        assert bot_texts(taken) == ["Olá!", "Qual é o seu nome?"]


def test_resolve_forgets_where_the_flow_stood(company_a, taken, agent):
    with company_scope(company_a):
        conversation_resolve(conversation=taken, user=agent)

        assert position(taken).waiting_for == "nothing"
        assert bot_texts(taken) == []
