"""Redis configured but down, or the Celery broker unreachable: nothing accepted is lost (SPEC: the
database does the cache's job). The cache points at a closed port; the broker is really repointed at
one too, so the real code paths (redis-py, kombu) raise what they raise in production."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config import cache as config_cache
from config.celery_app import app as celery_app
from conversations.handlers import OutboundIntent, bot_handler_replaced
from conversations.models import InboundEvent, Message
from conversations.processing import _pending_key
from conversations.selectors import ingest_lag_seconds
from conversations.tasks import conversation_process_task, inbound_sweep_task, message_send_task, outbound_sweep_task
from conversations.tests.conftest import Enqueued
from integrations.messaging.console import ConsoleProvider
from tenants import tasks as tenants_tasks

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every call is refused
DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CLOSED_PORT,
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def echo_bot(*, conversation, text, message):
    return [OutboundIntent(text=f"eco: {text}")]


@pytest.fixture(autouse=True)
def _echo():
    with bot_handler_replaced(echo_bot):
        yield


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DEAD_CACHE  # the settings fixture resets the cache handlers both ways
    yield
    config_cache._skip_until = 0.0  # the cache is back: this process may try at once


def _reset_producer_pools():
    # Dropped, not closed: kombu keeps pools per broker URL and would hand the closed one back.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_down():
    """The Celery app publishes to a Redis broker on a closed port for the block."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "CELERY_BROKER_URL")}
    celery_app.conf.update(broker_url=CLOSED_PORT, CELERY_BROKER_URL=CLOSED_PORT)
    _reset_producer_pools()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _reset_producer_pools()
        tenants_tasks._publish_skip_until = 0.0  # the broker is back: this process may try at once


@contextmanager
def recorded_publishes():
    """The pipeline's publishes recorded instead of sent (the `enqueued` fixture, for part of a test)."""
    record = Enqueued()
    with pytest.MonkeyPatch.context() as patch:
        for name, task in (
            ("conversation_process_task", conversation_process_task),
            ("message_send_task", message_send_task),
        ):

            def fake(args=None, kwargs=None, countdown=0, _name=name, **options):
                record.calls.append((_name, dict(kwargs or {}), countdown or 0))

            patch.setattr(task, "apply_async", fake)
        yield record


def say(post_webhook, channel, text, n):
    return post_webhook(channel, {"from": "5511987654321", "text": text, "id": f"m-{n}"})


def age_everything(seconds=120):
    past = timezone.now() - timedelta(seconds=seconds)
    Message.objects.unscoped().update(created_at=past, send_after=past)  # unscoped: test
    InboundEvent.objects.unscoped().update(received_at=past)  # unscoped: test


def test_webhook_is_answered_and_stored_and_scheduled_when_the_cache_is_down(
    channel_a, company_a, post_webhook, enqueued, cache_down
):
    company_a.webhook_rate_limit_per_min = 5  # the rate limit reads the cache too
    company_a.save()

    response = say(post_webhook, channel_a, "oi", 1)

    assert response.status_code == 200
    assert response.applied["results"][0]["result"] == "accepted"
    assert InboundEvent.objects.unscoped().get().status == "processed"  # unscoped: test
    assert list(Message.objects.unscoped().values_list("status", flat=True)) == ["received"]  # unscoped: test
    # Processed at once, not after the sweep: the missing pending mark costs at most a duplicate run.
    assert len(enqueued.of("conversation_process_task")) == 1


def test_processing_and_sends_happen_when_the_cache_is_down(
    channel_a, post_webhook, enqueued, cache_down, django_capture_on_commit_callbacks
):
    say(post_webhook, channel_a, "quero pizza", 1)
    age_everything()

    (kwargs,) = enqueued.of("conversation_process_task")
    with django_capture_on_commit_callbacks(execute=True):
        assert conversation_process_task.apply(kwargs=kwargs).result == "processed"
    (send,) = enqueued.of("message_send_task")
    assert message_send_task.apply(kwargs=send).result["sent"]

    assert [entry.text for entry in ConsoleProvider.outbox] == ["eco: quero pizza"]
    assert list(Message.objects.unscoped().order_by("id").values_list("status", flat=True)) == [  # unscoped: test
        "processed",
        "sent",
    ]


def test_webhook_is_stored_when_the_broker_is_down_and_the_sweep_processes_it(channel_a, post_webhook):
    with broker_down():
        response = say(post_webhook, channel_a, "oi", 1)

    assert response.status_code == 200
    assert response.applied["status"] == "accepted"
    assert Message.objects.unscoped().get().status == "received"  # unscoped: test
    age_everything()
    assert ingest_lag_seconds() >= 120  # /health/ shows the wait (degraded past INGEST_LAG_WARN_SECONDS)

    with recorded_publishes() as enqueued:  # the broker is back
        assert inbound_sweep_task.apply().result == 1
    (kwargs,) = enqueued.of("conversation_process_task")
    assert conversation_process_task.apply(kwargs=kwargs).result == "processed"
    assert ingest_lag_seconds() == 0.0


def test_a_refused_publish_leaves_no_pending_mark_so_the_next_message_is_scheduled(channel_a, post_webhook):
    with broker_down():
        say(post_webhook, channel_a, "oi", 1)
    conversation_id = Message.objects.unscoped().get().conversation_id  # unscoped: test

    assert cache.get(_pending_key(conversation_id)) is None
    with recorded_publishes() as enqueued:  # the broker is back
        say(post_webhook, channel_a, "alguém aí?", 2)
    assert len(enqueued.of("conversation_process_task")) == 1  # at once, not left to the sweep


def test_processing_commits_and_the_sweep_sends_when_the_broker_refuses_the_send(
    channel_a, post_webhook, django_capture_on_commit_callbacks
):
    with recorded_publishes() as enqueued:
        say(post_webhook, channel_a, "quero pizza", 1)
    age_everything()
    (kwargs,) = enqueued.of("conversation_process_task")

    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        result = conversation_process_task.apply(kwargs=kwargs)

    assert result.successful(), result.traceback
    assert result.result == "processed"
    reply = Message.objects.unscoped().get(direction="out")  # unscoped: test
    assert reply.status == "queued"  # committed: the outbox row is the truth, not the publish
    age_everything()
    with recorded_publishes() as enqueued, django_capture_on_commit_callbacks(execute=True):
        assert outbound_sweep_task.apply().result["resent"] == 1
    (send,) = enqueued.of("message_send_task")
    assert message_send_task.apply(kwargs=send).result["sent"] == [reply.pk]
    assert [entry.text for entry in ConsoleProvider.outbox] == ["eco: quero pizza"]
