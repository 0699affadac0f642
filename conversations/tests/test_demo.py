import json

import pytest
from django.test import Client
from django.urls import reverse

from conversations.demo import DEMO_CHANNEL_NAME, SAMPLE_BODY, demo_webhook_file
from conversations.models import Channel, Message
from conversations.tasks import conversation_process_task, message_send_task
from conversations.tests.conftest import apply_stored_event
from integrations.messaging.console import ConsoleProvider
from tenants.demo import load_demo
from tenants.scoping import company_scope


@pytest.mark.django_db
def test_demo_channel_is_created_once_and_its_webhook_answers_with_the_demo_greeting(
    settings, tmp_path, enqueued, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    company, _, _ = load_demo()
    company.message_debounce_seconds = 0
    company.save(update_fields=["message_debounce_seconds"])
    load_demo()
    with company_scope(company):
        channel = Channel.objects.get()
    url = reverse("webhook", args=[channel.inbound_key])

    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(url, data=SAMPLE_BODY, content_type="application/json")
    apply_stored_event(answer, django_capture_on_commit_callbacks)
    for kwargs in enqueued.of("conversation_process_task"):
        with django_capture_on_commit_callbacks(execute=True):
            conversation_process_task.apply(kwargs=kwargs, throw=True)
    first_send = enqueued.of("message_send_task")[0]
    message_send_task.apply(kwargs=first_send, throw=True)

    assert (channel.provider, channel.name, channel.status) == ("console", DEMO_CHANNEL_NAME, "connected")
    assert answer.status_code == 200
    assert json.loads(SAMPLE_BODY)["text"] == "oi"
    assert [(entry.to, entry.text) for entry in ConsoleProvider.outbox] == [
        ("5511987654321", "Olá! 🍕 Bem-vindo à Pizzaria Demo.")
    ]
    with company_scope(company):
        assert Message.objects.filter(direction="out").values_list("status", flat=True).first() == "sent"
    assert url in demo_webhook_file().read_text()
