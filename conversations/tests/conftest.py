"""Fixtures of the message pipeline tests: channels, a webhook poster, recorded task enqueues."""

import json

import pytest
from django.urls import reverse

from conversations.models import Channel
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

    def of(self, task_name: str) -> list[dict]:
        return [kwargs for name, kwargs, _ in self.calls if name == task_name]


@pytest.fixture
def enqueued(monkeypatch):
    from conversations import tasks

    record = Enqueued()
    for name in (
        "conversation_process_task",
        "message_send_task",
        "received_file_download_task",
        "channel_check_task",
        "outbound_sweep_task",
    ):
        task = getattr(tasks, name)

        def fake(args=None, kwargs=None, countdown=0, _name=name, **options):
            record.calls.append((_name, dict(kwargs or {}), countdown or 0))

        monkeypatch.setattr(task, "apply_async", fake)
    return record


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """post_webhook(channel, body_bytes_or_dict, **headers) -> response; runs on_commit callbacks."""

    def post(channel, body, **headers):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        url = reverse("webhook", args=[channel.inbound_key if isinstance(channel, Channel) else channel])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=data, content_type="application/json", **headers)

    return post
