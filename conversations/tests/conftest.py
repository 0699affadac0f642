"""Fixtures of the message pipeline tests: channels, a webhook poster, recorded task enqueues."""

import json

import pytest
from django.urls import reverse

from conversations.models import Channel, InboundEvent
from conversations.tests.factories import ChannelFactory
from integrations.messaging.console import ConsoleProvider


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # fake servers listen on 127.0.0.1


@pytest.fixture(autouse=True)
def _empty_console_outbox():
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


def make_channel(company, provider="console", name="principal", credentials=None, **fields) -> Channel:
    """A connected channel (unless `status` says otherwise) with its credentials as stored JSON."""
    fields.setdefault("status", Channel.Status.CONNECTED)
    return ChannelFactory(
        company=company, provider=provider, name=name, credentials=json.dumps(credentials or {}), **fields
    )


@pytest.fixture
def channel_a(company_a):
    return make_channel(company_a)


@pytest.fixture
def channel_b(company_b):
    return make_channel(company_b, name="loja-b")


class Enqueued:
    """Records apply_async calls of the pipeline's tasks instead of sending them to a broker."""

    def __init__(self):
        self.calls: list[tuple[str, dict, float]] = []
        # The webhook's publishes of its stored events (post_webhook applies them itself).
        self.stored_events: list[dict] = []

    @classmethod
    def install(cls, monkeypatch) -> "Enqueued":
        """Record the pipeline tasks' apply_async calls (again after a monkeypatch.undo())."""
        from conversations import tasks

        record = cls()
        for name in (
            "inbound_event_apply_task",
            "conversation_process_task",
            "message_send_task",
            "received_file_download_task",
            "channel_check_task",
            "outbound_sweep_task",
        ):
            task = getattr(tasks, name)

            def fake(args=None, kwargs=None, countdown=0, _name=name, **options):
                if _name == "inbound_event_apply_task":
                    record.stored_events.append(dict(kwargs or {}))
                else:
                    record.calls.append((_name, dict(kwargs or {}), countdown or 0))

            monkeypatch.setattr(task, "apply_async", fake)
        return record

    def of(self, task_name: str) -> list[dict]:
        return [kwargs for name, kwargs, _ in self.calls if name == task_name]


@pytest.fixture
def enqueued(monkeypatch):
    return Enqueued.install(monkeypatch)


def apply_stored_event(response, capture) -> None:
    """The worker's half of a delivery the request stored: parse and apply it now, as
    `inbound_event_apply_task` would, and keep its result on the response (`response.applied`)."""
    from conversations.services import inbound_event_process
    from tenants.scoping import company_scope

    response.applied = None
    if response.status_code != 200 or response.get("Content-Type") != "application/json":
        return
    answer = response.json()
    if answer.get("status") != "received":
        return
    event = InboundEvent.objects.unscoped().filter(pk=answer["event_id"]).first()  # unscoped: test worker
    with capture(execute=True), company_scope(event.company_id):
        response.applied = inbound_event_process(event_id=event.pk)


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """post_webhook(channel, body_bytes_or_dict, **headers) -> response; runs on_commit callbacks,
    then the worker's apply of the stored event (its result in `response.applied`)."""

    def post(channel, body, **headers):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        url = reverse("webhook", args=[channel.inbound_key if isinstance(channel, Channel) else channel])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data=data, content_type="application/json", **headers)
        apply_stored_event(response, django_capture_on_commit_callbacks)
        return response

    return post


def apply_concurrently(stored_events: list[dict]) -> None:
    """Run the apply task of each stored event at the same moment, one thread each: workers racing
    on the same customer, conversation and message (the test must use a transactional database)."""
    import threading

    from django.db import connection

    from conversations.tasks import inbound_event_apply_task

    barrier = threading.Barrier(len(stored_events))
    failures = []

    def apply(kwargs):
        try:
            barrier.wait(timeout=10)
            inbound_event_apply_task.apply(kwargs=kwargs, throw=True)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(kwargs,)) for kwargs in stored_events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
