import json
import random
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conversations.models import InboundEvent, Message
from conversations.tests.conftest import make_channel
from leads.models import Customer

TEXT = {"from": "5511987654321", "text": "quero uma pizza", "id": "dup-1"}


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_make_one_message_and_one_processing_run(postgres_only, company_a, enqueued):
    channel = make_channel(company_a)
    url = reverse("webhook", args=[channel.inbound_key])
    barrier = threading.Barrier(20)
    statuses = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            response = Client().post(url, data=json.dumps(TEXT), content_type="application/json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 20
    assert Message.objects.unscoped().count() == 1  # unscoped: test
    assert Customer.objects.unscoped().count() == 1  # unscoped: test
    assert InboundEvent.objects.unscoped().count() == 20  # unscoped: test
    assert len(enqueued.of("conversation_process_task")) == 1


def random_json(rng: random.Random, depth: int = 0):
    choice = rng.randrange(8 if depth < 4 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, 1.5, 1e308])
    if choice == 3:
        return rng.choice(["", "oi", "5511987654321", "x" * 300, "\u0000", "💥", "@g.us", "+55 (11) 9"])
    if choice == 4:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(20)))
    if choice in (5, 6):
        keys = [
            "from", "text", "id", "kind", "data", "message", "messages", "event", "type", "entry", "changes",
            "value", "key", "fromMe", "remoteJid", "chatid", "body", "status", "statuses", "contact", "ticket",
            "instance", "qrcode", "state", "media_url", "is_group", "mediaType", "object",
        ]  # fmt: skip
        return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(6))}
    return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]


def mutate_fixture(rng: random.Random, value):
    """A real payload with one random subtree replaced: reaches deeper into each parser."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        return {**value, key: mutate_fixture(rng, value[key])}
    if isinstance(value, list) and value and rng.random() < 0.7:
        index = rng.randrange(len(value))
        return [*value[:index], mutate_fixture(rng, value[index]), *value[index + 1 :]]
    return random_json(rng)


@pytest.mark.parametrize("provider", ["console", "gosac", "uazapi", "evolution", "meta_cloud"])
def test_arbitrary_json_and_bytes_never_500_nor_reach_another_company(
    company_a, company_b, post_webhook, enqueued, provider
):
    from integrations.messaging.tests.support import FIXTURES

    channel = make_channel(company_a, provider=provider, credentials={"token": "t", "app_secret": "s"})
    make_channel(company_b, provider=provider, name="b")
    samples = [json.loads(path.read_bytes()) for path in sorted((FIXTURES / provider).glob("*.json"))]
    rng = random.Random(f"webhook-{provider}")
    for _ in range(150):
        roll = rng.random()
        if roll < 0.2:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        elif roll < 0.5 or not samples:
            body = json.dumps(random_json(rng)).encode()
        else:
            body = json.dumps(mutate_fixture(rng, rng.choice(samples))).encode()
        response = post_webhook(channel, body)
        assert response.status_code < 500, body
        assert response.status_code in (200, 400, 401, 403), (response.status_code, body)
    for model in (InboundEvent, Message, Customer):
        assert not model.objects.for_company(company_b).exists()
