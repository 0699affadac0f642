from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, Message, ReceivedFile
from conversations.tests.factories import ConversationFactory
from flows.models import Flow, FlowMessage, FlowPosition, FlowTemplate, Subflow
from flows.services import flow_template_publish
from flows.tests.factories import FlowFactory, FlowMessageFactory, SubflowFactory, pizzeria_template
from tenants.scoping import company_scope


@pytest.fixture
def pizzeria(company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
    return template


def test_templates_list_with_flow_counts(api_client_a, pizzeria):
    response = api_client_a.get("/api/flow-templates/")

    assert response.status_code == 200
    rows = response.json()["results"] if isinstance(response.json(), dict) else response.json()
    assert [(r["name"], r["flows_count"]) for r in rows] == [("Pizzaria", 1)]


def test_create_flow_subflow_and_message(api_client_a, company_a, pizzeria):
    flow = api_client_a.post("/api/flows/", {"template": pizzeria.pk, "name": "Extra", "order_index": 2}, format="json")
    subflow = api_client_a.post(
        "/api/subflows/", {"flow": flow.json()["id"], "name": "Promo", "trigger_keywords": ["promoção"]}, format="json"
    )
    message = api_client_a.post(
        "/api/flow-messages/",
        {"subflow": subflow.json()["id"], "message_text": "Pizza em dobro!", "delay_seconds": 2},
        format="json",
    )

    assert (flow.status_code, subflow.status_code, message.status_code) == (201, 201, 201)
    with company_scope(company_a):
        created = FlowMessage.objects.get(pk=message.json()["id"])
        assert (created.subflow.flow.name, created.delay_seconds) == ("Extra", 2)


def test_invalid_message_gets_field_errors_and_nothing_is_created(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        subflow = Subflow.objects.get(name="menu")
        before = FlowMessage.objects.count()

    response = api_client_a.post(
        "/api/flow-messages/",
        {"subflow": subflow.pk, "message_text": "", "save_reply_as": "1x", "action": "nope", "delay_seconds": 99999},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"message_text", "save_reply_as", "action", "delay_seconds"}
    with company_scope(company_a):
        assert FlowMessage.objects.count() == before


def test_second_default_flow_in_a_template_is_a_400(api_client_a, pizzeria):
    response = api_client_a.post(
        "/api/flows/", {"template": pizzeria.pk, "name": "Other", "is_default": True}, format="json"
    )

    assert response.status_code == 400


def test_parent_subflow_of_another_flow_is_refused(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        other = FlowFactory(company=company_a, template=pizzeria, name="Other", is_default=False)
        foreign_parent = Subflow.objects.get(name="offer")

    response = api_client_a.post(
        "/api/subflows/", {"flow": other.pk, "name": "x", "parent_subflow": foreign_parent.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["parent_subflow"]


def test_nested_lists_are_ordered(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        flow = Flow.objects.get()
        greeting = Subflow.objects.get(name="greeting")

    flows = api_client_a.get(f"/api/templates/{pizzeria.pk}/flows/").json()
    subflows = api_client_a.get(f"/api/flows/{flow.pk}/subflows/").json()
    messages = api_client_a.get(f"/api/subflows/{greeting.pk}/messages/").json()

    rows = lambda body: body["results"] if isinstance(body, dict) else body  # noqa: E731
    assert [f["name"] for f in rows(flows)] == ["Main"]
    assert [s["name"] for s in rows(subflows)] == ["greeting", "offer", "menu", "bye"]
    assert [m["message_text"] for m in rows(messages)] == ["Olá!", "Qual é o seu nome?"]


def test_nested_list_under_another_companys_parent_is_404(api_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert api_client_a.get(f"/api/templates/{template.pk}/flows/").status_code == 404
    assert api_client_a.get("/api/templates/999999/flows/").status_code == 404


def test_simulate_replies_without_writing(api_client_a, company_a, pizzeria):
    response = api_client_a.post(
        "/api/flows/simulate/", {"template": pizzeria.pk, "inputs": ["oi", "Ana", "cardápio"]}, format="json"
    )

    assert response.status_code == 200
    turns = response.json()["turns"]
    assert [[r["text"] for r in t["replies"]] for t in turns] == [
        ["Olá!", "Qual é o seu nome?"],
        ["Prazer, Ana! Quer o cardápio?"],
        ["Margherita, Calabresa.", "Prazer, Ana! Quer o cardápio?"],
    ]
    assert turns[-1]["variables"] == {"nome": "Ana"}
    with company_scope(company_a):
        assert FlowPosition.objects.count() == 0


def test_export_and_import_over_the_api(api_client_a, company_a, pizzeria):
    document = api_client_a.get(f"/api/export/flows/{pizzeria.pk}/").json()
    created = api_client_a.post("/api/import/flows/", document, format="json")
    again = api_client_a.get(f"/api/export/flows/{created.json()['id']}/").json()

    assert created.status_code == 201
    assert created.json()["name"] == "Imported - Pizzaria"
    assert {**again, "template": {**again["template"], "name": "Pizzaria"}} == document


def test_malformed_import_is_400_and_creates_nothing(api_client_a, company_a, pizzeria):
    response = api_client_a.post(
        "/api/import/flows/", {"format": "balcao.flow-template", "version": 1, "id": 3}, format="json"
    )

    assert response.status_code == 400
    assert "id" in response.json()
    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 1


def test_export_of_another_companys_template_is_404(api_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert api_client_a.get(f"/api/export/flows/{template.pk}/").status_code == 404


def _at(day, hour=12):
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def test_conversation_analytics_match_hand_built_data(api_client_a, company_a, company_b, pizzeria, monkeypatch):
    now = _at(10, 15)  # 12:00 in São Paulo
    monkeypatch.setattr(timezone, "now", lambda: now)
    with company_scope(company_a):
        flow = Flow.objects.get()
        c1 = ConversationFactory(company=company_a, status=Conversation.Status.WAITING)
        c2 = ConversationFactory(company=company_a, status=Conversation.Status.COMPLETED)
        c3 = ConversationFactory(company=company_a, status=Conversation.Status.WAITING)
        Conversation.objects.filter(pk__in=[c1.pk, c2.pk, c3.pk]).update(created_at=_at(8))
        FlowPosition.objects.create(company=company_a, conversation=c1, current_flow_id=flow.pk)
        FlowPosition.objects.create(company=company_a, conversation=c2, current_flow_id=flow.pk)
        for conversation, when in [(c1, _at(8)), (c1, _at(8)), (c2, _at(8)), (c3, _at(10, 2))]:
            message = Message.objects.create(
                company=company_a,
                conversation=conversation,
                channel=conversation.channel,
                direction="in",
                status="received",
                text="oi",
            )
            Message.objects.filter(pk=message.pk).update(created_at=when)
    with company_scope(company_b):
        ConversationFactory(company=company_b)

    body = api_client_a.get("/api/analytics/conversations/?days=3").json()

    assert body["by_status"] == [{"status": "waiting", "count": 2}, {"status": "completed", "count": 1}]
    assert body["by_flow"] == [{"flow_id": flow.pk, "flow_name": "Main", "count": 2}]
    # 02:00 UTC on the 10th is still the 9th in São Paulo.
    assert body["daily_messages"] == [
        {"date": "2025-03-08", "messages_count": 3, "conversations_count": 2},
        {"date": "2025-03-09", "messages_count": 1, "conversations_count": 1},
        {"date": "2025-03-10", "messages_count": 0, "conversations_count": 0},
    ]


def test_files_analytics_by_type(api_client_a, company_a):
    with company_scope(company_a):
        conversation = ConversationFactory(company=company_a)
        message = Message.objects.create(
            company=company_a,
            conversation=conversation,
            channel=conversation.channel,
            direction="in",
            status="received",
            kind="document",
        )
        for content_type, size in [("application/pdf", 1048576), ("application/pdf", 2097152), ("image/jpeg", 524288)]:
            ReceivedFile.objects.create(
                company=company_a,
                conversation=conversation,
                message=message,
                file="x.bin",
                content_type=content_type,
                size=size,
            )
        old = ReceivedFile.objects.create(
            company=company_a,
            conversation=conversation,
            message=message,
            file="y.bin",
            content_type="image/png",
        )
        ReceivedFile.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    body = api_client_a.get("/api/analytics/files/").json()

    assert body["files_by_type"] == [
        {"file_type": "application/pdf", "count": 2, "avg_size_mb": 1.5},
        {"file_type": "image/jpeg", "count": 1, "avg_size_mb": 0.5},
    ]


def test_analytics_window_is_validated(api_client_a):
    assert api_client_a.get("/api/analytics/files/?days=0").status_code == 400


def test_publish_over_the_api_numbers_versions(api_client_a, company_a, pizzeria):
    first = api_client_a.post(f"/api/flow-templates/{pizzeria.pk}/publish/")
    second = api_client_a.post(f"/api/flow-templates/{pizzeria.pk}/publish/")
    listed = api_client_a.get(f"/api/flow-templates/{pizzeria.pk}/versions/")
    template = api_client_a.get(f"/api/flow-templates/{pizzeria.pk}/")

    assert (first.status_code, second.status_code) == (201, 201)
    assert [v["number"] for v in listed.json()] == [2, 1]
    assert listed.json()[0]["document"]["template"]["name"] == "Pizzaria"
    assert template.json()["published_version"] == 2


def test_publishing_an_empty_template_is_a_400(api_client_a, company_a):
    with company_scope(company_a):
        template = FlowFactory(company=company_a).template

    response = api_client_a.post(f"/api/flow-templates/{template.pk}/publish/")

    assert response.status_code == 400
    assert list(response.json()) == ["template"]
    with company_scope(company_a):
        assert FlowTemplate.objects.get(pk=template.pk).published_version == 0


def test_publishing_another_companys_template_is_404(api_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert api_client_a.post(f"/api/flow-templates/{template.pk}/publish/").status_code == 404
    with company_scope(company_b):
        assert FlowTemplate.objects.get(pk=template.pk).published_version == 0


def test_simulate_a_flow_runs_the_draft_by_default(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        flow_template_publish(template=pizzeria)
        FlowMessage.objects.filter(message_text="Olá!").update(message_text="Oi (rascunho)!")
        flow = Flow.objects.get(template=pizzeria)

    draft = api_client_a.post(f"/api/flows/{flow.pk}/simulate/", {"inputs": ["oi", "Ana"]}, format="json")
    published = api_client_a.post(
        f"/api/flows/{flow.pk}/simulate/?version=published", {"inputs": ["oi"]}, format="json"
    )

    assert draft.status_code == 200
    body = draft.json()
    assert body["version"] == "draft"
    assert body["turns"][0]["replies"][0]["text"] == "Oi (rascunho)!"
    assert body["replies"] == [{"text": "Prazer, Ana! Quer o cardápio?", "delay_seconds": 0}]
    assert body["variables"] == {"nome": "Ana"}
    assert body["current_step"] == {
        "flow": "Main",
        "subflow": "offer",
        "subflow_id": body["turns"][1]["position"]["subflow_id"],
        "message_id": body["turns"][1]["position"]["message_id"],
        "message_text": "Prazer, {{ nome }}! Quer o cardápio?",
        "waiting_for": "response",
        "save_reply_as": "",
    }
    assert published.status_code == 200
    assert published.json()["version"] == 1
    assert [r["text"] for r in published.json()["replies"]] == ["Olá!", "Qual é o seu nome?"]
    with company_scope(company_a):
        assert FlowPosition.objects.count() == 0


def test_simulate_starts_at_the_flow_asked_for(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        other = FlowFactory(company=company_a, template=pizzeria, name="Other", is_default=False)
        FlowMessageFactory(company=company_a, subflow=SubflowFactory(company=company_a, flow=other), message_text="B")

    response = api_client_a.post(f"/api/flows/{other.pk}/simulate/", {"inputs": ["oi"]}, format="json")

    assert [r["text"] for r in response.json()["replies"]] == ["B"]
    assert response.json()["current_step"] is None
    assert response.json()["turns"][0]["completed"] is True


def test_simulate_published_before_any_publish_is_a_400(api_client_a, company_a, pizzeria):
    with company_scope(company_a):
        flow = Flow.objects.get(template=pizzeria)

    response = api_client_a.post(f"/api/flows/{flow.pk}/simulate/?version=published", {"inputs": ["oi"]}, format="json")
    bad = api_client_a.post(f"/api/flows/{flow.pk}/simulate/?version=v9", {"inputs": ["oi"]}, format="json")

    assert (response.status_code, list(response.json())) == (400, ["version"])
    assert bad.status_code == 400


def test_simulate_another_companys_flow_is_404(api_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)
        flow = Flow.objects.get(template=template)

    assert api_client_a.post(f"/api/flows/{flow.pk}/simulate/", {"inputs": ["oi"]}, format="json").status_code == 404
