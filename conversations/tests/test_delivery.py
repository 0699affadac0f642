"""Claim, call, record: per-message retries, order behind a retrying message, budget, resend."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from conversations.models import Message
from conversations.services import message_queue_outbound, message_resend, message_status_apply, outbound_sweep
from conversations.services.delivery import backoff_seconds, conversation_send_due, message_idempotency_key
from conversations.tasks import message_send_task
from conversations.tests.conftest import make_channel
from conversations.tests.test_outbound import conversation_on, uazapi_channel
from integrations import http
from integrations.messaging.base import SendResult
from integrations.messaging.console import ConsoleProvider
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope


@pytest.fixture
def scope_a(company_a):
    with company_scope(company_a):
        yield company_a


@pytest.fixture
def provider():
    with FakeServer() as server:
        yield server


def send(message_id, company_id):
    return message_send_task.apply(kwargs={"company_id": company_id, "message_id": message_id}).result


def due_now(*messages):
    """Time travel: the waits the backoff set are over."""
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(retry_at=timezone.now() - timedelta(seconds=1))


def texts(server):
    return [r.json["text"] for r in server.requests_to("POST", "/send/text")]


def test_a_failing_send_waits_on_its_row_then_goes_with_the_same_idempotency_key(
    company_a, scope_a, enqueued, provider
):
    provider.add("POST", "/send/text", status=500, json={"error": "busy"}, times=2)
    provider.add("POST", "/send/text", status=200, json={"messageid": "ABC123"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    message = message_queue_outbound(conversation=conversation, text="Seu pedido saiu")
    enqueued.calls.clear()

    send(message.pk, company_a.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "HTTP 500" in message.error
    (retry,) = enqueued.calls
    assert retry[:2] == ("message_send_task", {"company_id": company_a.pk, "message_id": message.pk})
    assert 1 <= retry[2] <= 2  # first backoff: 1-2 s
    assert abs((message.retry_at - timezone.now()).total_seconds() - retry[2]) < 2

    for _ in range(2):
        due_now(message)
        send(message.pk, company_a.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.error, message.provider_message_id) == ("sent", 3, "", "ABC123")
    keys = {r.headers["Idempotency-Key"] for r in provider.requests}
    assert keys == {message_idempotency_key(message)}
    assert message_status_apply(channel=conversation.channel, provider_message_id="ABC123", status="delivered")


def test_other_tasks_of_the_conversation_do_not_spend_the_waiting_message_attempts(
    company_a, scope_a, enqueued, provider
):
    provider.add("POST", "/send/text", status=503, json={"error": "down"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    first = message_queue_outbound(conversation=conversation, text="O cardápio:")
    second = message_queue_outbound(conversation=conversation, text="O que vai querer?")

    send(first.pk, company_a.pk)
    for _ in range(5):  # the second message's own task, redeliveries, the sweep...
        result = send(second.pk, company_a.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == ("queued", 1)
    assert (second.status, second.attempts) == ("queued", 0)  # never skipped ahead
    assert result["waiting"] == "retrying"
    assert len(provider.requests) == 1


def test_after_an_outage_every_message_goes_in_order(company_a, scope_a, enqueued, provider):
    provider.add("POST", "/send/text", status=503, json={"error": "down"}, times=3)
    provider.add("POST", "/send/text", status=200, json={"messageid": "X"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    sent = [message_queue_outbound(conversation=conversation, text=t) for t in ("um", "dois", "três")]

    for _ in range(4):
        for message in sent:
            send(message.pk, company_a.pk)
        due_now(*sent)

    assert texts(provider) == ["um", "um", "um", "um", "dois", "três"]
    assert [m.status for m in Message.objects.filter(pk__in=[m.pk for m in sent]).order_by("id")] == ["sent"] * 3


def test_retry_after_is_honoured(company_a, scope_a, enqueued, provider):
    provider.add("POST", "/send/text", status=429, json={"error": "slow down"}, headers={"Retry-After": "30"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    message = message_queue_outbound(conversation=conversation, text="oi")
    enqueued.calls.clear()

    send(message.pk, company_a.pk)

    assert enqueued.calls[0][2] == 30
    message.refresh_from_db()
    assert 29 <= (message.retry_at - timezone.now()).total_seconds() <= 31


def test_backoff_is_exponential_with_jitter_and_capped(settings):
    settings.OUTBOUND_BACKOFF_BASE_SECONDS = 2
    settings.OUTBOUND_BACKOFF_MAX_SECONDS = 60
    for attempt, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (20, 60)):
        waits = {backoff_seconds(attempt) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1
    assert backoff_seconds(1, retry_after=45) == 45


def test_budget_spent_fails_it_with_the_reason_and_holds_the_later_ones(
    company_a, scope_a, enqueued, provider, settings
):
    settings.OUTBOUND_RETRY_BUDGET_SECONDS = 60
    provider.add("POST", "/send/text", status=503, json={"error": "down"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    first = message_queue_outbound(conversation=conversation, text="O cardápio:")
    second = message_queue_outbound(conversation=conversation, text="O que vai querer?")
    send(first.pk, company_a.pk)
    Message.objects.filter(pk=first.pk).update(first_attempt_at=timezone.now() - timedelta(seconds=59))
    due_now(first)

    result = send(second.pk, company_a.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert result["failed"] == [first.pk, second.pk]
    assert (first.status, first.attempts) == ("failed", 2)
    assert "HTTP 503" in first.error and "gave up after 2 attempts" in first.error
    assert first.failed_at is not None
    assert (second.status, second.reason) == ("failed", f"held behind failed message #{first.pk}")
    assert texts(provider) == ["O cardápio:", "O cardápio:"]

    # Staff resend: both go again, in order, with a fresh budget.
    provider._routes.clear()  # the outage is over
    provider.add("POST", "/send/text", status=200, json={"messageid": "R"})
    enqueued.calls.clear()
    with transaction.atomic():
        assert message_resend(message=first) == [first.pk, second.pk]
    send(first.pk, company_a.pk)
    assert texts(provider)[2:] == ["O cardápio:", "O que vai querer?"]
    first.refresh_from_db()
    assert (first.status, first.attempts, first.error) == ("sent", 1, "")


def test_attempt_count_also_bounds_it(company_a, scope_a, enqueued, provider, settings):
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    provider.add("POST", "/send/text", status=500, json={"error": "busy"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    message = message_queue_outbound(conversation=conversation, text="oi")

    for _ in range(5):
        send(message.pk, company_a.pk)
        due_now(message)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert len(provider.requests) == 3


def test_a_message_left_sending_by_a_dead_worker_is_sent_again_with_the_same_key(
    company_a, scope_a, enqueued, provider, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_SENDING_STUCK_SECONDS = 30
    provider.add("POST", "/send/text", status=200, json={"messageid": "Z"})
    conversation = conversation_on(uazapi_channel(company_a, provider.url))
    message = message_queue_outbound(conversation=conversation, text="oi")
    Message.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, attempt_started_at=timezone.now() - timedelta(seconds=10)
    )
    assert conversation_send_due(conversation_id=conversation.pk).waiting == "in_flight"
    Message.objects.filter(pk=message.pk).update(attempt_started_at=timezone.now() - timedelta(seconds=31))
    enqueued.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbound_sweep()["resent"] == 1
    (resend,) = enqueued.of("message_send_task")
    send(resend["message_id"], resend["company_id"])

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert provider.requests[0].headers["Idempotency-Key"] == message_idempotency_key(message)


def test_an_interrupted_call_puts_the_message_back_in_line(company_a, scope_a, enqueued, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ConsoleProvider, "send_text", interrupted)
    conversation = conversation_on(make_channel(company_a))
    message = message_queue_outbound(conversation=conversation, text="oi")

    with pytest.raises(KeyboardInterrupt):
        conversation_send_due(conversation_id=conversation.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == ("queued", 1, "interrupted")
    assert message.retry_at is not None


def test_no_provider_call_inside_a_transaction(company_a, provider):
    provider.add("GET", "/x", status=200, json={})
    http.request("GET", f"{provider.url}/x")  # fine outside

    with transaction.atomic(), pytest.raises(http.CallInsideTransaction):
        http.request("GET", f"{provider.url}/x")
    assert len(provider.requests) == 1


def test_a_provider_id_used_twice_keeps_the_send_without_the_id(company_a, scope_a, enqueued, monkeypatch):
    """The id is unique per channel: the second send is still recorded sent (no id), with the
    conversation's last outbound time, in the transaction written again without the id."""
    monkeypatch.setattr(ConsoleProvider, "send_text", lambda self, *args: SendResult(provider_message_id="same-id"))
    conversation = conversation_on(make_channel(company_a))
    first = message_queue_outbound(conversation=conversation, text="um")
    second = message_queue_outbound(conversation=conversation, text="dois")

    run = conversation_send_due(conversation_id=conversation.pk)

    assert run.sent == [first.pk, second.pk]
    rows = (
        Message.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("status", "provider_message_id")
    )
    assert list(rows) == [("sent", "same-id"), ("sent", "")]
    conversation.refresh_from_db()
    assert conversation.last_outbound_at is not None
