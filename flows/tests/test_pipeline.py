import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.handlers import OutboundIntent
from conversations.models import Message
from conversations.tests.factories import ConversationFactory
from flows.models import FlowMessage
from flows.pipeline import handle_message
from flows.services import flow_template_publish
from flows.tests.factories import FlowFactory, SubflowFactory, linear_template
from integrations.messaging.console import ConsoleProvider
from tenants.scoping import company_scope
from tests.test_end_to_end_bot import Worker, console_channel


def test_pipeline_handler_passes_documents_and_returns_pipeline_intents(company_a):
    with company_scope(company_a):
        subflow = SubflowFactory(company=company_a, flow=FlowFactory(company=company_a))
        FlowMessage.objects.create(
            company=company_a,
            subflow=subflow,
            message_text="Envie o PDF",
            order_index=1,
            wait_for_file=True,
            expected_file_types=["application/pdf"],
        )
        FlowMessage.objects.create(
            company=company_a, subflow=subflow, message_text="Ok!", order_index=2, delay_seconds=4
        )
        conversation = ConversationFactory(company=company_a)
        document = Message(
            company=company_a,
            conversation=conversation,
            channel=conversation.channel,
            direction="in",
            kind=Message.Kind.DOCUMENT,
            media_mime="application/pdf",
            file_name="pix.pdf",
            status="received",
        )

        first = handle_message(conversation=conversation, text="oi", message=None)
        second = handle_message(conversation=conversation, text="", message=document)

    assert first == [OutboundIntent(text="Envie o PDF")]
    assert second == [OutboundIntent(text="Ok!", delay_seconds=4)]


@pytest.mark.parametrize("published", [False, True], ids=["draft", "published"])
def test_queries_to_process_one_inbound_message_are_the_same_for_5_and_500_messages(
    company_a, company_b, client, monkeypatch, django_capture_on_commit_callbacks, settings, published
):
    """Webhook, processing task and send tasks of one customer message, counted end to end."""
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    worker = Worker(monkeypatch, django_capture_on_commit_callbacks)

    def deliver(channel, text, message_id):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("webhook", args=[channel.inbound_key]),
                data=json.dumps({"from": "5511987654321", "text": text, "id": message_id}),
                content_type="application/json",
            )
        worker.drain()

    def one_turn_queries(company, size):
        company.message_debounce_seconds = 0
        company.save()
        with company_scope(company):
            template = linear_template(company, size)
            if published:
                flow_template_publish(template=template)
        channel = console_channel(company)
        deliver(channel, "oi", "first")  # m0, m1 (waits)
        ConsoleProvider.clear_outbox()
        with CaptureQueriesContext(connection) as captured:
            deliver(channel, "ok", "second")  # m2, m3 (waits)
        assert [entry.text for entry in ConsoleProvider.outbox] == ["m2", "m3"]
        # The apply task processes the turn itself (debounce 0); m2 and m3 are due together: one
        # send task sends both, in order.
        assert worker.ran[-2:] == ["inbound_event_apply_task", "message_send_task"]
        return len(captured)

    ConsoleProvider.clear_outbox()
    try:
        assert one_turn_queries(company_a, 5) == one_turn_queries(company_b, 500)
    finally:
        ConsoleProvider.clear_outbox()


@pytest.mark.parametrize(
    ("kind", "mime"), [(Message.Kind.IMAGE, "image/jpeg"), (Message.Kind.AUDIO, "audio/ogg; codecs=opus")]
)
def test_a_wait_for_file_step_takes_an_image_or_a_voice_note(company_a, kind, mime):
    """A Pix receipt sent as a photo, or a voice note, is the file the step waits for."""
    with company_scope(company_a):
        subflow = SubflowFactory(company=company_a, flow=FlowFactory(company=company_a))
        FlowMessage.objects.create(
            company=company_a,
            subflow=subflow,
            message_text="Envie o comprovante",
            order_index=1,
            wait_for_file=True,
            expected_file_types=["image/*", "audio/*", "application/pdf"],
        )
        FlowMessage.objects.create(company=company_a, subflow=subflow, message_text="Recebido!", order_index=2)
        conversation = ConversationFactory(company=company_a)
        received = Message(
            company=company_a,
            conversation=conversation,
            channel=conversation.channel,
            direction="in",
            kind=kind,
            media_mime=mime,
            status="received",
        )

        handle_message(conversation=conversation, text="oi", message=None)
        answer = handle_message(conversation=conversation, text="", message=received)

    assert answer == [OutboundIntent(text="Recebido!")]
