"""Draft and published versions: staff edit the draft, customers talk to the published version."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from conversations.models import Conversation
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory
from flows.models import FlowMessage, FlowPosition, FlowTemplate, FlowVersion
from flows.services import flow_handle_inbound, flow_template_export, flow_template_publish
from flows.tests.factories import FlowFactory, FlowMessageFactory, SubflowFactory, linear_template, pizzeria_template
from tenants.scoping import company_scope

GREETING_V1 = ["Olá!", "Qual é o seu nome?"]
GREETING_DRAFT = ["Oi, versão nova!", "Qual é o seu nome?"]


@pytest.fixture
def scoped(company_a):
    with company_scope(company_a):
        yield company_a


def texts(intents):
    return [i.text for i in intents]


def edit_draft(old: str, new: str) -> None:
    assert FlowMessage.objects.filter(message_text=old).update(message_text=new) == 1


def test_never_published_template_runs_its_draft_for_everyone(scoped):
    template, _ = pizzeria_template(scoped)
    edit_draft("Olá!", "Oi, versão nova!")

    assert texts(flow_handle_inbound(conversation=ConversationFactory(company=scoped), text="oi")) == GREETING_DRAFT
    assert FlowPosition.objects.get().current_version is None
    assert template.published_version == 0


def test_customers_get_the_published_version_not_the_draft(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    edit_draft("Olá!", "Oi, versão nova!")

    assert texts(flow_handle_inbound(conversation=ConversationFactory(company=scoped), text="oi")) == GREETING_V1
    assert FlowPosition.objects.get().current_version == 1


def test_in_test_mode_the_test_contact_gets_the_draft_and_others_the_published_same_minute(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    edit_draft("Olá!", "Oi, versão nova!")
    scoped.test_mode, scoped.test_contact = True, "(11) 98765-4321"  # as staff type it; customers are E.164
    scoped.save()
    tester = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5511987654321"))
    customer = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5521999990000"))
    now = timezone.now()

    to_tester = flow_handle_inbound(conversation=tester, text="oi", now=now)
    to_customer = flow_handle_inbound(conversation=customer, text="oi", now=now)

    assert texts(to_tester) == GREETING_DRAFT
    assert texts(to_customer) == GREETING_V1
    versions = dict(FlowPosition.objects.values_list("conversation_id", "current_version"))
    assert versions == {tester.pk: None, customer.pk: 1}


def test_with_test_mode_off_the_test_contact_gets_the_published_version(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    edit_draft("Olá!", "Oi, versão nova!")
    scoped.test_mode, scoped.test_contact = False, "+5511987654321"
    scoped.save()
    tester = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5511987654321"))

    assert texts(flow_handle_inbound(conversation=tester, text="oi")) == GREETING_V1


def _in_test_mode(company, contact="+5511987654321"):
    company.test_mode, company.test_contact = True, contact
    company.save()


def test_in_test_mode_nobody_but_the_test_contact_gets_an_unpublished_draft(scoped):
    pizzeria_template(scoped)
    _in_test_mode(scoped)
    customer = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5521999990000"))

    assert flow_handle_inbound(conversation=customer, text="oi") == []
    assert FlowPosition.objects.get(conversation=customer).current_template_id is None


def test_in_test_mode_a_customer_left_on_the_draft_goes_on_with_the_published_version(scoped):
    template, _ = pizzeria_template(scoped)
    customer = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5521999990000"))
    flow_handle_inbound(conversation=customer, text="oi")  # never published yet: the draft
    flow_template_publish(template=template)
    edit_draft("Prazer, {{ nome }}! Quer o cardápio?", "Rascunho, {{ nome }}!")
    _in_test_mode(scoped)

    assert texts(flow_handle_inbound(conversation=customer, text="Ana")) == ["Prazer, Ana! Quer o cardápio?"]
    assert FlowPosition.objects.get(conversation=customer).current_version == 1


def test_in_test_mode_the_test_contact_goes_on_with_the_draft_at_the_same_step(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    tester = ConversationFactory(company=scoped, customer=CustomerFactory(company=scoped, phone="+5511987654321"))
    flow_handle_inbound(conversation=tester, text="oi")  # test mode off: version 1
    edit_draft("Prazer, {{ nome }}! Quer o cardápio?", "Rascunho, {{ nome }}!")
    _in_test_mode(scoped)

    assert texts(flow_handle_inbound(conversation=tester, text="Ana")) == ["Rascunho, Ana!"]
    assert FlowPosition.objects.get(conversation=tester).current_version is None


def test_publishing_mid_conversation_does_not_move_the_conversation(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    started = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=started, text="oi")
    edit_draft("Prazer, {{ nome }}! Quer o cardápio?", "Bem-vindo, {{ nome }}! Cardápio?")
    edit_draft("Até logo, {{ nome }}!", "Tchau, {{ nome }}!")
    flow_template_publish(template=template)
    newcomer = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=newcomer, text="oi")

    assert texts(flow_handle_inbound(conversation=started, text="Ana")) == ["Prazer, Ana! Quer o cardápio?"]
    assert texts(flow_handle_inbound(conversation=started, text="não")) == ["Até logo, Ana!"]
    assert texts(flow_handle_inbound(conversation=newcomer, text="Bia")) == ["Bem-vindo, Bia! Cardápio?"]
    assert texts(flow_handle_inbound(conversation=newcomer, text="não")) == ["Tchau, Bia!"]
    started.refresh_from_db()
    assert started.status == Conversation.Status.COMPLETED


def test_a_finished_conversation_starts_again_on_the_newest_version(scoped):
    template, _ = pizzeria_template(scoped)
    flow_template_publish(template=template)
    conversation = ConversationFactory(company=scoped)
    for text in ("oi", "Ana", "não"):
        flow_handle_inbound(conversation=conversation, text=text)
    edit_draft("Olá!", "Oi, versão nova!")
    flow_template_publish(template=template)

    assert texts(flow_handle_inbound(conversation=conversation, text="oi")) == GREETING_DRAFT
    assert FlowPosition.objects.get(conversation=conversation).current_version == 2


def test_publish_numbers_versions_and_freezes_the_whole_document(scoped):
    template, _ = pizzeria_template(scoped)
    first_document = flow_template_export(template=template)

    first = flow_template_publish(template=template, published_by="ana")
    edit_draft("Olá!", "Oi, versão nova!")
    second = flow_template_publish(template=template)

    assert (first.number, second.number) == (1, 2)
    assert FlowTemplate.objects.get(pk=template.pk).published_version == 2
    assert FlowVersion.objects.get(number=1).document == first_document
    assert FlowVersion.objects.get(number=1).published_by == "ana"
    assert FlowVersion.objects.get(number=2).document == flow_template_export(template=template)


def test_publishing_an_empty_draft_is_refused_and_changes_nothing(scoped):
    template = FlowFactory(company=scoped).template

    with pytest.raises(ValidationError):
        flow_template_publish(template=template)

    assert FlowVersion.objects.count() == 0
    assert FlowTemplate.objects.get(pk=template.pk).published_version == 0


def test_publish_is_atomic(scoped, monkeypatch):
    template, _ = pizzeria_template(scoped)

    def broken_export(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("flows.services.publish.flow_template_export", broken_export)
    with pytest.raises(RuntimeError):
        flow_template_publish(template=template)

    assert FlowVersion.objects.count() == 0
    assert FlowTemplate.objects.get(pk=template.pk).published_version == 0


def test_a_deactivated_template_stops_its_published_conversations(scoped):
    old, _ = pizzeria_template(scoped, name="Old")
    flow_template_publish(template=old)
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")
    FlowTemplate.objects.filter(pk=old.pk).update(is_active=False)
    new_flow = FlowFactory(company=scoped)
    FlowMessageFactory(company=scoped, subflow=SubflowFactory(company=scoped, flow=new_flow), message_text="Novo!")

    assert texts(flow_handle_inbound(conversation=conversation, text="Ana")) == ["Novo!"]
    assert FlowPosition.objects.get(conversation=conversation).current_version is None


def _published_turn_queries(company, size):
    with company_scope(company):
        flow_template_publish(template=linear_template(company, size))
        conversation = ConversationFactory(company=company)
        flow_handle_inbound(conversation=conversation, text="oi")
        conversation = Conversation.objects.select_related("company").get(pk=conversation.pk)
        with CaptureQueriesContext(connection) as captured:
            intents = flow_handle_inbound(conversation=conversation, text="ok")
    assert texts(intents) == ["m2", "m3"]
    return len(captured)


def test_queries_on_a_published_version_do_not_grow_with_the_flow(company_a, company_b):
    assert _published_turn_queries(company_a, 5) == _published_turn_queries(company_b, 500)


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_get_consecutive_numbers(postgres_only, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
    barrier, results = threading.Barrier(4), []

    def publish():
        try:
            with company_scope(company_a):
                barrier.wait(timeout=10)
                results.append(flow_template_publish(template=FlowTemplate.objects.get(pk=template.pk)).number)
        except Exception as exc:  # noqa: BLE001 - reported through the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [1, 2, 3, 4]
    with company_scope(company_a):
        assert FlowTemplate.objects.get(pk=template.pk).published_version == 4
        assert sorted(FlowVersion.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
