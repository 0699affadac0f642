# ruff: noqa: F811 - the pipeline fixtures imported below are used as arguments
"""What a bot message failing for good does to its conversation: the flow template's choice (hand it
to a person, the default, or do nothing), applied once per failure, through the sender's real
failure path (a provider that keeps failing until the retry budget runs out)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from conversations.models import Conversation, ConversationEvent, Message
from conversations.selectors import InboxTab, inbox_conversations
from conversations.services import message_queue_outbound
from conversations.tasks import message_send_task
from conversations.templatetags.inbox import event_text
from conversations.tests.conftest import _empty_console_outbox, enqueued  # noqa: F401 - fixtures
from conversations.tests.test_outbound import conversation_on, uazapi_channel
from flows.models import FlowPosition, FlowTemplate
from flows.selectors import send_failure_hands_over
from flows.tests.factories import FlowFactory, FlowTemplateFactory
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope


@pytest.fixture(autouse=True)
def _scope(company_a, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake provider listens on 127.0.0.1
    settings.OUTBOUND_MAX_ATTEMPTS = 2
    with company_scope(company_a):
        yield


@pytest.fixture
def provider_down():
    with FakeServer() as server:
        server.add("POST", "/send/text", status=503, json={"error": "down"})
        yield server


def live(company, choice=FlowTemplate.SendFailure.HANDOFF, name="Live"):
    template = FlowTemplateFactory(company=company, name=name, on_send_failure=choice)
    FlowFactory(company=company, template=template, is_default=True)
    return template


def on_template(conversation, template):
    FlowPosition.objects.create(
        company=conversation.company, conversation=conversation, current_template_id=template.pk
    )


def fail_for_good(company, conversation, *texts, sent_by=None):
    """Queue `texts` and send until the provider's failures spend the first one's attempts."""
    messages = [message_queue_outbound(conversation=conversation, text=t) for t in texts]
    if sent_by is not None:
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(sent_by=sent_by)
    for _attempt in range(2):
        for message in messages:  # every task of the conversation, as the broker would run them
            message_send_task.apply(kwargs={"company_id": company.pk, "message_id": message.pk})
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(retry_at=timezone.now() - timedelta(seconds=1))
    statuses = list(Message.objects.filter(pk__in=[m.pk for m in messages]).values_list("status", flat=True))
    assert statuses == [Message.Status.FAILED] * len(texts)
    conversation.refresh_from_db()
    return messages


def failure_events(conversation):
    return list(conversation.events.filter(kind=ConversationEvent.Kind.SEND_FAILED).values_list("detail", flat=True))


def test_a_bot_reply_failing_for_good_hands_the_conversation_to_a_person_once(
    company_a,
    enqueued,
    provider_down,  # noqa: F811
):
    live(company_a)
    conversation = conversation_on(uazapi_channel(company_a, provider_down.url))

    first, _held = fail_for_good(company_a, conversation, "O cardápio:", "O que vai querer?")

    assert (conversation.status, conversation.bot_paused) == (Conversation.Status.HANDOFF, True)
    (detail,) = failure_events(conversation)  # one failure, though two messages failed
    assert detail.startswith(f"#{first.pk}: ") and "HTTP 503" in detail
    assert conversation in inbox_conversations(company=company_a, tab=InboxTab.WAITING)
    with override("pt-br"):
        shown = event_text(conversation.events.get(kind=ConversationEvent.Kind.SEND_FAILED))
    assert shown.startswith(f"Uma mensagem do robô não pôde ser entregue (#{first.pk}: ")


def test_do_nothing_leaves_the_conversation_with_the_bot(company_a, enqueued, provider_down):  # noqa: F811
    live(company_a, FlowTemplate.SendFailure.NOTHING)
    conversation = conversation_on(uazapi_channel(company_a, provider_down.url))

    fail_for_good(company_a, conversation, "O cardápio:")

    assert (conversation.status, conversation.bot_paused) == (Conversation.Status.ACTIVE, False)
    assert failure_events(conversation) == []
    assert conversation not in inbox_conversations(company=company_a, tab=InboxTab.WAITING)


def test_a_staff_message_failing_changes_nothing(company_a, enqueued, provider_down, manager_a):  # noqa: F811
    live(company_a)
    conversation = conversation_on(uazapi_channel(company_a, provider_down.url))

    fail_for_good(company_a, conversation, "Oi, aqui é a Ana", sent_by=manager_a)

    assert (conversation.status, conversation.bot_paused) == (Conversation.Status.ACTIVE, False)
    assert failure_events(conversation) == []


def test_the_template_the_conversation_is_on_decides(company_a):
    live(company_a, FlowTemplate.SendFailure.HANDOFF)
    quiet = FlowTemplateFactory(company=company_a, name="Antigo", on_send_failure=FlowTemplate.SendFailure.NOTHING)
    conversation = conversation_on(uazapi_channel(company_a, "http://127.0.0.1:9"))
    assert send_failure_hands_over(conversation=conversation) is True  # the live template's choice

    on_template(conversation, quiet)
    assert send_failure_hands_over(conversation=conversation) is False


def test_without_a_template_a_person_takes_over(company_a):
    conversation = conversation_on(uazapi_channel(company_a, "http://127.0.0.1:9"))
    assert send_failure_hands_over(conversation=conversation) is True


def test_the_choice_is_edited_on_the_template_in_the_admin(company_a, admin_client_a):
    template = live(company_a)
    url = reverse("admin:flows_flowtemplate_change", args=[template.pk])

    page = admin_client_a.get(url)

    assert page.status_code == 200
    with override("pt-br"):
        label = gettext("when a bot message cannot be delivered")
        nothing = gettext("Do nothing (the message stays failed; staff can resend it)")
    assert label != "when a bot message cannot be delivered"  # translated
    assert label.capitalize() in page.content.decode()
    assert nothing in page.content.decode()
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"on_send_failure": FlowTemplate.SendFailure.NOTHING, "_save": "Salvar"}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {f"{management.prefix}-{k}": v for k, v in management.initial.items()}
        for inline_form in inline.formset.forms:
            data |= {f"{inline_form.prefix}-{k}": inline_form[k].value() for k in inline_form.fields if k != "DELETE"}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = admin_client_a.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert template.on_send_failure == FlowTemplate.SendFailure.NOTHING
