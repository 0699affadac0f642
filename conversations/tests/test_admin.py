"""Staff pages of the pipeline: errors, QR, status history, ingest lag and replay are visible."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from conversations.models import Channel, ChannelStatusChange, InboundEvent, Message
from conversations.services import channel_set_status, message_queue_outbound
from conversations.tasks import message_send_task
from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory, InboundEventFactory
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_message_that_always_failed_shows_its_error_in_the_admin(company_a, admin_client_a, enqueued, settings):
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    with FakeServer() as server, company_scope(company_a):
        server.add("POST", "/send/text", status=503, json={"error": "down"})
        channel = make_channel(
            company_a, provider="uazapi", name="uaz", base_url=server.url, credentials={"token": "t"}
        )
        conversation = ConversationFactory(company=company_a, channel=channel, customer__phone="+5511987654321")
        message = message_queue_outbound(conversation=conversation, text="Seu pedido saiu")
        for _attempt in range(3):
            Message.objects.filter(pk=message.pk).update(retry_at=None)  # the backoff's wait is over
            message_send_task.apply(kwargs={"company_id": company_a.pk, "message_id": message.pk})
        message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)

    listing = admin_client_a.get("/admin/conversations/message/", {"status": "failed"}, HTTP_ACCEPT_LANGUAGE="en")
    detail = admin_client_a.get(f"/admin/conversations/message/{message.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    history = admin_client_a.get(f"/admin/conversations/conversation/{conversation.pk}/change/")

    assert listing.status_code == detail.status_code == history.status_code == 200
    for page in (listing, detail, history):
        assert "HTTP 503" in page.content.decode(), page.request["PATH_INFO"]

    # Staff resend it: queued again with a fresh budget, its send task after commit.
    enqueued.calls.clear()
    answer = admin_client_a.post(
        "/admin/conversations/message/",
        {"action": "resend", "_selected_action": [message.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200
    assert "1 messages queued to send again." in answer.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == ("queued", 0, "")


@pytest.mark.parametrize(
    ("qr_code", "expected_src"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", 'src="data:image/png;base64,iVBORw0KGgo="'),  # rendered by the provider
        ("2@y8eK+bjtEjUWy9/FOM,abc==", 'src="data:image/png;base64,iVBORw0KGgo'),  # the raw code: drawn here
    ],
)
def test_the_channel_page_shows_the_latest_qr_as_an_image_and_the_status_history(
    company_a, admin_client_a, qr_code, expected_src
):
    channel = make_channel(company_a, status=Channel.Status.CONNECTED)
    with company_scope(company_a):
        channel_set_status(channel, "disconnected", reason="401: logged out")
        channel_set_status(channel, "connecting", reason="webhook", qr_code=qr_code)

    page = admin_client_a.get(f"/admin/conversations/channel/{channel.pk}/change/").content.decode()

    assert expected_src in page
    assert 'id="channel-qr"' in page
    assert "Conectado → <strong>Desconectado</strong> <span>401: logged out</span>" in page
    assert "Desconectado → <strong>Conectando</strong> <span>webhook</span>" in page
    with company_scope(company_a):
        assert ChannelStatusChange.objects.count() == 2


def test_inbound_events_page_shows_ingest_lag_and_failures_and_replays(
    company_a, channel_a, admin_client_a, post_webhook, enqueued, monkeypatch
):
    from conversations.services import inbound

    def boom(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(inbound, "message_record_inbound", boom)
    answer = post_webhook(channel_a, {"from": "5511987654321", "text": "oi", "id": "r-1"}).applied
    monkeypatch.undo()
    with company_scope(company_a):
        event = InboundEvent.objects.get()
        assert (answer["status"], event.status, Message.objects.count()) == ("failed", "failed", 0)
        InboundEventFactory(company=company_a, channel=channel_a)  # never applied
        InboundEvent.objects.filter(status="received").update(received_at=timezone.now() - timedelta(seconds=90))

    page = admin_client_a.get("/admin/conversations/inboundevent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ingest lag 90 s, 1 failed" in page

    replayed = admin_client_a.post(
        "/admin/conversations/inboundevent/",
        {"action": "replay", "_selected_action": [event.pk]},
        follow=True,
    )
    assert replayed.status_code == 200
    with company_scope(company_a):
        event.refresh_from_db()
        assert event.status == "processed"
        assert Message.objects.get().provider_message_id == "r-1"


def test_health_reports_ingest_lag_as_degraded(company_a, channel_a, client, settings):
    with company_scope(company_a):
        InboundEventFactory(company=company_a, channel=channel_a)
        InboundEvent.objects.update(received_at=timezone.now() - timedelta(seconds=600))

    body = client.get("/health/").json()

    assert body["status"] == "degraded"
    assert body["ingest"]["ok"] is False
    assert 599 <= body["ingest"]["lag_seconds"] <= 700
