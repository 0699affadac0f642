import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from conversations.models import InboundEvent, Message
from conversations.tests.conftest import Enqueued, apply_stored_event, make_channel
from customers.models import Customer
from integrations.messaging.tests.support import raw

TEXT = {"from": "5511987654321", "text": "quero uma pizza", "id": "sim-1", "name": "Maria"}


def unscoped(model):
    return model.objects.unscoped()  # unscoped: tests assert across companies


def test_text_message_is_stored_and_processing_enqueued(channel_a, post_webhook, enqueued):
    response = post_webhook(channel_a, TEXT)

    assert response.status_code == 200
    assert response.applied["status"] == "accepted"
    customer = unscoped(Customer).get()
    assert customer.phone == "+5511987654321"
    assert customer.name == "Maria"
    assert customer.provider_contact_ids == {"console": "5511987654321"}
    message = unscoped(Message).get()
    assert (message.direction, message.status, message.text, message.provider_message_id) == (
        "in",
        "received",
        "quero uma pizza",
        "sim-1",
    )
    event = unscoped(InboundEvent).get()
    assert event.status == InboundEvent.Status.PROCESSED
    assert json.loads(event.body) == TEXT
    assert enqueued.of("conversation_process_task") == [
        {"company_id": channel_a.company_id, "conversation_id": message.conversation_id}
    ]


def test_duplicate_delivery_is_dropped(channel_a, post_webhook, enqueued):
    post_webhook(channel_a, TEXT)
    response = post_webhook(channel_a, TEXT)

    assert response.status_code == 200
    assert response.applied["results"] == [{"event": "message", "result": "duplicate", "reason": "duplicate"}]
    assert unscoped(Message).count() == 1
    assert unscoped(InboundEvent).count() == 2
    assert len(enqueued.of("conversation_process_task")) == 1


@pytest.mark.parametrize(
    ("extra", "reason"),
    [({"from_me": True}, "from_me"), ({"is_group": True}, "group"), ({"kind": "video"}, "kind:video")],
)
def test_ignored_messages_are_stored_with_reason(channel_a, post_webhook, enqueued, extra, reason):
    response = post_webhook(channel_a, {**TEXT, **extra})

    assert response.status_code == 200
    assert response.applied["status"] == "ignored"
    assert response.applied["results"][0]["reason"] == reason
    message = unscoped(Message).get()
    assert (message.status, message.reason) == ("ignored", reason)
    assert unscoped(InboundEvent).get().status == InboundEvent.Status.IGNORED
    assert enqueued.calls == []


def test_text_is_cut_to_company_limit(channel_a, company_a, post_webhook, enqueued):
    company_a.max_incoming_text_chars = 10
    company_a.save()

    post_webhook(channel_a, {**TEXT, "text": "x" * 50})

    assert unscoped(Message).get().text == "x" * 10


def test_body_over_limit_is_413_and_stores_nothing(channel_a, post_webhook, settings, enqueued):
    settings.MAX_WEBHOOK_BODY_BYTES = 64

    response = post_webhook(channel_a, {**TEXT, "text": "x" * 100})

    assert response.status_code == 413
    assert unscoped(InboundEvent).count() == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b"\xff\xfe\x00", "body is not valid JSON"),
        (json.dumps({"text": "no sender"}).encode(), '"from" is required'),
    ],
)
def test_bad_shapes_are_400_with_clear_error(channel_a, post_webhook, body, error, enqueued):
    response = post_webhook(channel_a, body)

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert unscoped(InboundEvent).count() == 0


@pytest.mark.parametrize(
    "body",
    [b"[" * 200_000, b'{"a":' * 40_000, b'{"text": "\\ud800", "from": "5511987654321", "id": "x"}', b'{"a": NaN}'],
    ids=["deep-array", "deep-object", "lone-surrogate", "nan"],
)
def test_hostile_json_to_a_known_key_is_400_and_stores_nothing(channel_a, post_webhook, body, enqueued):
    response = post_webhook(channel_a, body)

    assert response.status_code == 400
    assert unscoped(InboundEvent).count() == 0


def test_the_key_is_checked_before_the_body_is_parsed(db, post_webhook, enqueued, monkeypatch):
    from conversations.api import webhooks

    def must_not_parse(raw):
        raise AssertionError("parsed a body sent to an unknown key")

    monkeypatch.setattr(webhooks, "loads_untrusted", must_not_parse)

    assert post_webhook("no-such-key", b"[" * 200_000).status_code == 404


def test_unknown_key_is_404(db, post_webhook, enqueued):
    response = post_webhook("no-such-key", TEXT)

    assert response.status_code == 404
    assert response.json() == {"error": "unknown channel"}


def test_inactive_company_channel_is_404(channel_a, company_a, post_webhook, enqueued):
    company_a.active = False
    company_a.save()

    assert post_webhook(channel_a, TEXT).status_code == 404
    assert unscoped(Message).count() == 0


META_CREDENTIALS = {"token": "t", "phone_number_id": "123", "app_secret": "s3cret", "verify_token": "vt"}


def meta_signature(body: bytes, secret: str = "s3cret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_meta_bad_signature_is_rejected_and_stores_nothing(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="meta_cloud", credentials=META_CREDENTIALS)
    body = raw("meta_cloud", "text")

    response = post_webhook(channel, body, HTTP_X_HUB_SIGNATURE_256=meta_signature(body, "wrong"))

    assert response.status_code in (401, 403)
    assert unscoped(InboundEvent).count() == 0


def test_meta_get_handshake_answers_challenge(company_a, client):
    channel = make_channel(company_a, provider="meta_cloud", credentials=META_CREDENTIALS)
    url = reverse("webhook", args=[channel.inbound_key])

    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"})
    bad = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})

    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert bad.status_code == 403


def test_a_url_without_the_final_slash_is_served_not_redirected(
    channel_a, client, enqueued, django_capture_on_commit_callbacks
):
    response = client.post(f"/webhook/{channel_a.inbound_key}", data=json.dumps(TEXT), content_type="application/json")
    apply_stored_event(response, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert unscoped(Message).get().text == "quero uma pizza"


def test_an_event_whose_apply_was_never_published_is_applied_by_the_sweep(
    channel_a, client, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    """The broker refused the publish: the delivery is still answered 200 and the event waits,
    `received`, until the inbound sweep publishes it again."""
    from datetime import timedelta

    from django.utils import timezone

    from conversations import tasks
    from tenants.scoping import company_scope

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.inbound_event_apply_task, "apply_async", refuse)
    monkeypatch.setattr(tasks.inbound_event_apply_task, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("webhook", args=[channel_a.inbound_key]), data=TEXT, content_type="application/json"
        )
    monkeypatch.undo()
    assert response.status_code == 200
    event = unscoped(InboundEvent).get()
    assert event.status == InboundEvent.Status.RECEIVED
    unscoped(InboundEvent).update(received_at=timezone.now() - timedelta(minutes=2))
    recorder = Enqueued.install(monkeypatch)

    tasks.inbound_sweep_task.apply(throw=True)  # beat, every minute
    (published,) = recorder.stored_events
    with company_scope(channel_a.company_id), django_capture_on_commit_callbacks(execute=True):
        tasks.inbound_event_apply_task.apply(kwargs=published, throw=True)

    assert published == {"company_id": channel_a.company_id, "event_id": event.pk}
    assert unscoped(InboundEvent).get().status == InboundEvent.Status.PROCESSED
    assert unscoped(Message).get().text == "quero uma pizza"
