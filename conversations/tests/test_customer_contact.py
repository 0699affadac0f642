"""Customers found by the provider's chat id when there is no phone (WhatsApp `@lid` ids)."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conversations.models import Conversation, Message
from conversations.tests.conftest import apply_concurrently, make_channel
from customers.models import Customer

LID = "214748364812345@lid"


def test_phoneless_sender_is_found_again_by_chat_id(company_a, channel_a, post_webhook, enqueued):
    post_webhook(channel_a, {"from": LID, "text": "oi", "id": "l-1", "name": "Ana"})
    post_webhook(channel_a, {"from": LID, "text": "tudo bem?", "id": "l-2"})

    (customer,) = Customer.objects.for_company(company_a)
    assert (customer.phone, customer.name, customer.provider_contact_ids) == ("", "Ana", {"console": LID})
    assert Conversation.objects.for_company(company_a).count() == 1
    assert Message.objects.for_company(company_a).filter(conversation__customer=customer).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_of_one_phoneless_chat_make_one_customer(postgres_only, company_a, enqueued):
    channel = make_channel(company_a)
    url = reverse("webhook", args=[channel.inbound_key])
    barrier = threading.Barrier(12)
    statuses = []

    def deliver(n):
        try:
            barrier.wait(timeout=10)
            body = json.dumps({"from": LID, "text": f"msg {n}", "id": f"lid-{n}"})
            statuses.append(Client().post(url, data=body, content_type="application/json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 12
    assert len(enqueued.stored_events) == 12
    apply_concurrently(enqueued.stored_events)  # the workers race where the requests used to
    customers = Customer.objects.for_company(company_a)
    assert customers.count() == 1
    assert customers.get().provider_contact_ids == {"console": LID}
    assert Conversation.objects.for_company(company_a).count() == 1
    assert Message.objects.for_company(company_a).filter(status="received").count() == 12


def test_the_same_chat_id_in_another_company_is_another_customer(company_a, company_b, post_webhook, enqueued):
    post_webhook(make_channel(company_a), {"from": LID, "text": "oi", "id": "x-1"})
    post_webhook(make_channel(company_b), {"from": LID, "text": "oi", "id": "x-1"})

    assert Customer.objects.for_company(company_a).count() == 1
    assert Customer.objects.for_company(company_b).count() == 1
