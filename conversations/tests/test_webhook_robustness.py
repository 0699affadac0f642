import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.models import Conversation, InboundEvent, Message
from conversations.tests.conftest import apply_concurrently, make_channel
from conversations.tests.test_provider_payloads import meta_signature
from customers.models import Customer

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
    assert len(enqueued.stored_events) == 20
    apply_concurrently(enqueued.stored_events)  # the workers race where the requests used to
    assert Message.objects.unscoped().count() == 1  # unscoped: test
    assert Customer.objects.unscoped().count() == 1  # unscoped: test
    assert InboundEvent.objects.unscoped().count() == 20  # unscoped: test
    assert len(enqueued.of("conversation_process_task")) == 1


JSON_KEYS = [
    "from", "text", "id", "kind", "data", "message", "messages", "event", "type", "entry", "changes", "value",
    "key", "fromMe", "remoteJid", "chatid", "body", "status", "statuses", "contact", "contactId", "ticket",
    "instance", "qrcode", "state", "media_url", "is_group", "mediaType", "object", "EventType", "field",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "oi", "5511987654321", "x" * 300, "\u0000", "💥", "@g.us", "+55 (11) 9", "messages"])
    | st.text(max_size=30)
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(JSON_KEYS) | st.text(max_size=8), children, max_size=6),
    max_leaves=25,
)
PROVIDERS = ["console", "gosac", "uazapi", "evolution", "meta_cloud"]


def samples(provider: str) -> list:
    from integrations.messaging.tests.support import FIXTURES

    return [json.loads(path.read_bytes()) for path in sorted((FIXTURES / provider).glob("*.json"))]


@st.composite
def mutated_sample(draw, provider: str):
    """A real payload of the provider with one subtree replaced: reaches deep into each parser."""
    value = draw(st.sampled_from(samples(provider)))

    def mutate(node):
        if isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            return {**node, key: mutate(node[key])}
        if isinstance(node, list) and node and draw(st.booleans()):
            index = draw(st.integers(0, len(node) - 1))
            return [*node[:index], mutate(node[index]), *node[index + 1 :]]
        return draw(JSON)

    return json.dumps(mutate(value)).encode()


def bodies(provider: str):
    return st.binary(max_size=200) | JSON.map(lambda value: json.dumps(value).encode()) | mutated_sample(provider)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_arbitrary_json_and_bytes_never_500_nor_reach_another_company(
    company_a, company_b, post_webhook, enqueued, provider
):
    """Property (hypothesis): whatever is POSTed, the answer is 2xx/4xx and company B gets no row.

    Meta bodies are signed with the channel's app secret so that they reach the parser too.
    """
    credentials = {"token": "", "app_secret": "s3cret", "phone_number_id": "", "verify_token": "v"}
    channel = make_channel(company_a, provider=provider, credentials=credentials)
    make_channel(company_b, provider=provider, name="b", credentials=credentials)
    seen = set()

    @settings(
        max_examples=70,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies(provider))
    def post_anything(body):
        headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if provider == "meta_cloud" else {}
        response = post_webhook(channel, body, **headers)
        assert response.status_code in (200, 400, 401, 403, 404, 413), (response.status_code, body)
        seen.add(response.status_code)

    post_anything()

    assert 200 in seen and 400 in seen, seen  # both the accepting and the refusing paths were exercised
    for model in (InboundEvent, Message, Customer, Conversation):
        assert not model.objects.for_company(company_b).exists(), model
