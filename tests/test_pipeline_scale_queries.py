"""Queries per inbound message do not depend on the size of the company: the same turns of the demo
flow cost the same with its small world (6 products, 4 subflows, a few past messages) and with a big
one (10,000 more products, 200 more subflows published, thousands of past messages in the conversation).

Every task of the pipeline is counted (request, apply, processing, each send), turn by turn.
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category, Product
from conversations.models import Conversation, Message
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from flows.selectors import live_template
from flows.services import flow_template_publish
from tenants.scoping import company_scope
from tests.test_pipeline_queries import WaitingWorker, demo_channel

TURNS = ("oi", "Maria", "quero uma pizza de calabresa", "Rua das Flores, 10")


def conversation_turns(client, worker, capture, channel, phone: str, history: int) -> list[dict]:
    """The customer's first turn, then `history` past messages stored in the conversation, then the
    other turns; the queries of each turn after the first, per task."""
    url = reverse("webhook", args=[channel.inbound_key])
    figures = []
    for n, text in enumerate(TURNS):
        if n == 1:
            _past_messages(channel, phone, history)
        worker.queries.clear()
        body = {"from": phone, "text": text, "id": f"{phone}-{n}"}
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured, capture(execute=True):
            assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200
        worker.queries["request"] += len(captured)
        worker.drain()
        if n:
            figures.append(dict(worker.queries))
    return figures


def _past_messages(channel, phone: str, count: int) -> None:
    with company_scope(channel.company_id):
        conversation = Conversation.objects.get(customer__phone__endswith=phone[-8:])
        now = timezone.now()
        Message.objects.bulk_create(
            Message(
                company_id=channel.company_id,
                conversation=conversation,
                channel=channel,
                direction=("in", "out")[n % 2],
                text=f"mensagem antiga {n}",
                status=("processed", "sent")[n % 2],
                provider_message_id=f"old-{phone}-{n}",
                created_at=now - timezone.timedelta(days=30, seconds=count - n),
            )
            for n in range(count)
        )


def grow(company) -> None:
    """10,000 more products and 200 more subflows (keyword-triggered, published)."""
    with company_scope(company):
        category = Category.objects.create(company=company, name="Atacado", position=9)
        Product.objects.bulk_create(
            Product(company=company, category=category, name=f"Produto {n:05d}", price=Decimal("9.90"), position=n)
            for n in range(10_000)
        )
        template = FlowTemplate.objects.get(pk=live_template(company)[0])  # the one customers talk to
        flow = (
            Flow.objects.filter(template=template, is_default=True).first()
            or Flow.objects.filter(template=template).first()
        )
        subflows = Subflow.objects.bulk_create(
            Subflow(
                company=company, flow=flow, name=f"Assunto {n}", trigger_keywords=[f"assunto{n}"], order_index=10 + n
            )
            for n in range(200)
        )
        FlowMessage.objects.bulk_create(
            FlowMessage(company=company, subflow=subflow, message_text=f"Sobre {subflow.name}.", order_index=1)
            for subflow in subflows
        )
        flow_template_publish(template=template, published_by="test")


@pytest.mark.timeout(600)
def test_queries_per_message_are_the_same_with_10_or_10000_products_subflows_and_past_messages(
    db, client, monkeypatch, django_capture_on_commit_callbacks, settings, tmp_path
):
    company, channel = demo_channel(settings, tmp_path)
    worker = WaitingWorker(monkeypatch, django_capture_on_commit_callbacks, company)
    small = conversation_turns(client, worker, django_capture_on_commit_callbacks, channel, "5521900000001", 4)

    grow(company)
    big = conversation_turns(client, worker, django_capture_on_commit_callbacks, channel, "5521900000002", 5_000)

    assert small == big
