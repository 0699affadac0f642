import pytest

from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory, MessageFactory
from tenants.models import Company


def test_bot_controls_as_in_seed_004(api_client_a, company_a):
    assert api_client_a.post("/api/bot/disable/").json()["bot_enabled"] is False
    assert api_client_a.post("/api/bot/test-mode/", {"enabled": True, "contact": "+5511987654321"}).status_code == 200
    status = api_client_a.get("/api/bot/status/").json()

    assert status == {
        "bot_enabled": False,
        "bot_status": "active",
        "test_mode": True,
        "test_contact": "+5511987654321",
        "debounce_seconds": 5,
    }
    assert Company.objects.get(pk=company_a.pk).test_mode is True
    assert api_client_a.post("/api/bot/test-mode/", {"enabled": True, "contact": ""}, format="json").status_code == 400


def test_settings_get_and_put(api_client_a):
    created = api_client_a.put("/api/settings/maintenance_message/", {"value": "Voltamos já"}, format="json")
    secret = api_client_a.put(
        "/api/settings/mercadopago_access_token/", {"value": "abcdefghijklmnop", "type": "secret"}, format="json"
    )
    missing = api_client_a.put("/api/settings/nothing/", {}, format="json")

    assert (created.status_code, secret.status_code, missing.status_code) == (201, 201, 404)
    body = api_client_a.get("/api/settings/").json()
    assert body["maintenance_message"] == {"value": "Voltamos já", "type": "string", "description": ""}
    assert "abcdefghijklmnop" not in str(body)


@pytest.mark.parametrize("body", [b"2", b"[]", b'"value"', b"null"])
def test_a_setting_body_that_is_not_an_object_is_a_4xx(api_client_a, body):
    api_client_a.put("/api/settings/maintenance_message/", {"value": "x"}, format="json")

    new = api_client_a.put("/api/settings/nothing/", body, content_type="application/json")
    existing = api_client_a.put("/api/settings/maintenance_message/", body, content_type="application/json")

    assert (new.status_code, existing.status_code) == (404, 400)


def test_conversation_history_lists_its_messages(api_client_a, company_a, enqueued):
    channel = make_channel(company_a)
    conversation = ConversationFactory(company=company_a, channel=channel)
    MessageFactory(conversation=conversation, direction="in", text="oi", status="received")

    listed = api_client_a.get("/api/conversations/").json()
    history = api_client_a.get(f"/api/conversations/{conversation.pk}/history/").json()

    assert [c["id"] for c in listed["results"]] == [conversation.pk]
    assert [(m["direction"], m["text"]) for m in history["results"]] == [("in", "oi")]


def test_channel_api_masks_credentials_and_refuses_private_urls(api_client_a, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    bad = api_client_a.post(
        "/api/channels/", {"provider": "uazapi", "name": "x", "base_url": "http://169.254.169.254/"}, format="json"
    )
    good = api_client_a.post(
        "/api/channels/",
        {"provider": "console", "name": "y", "credentials": {"token": "supersecrettoken123"}},
        format="json",
    )

    assert bad.status_code == 400
    assert good.status_code == 201
    assert "supersecrettoken123" not in good.content.decode()
    assert good.json()["inbound_url"].startswith("http")
