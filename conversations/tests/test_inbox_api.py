"""The inbox's API actions: reply, takeover, release, resolve, and the needs_human filter, per role."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conversations.models import Conversation, ConversationEvent, Message
from conversations.tests.factories import ConversationFactory, MessageFactory
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.tests.factories import MembershipFactory, UserFactory

ACTIONS = ("reply", "takeover", "release", "resolve")


@pytest.fixture
def client_for(api_client_for):
    def make(company, username, role) -> tuple[APIClient, object]:
        user = MembershipFactory(company=company, user=UserFactory(username=username), role=role).user
        return api_client_for(company, user), user

    return make


@pytest.fixture
def agent_api(company_a, agent_a, api_client_for):
    return api_client_for(company_a, agent_a), agent_a


@pytest.fixture
def viewer_api(company_a, viewer_a, api_client_for):
    return api_client_for(company_a, viewer_a), viewer_a


@pytest.fixture
def conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(company=company_a, channel__status="connected")


def url(conversation, action="") -> str:
    return f"/api/conversations/{conversation.pk}/" + (f"{action}/" if action else "")


def payload(action) -> dict:
    return {"reply": {"text": "Olá!"}, "release": {"resume": "restart"}}.get(action, {})


def row(conversation) -> dict:
    return Conversation.objects.for_company(conversation.company_id).filter(pk=conversation.pk).values().get()


def outbound(company) -> list[tuple]:
    with company_scope(company):
        return list(Message.objects.filter(direction="out").values_list("text", "status", "sent_by__username"))


def test_reply_answers_201_with_the_queued_message(agent_api, conversation, company_a):
    client, _agent = agent_api

    response = client.post(url(conversation, "reply"), {"text": "Olá, aqui é a Ana"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["text"], body["direction"], body["status"], body["sent_by"]) == (
        "Olá, aqui é a Ana",
        "out",
        "queued",
        _agent.pk,
    )
    assert outbound(company_a) == [("Olá, aqui é a Ana", "queued", "agent-a")]


def test_reply_without_text_is_a_400(agent_api, conversation, company_a):
    client, _ = agent_api

    response = client.post(url(conversation, "reply"), {"text": ""}, format="json")

    assert response.status_code == 400
    assert outbound(company_a) == []


def test_reply_to_an_opted_out_customer_is_a_409_with_the_reason(agent_api, conversation, company_a):
    client, _ = agent_api
    conversation.customer.opted_out_at = timezone.now()
    conversation.customer.save(update_fields=["opted_out_at"])

    response = client.post(url(conversation, "reply"), {"text": "Oi"}, format="json", HTTP_ACCEPT_LANGUAGE="pt-br")

    assert response.status_code == 409
    assert response.json() == {"detail": "o cliente pediu para não receber mensagens", "code": "opted_out"}
    assert outbound(company_a) == []


def test_takeover_gives_the_conversation_to_the_caller_and_pauses_the_bot(agent_api, conversation):
    client, agent = agent_api

    response = client.post(url(conversation, "takeover"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["bot_paused"], body["assigned_to"], body["needs_human"]) == (
        "handoff",
        True,
        agent.pk,
        True,
    )


def test_another_agent_may_take_it_over_and_the_change_is_recorded(agent_api, conversation, company_a, client_for):
    client, ana = agent_api
    other, bruno = client_for(company_a, "bruno", Membership.Role.AGENT)
    client.post(url(conversation, "takeover"))

    response = other.post(url(conversation, "takeover"))

    assert response.json()["assigned_to"] == bruno.pk
    with company_scope(company_a):
        last = ConversationEvent.objects.order_by("-id").first()
    assert (last.kind, last.actor, last.previous_assignee) == ("taken", bruno, ana)


def test_release_hands_back_to_the_bot(agent_api, conversation):
    client, _ = agent_api
    client.post(url(conversation, "takeover"))

    response = client.post(url(conversation, "release"), {"resume": "menu"}, format="json")

    assert response.status_code == 200
    assert (response.json()["bot_paused"], response.json()["assigned_to"]) == (False, None)


def test_release_to_an_unknown_point_is_a_400(agent_api, conversation):
    client, _ = agent_api

    response = client.post(url(conversation, "release"), {"resume": "nowhere"}, format="json")

    assert response.status_code == 400
    assert "resume" in response.json()


def test_resolve_closes_the_conversation(agent_api, conversation):
    client, _ = agent_api

    response = client.post(url(conversation, "resolve"))

    assert (response.status_code, response.json()["status"]) == (200, "resolved")


@pytest.mark.parametrize("action", ACTIONS)
def test_a_viewer_may_not_act(viewer_api, conversation, company_a, action):
    client, _ = viewer_api
    before = row(conversation)

    response = client.post(url(conversation, action), payload(action), format="json")

    assert response.status_code == 403
    assert row(conversation) == before
    assert outbound(company_a) == []


def test_a_viewer_reads_conversations(viewer_api, conversation):
    client, _ = viewer_api

    assert client.get(url(conversation)).status_code == 200


@pytest.mark.parametrize("action", ACTIONS)
def test_another_companys_conversation_is_a_404(agent_api, company_b, action):
    client, _ = agent_api
    with company_scope(company_b):
        foreign = ConversationFactory(company=company_b, channel__status="connected")
    before = row(foreign)

    response = client.post(url(foreign, action), payload(action), format="json")

    assert response.status_code == 404
    assert row(foreign) == before
    assert outbound(company_b) == []


def test_needs_human_lists_conversations_waiting_for_a_person_with_their_unread_count(agent_api, company_a):
    client, _ = agent_api
    with company_scope(company_a):
        waiting = ConversationFactory(company=company_a, status="handoff", bot_paused=True)
        MessageFactory(company=company_a, conversation=waiting, status="ignored", reason="handoff")
        with_bot = ConversationFactory(company=company_a)

    wanted = client.get("/api/conversations/?needs_human=true").json()
    others = client.get("/api/conversations/?needs_human=false").json()
    everyone = client.get("/api/conversations/").json()

    assert [(row["id"], row["unread_count"], row["needs_human"]) for row in wanted["results"]] == [
        (waiting.pk, 1, True)
    ]
    assert [row["id"] for row in others["results"]] == [with_bot.pk]
    assert everyone["count"] == 2


def test_needs_human_must_be_a_boolean(agent_api):
    client, _ = agent_api

    assert client.get("/api/conversations/?needs_human=maybe").status_code == 400
