"""Never a silent loss: whatever a provider sends, a 200 means applied or ignored with a reason.

The request stores and publishes; `post_webhook` then runs the worker's apply (`inbound_event_process`)
on the stored event, so every property here holds on the worker path.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.models import Conversation, InboundEvent, Message
from conversations.providers import IncomingMessage, MessageKind, TicketUpdate, Unsupported
from conversations.services.inbound import inbound_event_apply
from conversations.tests.conftest import make_channel
from conversations.tests.test_provider_payloads import CREDENTIALS, meta_signature
from conversations.tests.test_webhook_robustness import PROVIDERS, samples
from customers.models import Customer
from tenants.scoping import company_scope

# Strings no column can hold as they are (NUL, lone surrogates), and some that only look odd.
HOSTILE_TEXT = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=20
) | st.sampled_from(["\x00", "\ud800", "a\udfffb", "\x00\ud83d", "\ufffe", "x" * 5000, "\u202e", "💥"])


def nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def hostile_sample(draw, provider: str):
    """A real payload of the provider with one leaf replaced by a hostile string or deep nesting."""
    value = draw(st.sampled_from(samples(provider)))

    def mutate(node):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            return {**node, key: mutate(node[key])}
        if isinstance(node, list) and node:
            index = draw(st.integers(0, len(node) - 1))
            return [*node[:index], mutate(node[index]), *node[index + 1 :]]
        return draw(HOSTILE_TEXT | st.integers(1, 300).map(lambda depth: nested("oi", depth)))

    # Escaped (\u0000, \ud800) as a JSON encoder writes them, or raw bytes where UTF-8 allows.
    return json.dumps(mutate(value), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_strings_and_nesting_are_answered_2xx_4xx_and_a_200_is_never_failed(
    company_a, company_b, post_webhook, enqueued, provider
):
    channel = make_channel(company_a, provider=provider, credentials=CREDENTIALS[provider])
    make_channel(company_b, provider=provider, name="b", credentials=CREDENTIALS[provider])
    seen = set()

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=hostile_sample(provider))
    def post(body):
        headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if provider == "meta_cloud" else {}
        response = post_webhook(channel, body, **headers)
        assert 200 <= response.status_code < 500, (response.status_code, body)
        seen.add(response.status_code)
        if response.status_code != 200:
            return
        answer = response.applied  # the worker's apply of what the thin request stored
        assert answer is not None and response.json()["status"] == "received", (response.json(), body)
        with company_scope(company_a):
            event = InboundEvent.objects.get(pk=answer["event_id"])
        assert answer["status"] in ("accepted", "ignored"), (answer, body)
        assert event.status in ("processed", "ignored"), (event.status, event.reason, body)
        assert event.status == "processed" or event.reason, body  # an ignored event says why

    post()

    assert 200 in seen, seen
    for model in (InboundEvent, Message, Customer, Conversation):  # nothing landed in the other company
        assert not model.objects.for_company(company_b).exists(), model
    for model in (InboundEvent, Message, Customer, Conversation):
        assert not model.objects.for_company(company_b).exists(), model


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unstorable_text_that_got_past_the_door_is_stored_replaced_not_failed(company_a, enqueued, provider):
    """A parser may still hand over NUL or lone surrogates (a replayed event, a non-JSON body):
    applying stores them as U+FFFD instead of failing the event."""
    channel = make_channel(company_a, provider=provider, credentials=CREDENTIALS[provider])
    with company_scope(company_a):
        event = InboundEvent.objects.create(company=company_a, channel=channel, headers={}, body="{}")
        message = IncomingMessage(
            provider_message_id="id\x00\ud800",
            chat_id="5511987654321\udc00",
            kind=MessageKind.TEXT,
            text="quero\x00 uma pizza \ud83d",
            sender_phone="5511987654321",
            sender_name="Ma\x00ria",
            file_name="a\ud800.pdf",
        )

        answer = inbound_event_apply(event, events=[message])

        event.refresh_from_db()
        assert (answer["status"], event.status) == ("accepted", "processed")
        stored = Message.objects.get()
        assert (stored.text, stored.provider_message_id) == ("quero\ufffd uma pizza \ufffd", "id\ufffd\ufffd")
        customer = Customer.objects.get()
        assert (customer.name, customer.provider_contact_ids) == ("Ma\ufffdria", {provider: "5511987654321\ufffd"})


def test_an_event_name_longer_than_its_column_is_ignored_with_a_truncated_reason(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="gosac", credentials=CREDENTIALS["gosac"])

    answer = post_webhook(channel, {"type": "x" * 5000, "data": {}}).applied

    with company_scope(company_a):
        event = InboundEvent.objects.get()
    assert (answer["status"], event.status) == ("ignored", "ignored")
    assert event.reason.startswith("gosac event xxx") and len(event.reason) == 255


def test_one_bad_message_of_a_meta_batch_keeps_the_good_ones(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="meta_cloud", credentials=CREDENTIALS["meta_cloud"])
    payload = json.loads(samples_raw("meta_cloud", "text"))
    good = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    payload["entry"][0]["changes"][0]["value"]["messages"] = [{"id": "no-sender"}, good, {**good, "id": "wamid.2"}]
    body = json.dumps(payload).encode()

    response = post_webhook(channel, body, HTTP_X_HUB_SIGNATURE_256=meta_signature(body))

    assert response.status_code == 200
    with company_scope(company_a):
        event = InboundEvent.objects.get()
        assert sorted(Message.objects.values_list("provider_message_id", flat=True)) == ["wamid.2", "wamid.xyzxyz"]
    assert event.status == "processed"
    assert event.reason.startswith("meta: unreadable messages[]")  # the bad one is recorded


def test_a_message_written_while_an_agent_held_the_ticket_stays_unanswered_after_it_closes(company_a, enqueued):
    """The ticket closes inside the debounce window: the held message is still not the bot's."""
    channel = make_channel(company_a, provider="gosac", credentials=CREDENTIALS["gosac"])
    with company_scope(company_a):
        held = InboundEvent.objects.create(company=company_a, channel=channel, headers={}, body="{}")
        message = IncomingMessage(provider_message_id="m1", chat_id="24914", kind=MessageKind.TEXT, text="oi")
        inbound_event_apply(held, events=[TicketUpdate("8812", "24914", "open", "7"), message])
        closed = InboundEvent.objects.create(company=company_a, channel=channel, headers={}, body="{}")
        inbound_event_apply(closed, events=[TicketUpdate("8812", "24914", "closed", "7"), Unsupported("x")])

        assert list(Message.objects.values_list("status", "reason")) == [("ignored", "handoff")]
        assert Conversation.objects.get().bot_paused is False
    assert enqueued.of("conversation_process_task") == []


def samples_raw(provider: str, name: str) -> bytes:
    from integrations.messaging.tests.support import raw

    return raw(provider, name)
