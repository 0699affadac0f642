"""Test mode on a live number, end to end: real webhook bodies in, the console provider out.

The test contact talks to the draft while every other customer keeps talking to the published
version; without a published version only the test contact is answered. Every task the pipeline
enqueues is run by the `worker` fixture the way a Celery worker would, on PostgreSQL.
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from conversations.models import Channel, Conversation, Message
from conversations.services.controls import company_has_published_bot
from flows.models import FlowMessage, FlowPosition, FlowTemplate
from flows.services import flow_template_publish
from flows.tests.factories import pizzeria_template
from tenants.scoping import company_scope
from tests.test_end_to_end_bot import (  # noqa: F401 - pytest fixtures
    _pipeline_settings,
    console_channel,
    console_received,
    worker,
)

TESTER, CUSTOMER, NEWCOMER = "5511987654321", "5521999990000", "5531988887777"
GREETING_V1 = ["Olá!", "Qual é o seu nome?"]
GREETING_DRAFT = ["Oi, versão nova!", "Qual é o seu nome?"]


@pytest.fixture
def company(postgres_only, company_a):
    company_a.message_debounce_seconds = 0
    company_a.test_mode, company_a.test_contact = True, "(11) 98765-4321"  # as staff type it
    company_a.save()
    return company_a


@pytest.fixture
def say(client, django_capture_on_commit_callbacks):
    """say(channel, sender, text): one webhook delivery of a text message from `sender`."""
    counter = iter(range(1000))

    def send(channel: Channel, sender: str, text: str):
        body = {"from": sender, "text": text, "id": f"{sender}-{next(counter)}"}
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                reverse("webhook", args=[channel.inbound_key]), data=json.dumps(body), content_type="application/json"
            )
        assert answer.status_code == 200
        return answer

    return send


def edit_draft(company, old: str, new: str) -> None:
    with company_scope(company):
        assert FlowMessage.objects.filter(message_text=old).update(message_text=new) == 1


def versions_by_phone(company) -> dict[str, int | None]:
    with company_scope(company):
        rows = FlowPosition.objects.values_list("conversation__customer__phone", "current_version")
        return dict(rows)


def test_test_contact_gets_the_draft_and_another_customer_the_published_version_in_the_same_minute(
    company,
    worker,  # noqa: F811 - the imported fixture
    say,
):
    with company_scope(company):
        template, _ = pizzeria_template(company)
        flow_template_publish(template=template)
    edit_draft(company, "Olá!", "Oi, versão nova!")
    channel = console_channel(company)

    say(channel, TESTER, "oi")
    say(channel, CUSTOMER, "oi")
    worker.drain()

    assert console_received(TESTER) == GREETING_DRAFT
    assert console_received(CUSTOMER) == GREETING_V1
    assert versions_by_phone(company) == {f"+{TESTER}": None, f"+{CUSTOMER}": 1}
    with company_scope(company):
        sent_at = list(Message.objects.filter(direction="out", status="sent").values_list("sent_at", flat=True))
    assert len(sent_at) == 4
    assert max(sent_at) - min(sent_at) < timedelta(minutes=1)

    # Staff change the offer and publish version 2 while both conversations are in progress.
    edit_draft(company, "Prazer, {{ nome }}! Quer o cardápio?", "Bem-vindo, {{ nome }}! Cardápio?")
    with company_scope(company):
        flow_template_publish(template=template)
    say(channel, CUSTOMER, "Ana")
    say(channel, TESTER, "Bia")
    say(channel, NEWCOMER, "oi")
    worker.drain()

    assert console_received(CUSTOMER)[2:] == ["Prazer, Ana! Quer o cardápio?"]  # still version 1
    assert console_received(TESTER)[2:] == ["Bem-vindo, Bia! Cardápio?"]  # the draft
    assert console_received(NEWCOMER) == GREETING_DRAFT  # version 2 holds the edited greeting
    assert versions_by_phone(company) == {f"+{TESTER}": None, f"+{CUSTOMER}": 1, f"+{NEWCOMER}": 2}


def test_without_a_published_version_test_mode_answers_only_the_test_contact(company, worker, say):  # noqa: F811
    with company_scope(company):
        pizzeria_template(company)
    channel = console_channel(company)

    say(channel, CUSTOMER, "oi")
    say(channel, TESTER, "oi")
    worker.drain()

    assert console_received(TESTER) == GREETING_V1  # the draft (never published)
    assert console_received(CUSTOMER) == []
    with company_scope(company):
        ignored = Message.objects.get(direction="in", conversation__customer__phone=f"+{CUSTOMER}")
        assert not FlowPosition.objects.filter(conversation__customer__phone=f"+{CUSTOMER}").exists()
    assert (ignored.status, ignored.reason) == ("ignored", "test_mode")


def test_turning_test_mode_off_answers_everyone_with_the_published_version(company, worker, say):  # noqa: F811
    with company_scope(company):
        template, _ = pizzeria_template(company)
        flow_template_publish(template=template)
    edit_draft(company, "Olá!", "Oi, versão nova!")
    company.test_mode = False
    company.save()
    channel = console_channel(company)

    say(channel, TESTER, "oi")
    worker.drain()

    assert console_received(TESTER) == GREETING_V1
    with company_scope(company):
        assert Conversation.objects.get().status == Conversation.Status.WAITING


def test_flows_tells_the_controls_when_the_live_template_is_published(company_a, company_b):
    assert company_has_published_bot(company_a) is False
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
    assert company_has_published_bot(company_a) is False  # a draft only

    with company_scope(company_a):
        flow_template_publish(template=template)

    assert company_has_published_bot(company_a) is True
    assert company_has_published_bot(company_b) is False
    with company_scope(company_a):
        FlowTemplate.objects.filter(pk=template.pk).update(is_active=False)
    assert company_has_published_bot(company_a) is False
