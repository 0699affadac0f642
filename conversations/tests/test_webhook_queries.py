"""The webhook's database work per request is fixed and tiny: the channel, the raw event, nothing else.

The request stores and publishes (the thin request); the worker applies. Both are counted here: the
request's queries, and the worker's apply of a known and of a new customer, constant with traffic.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Message
from conversations.services import inbound_event_process
from tenants.scoping import company_scope

# The channel (with its company, one join) and the INSERT of the raw event.
REQUEST_QUERIES = 2
# The worker: the event (with channel and company); its transaction (a savepoint inside the test's);
# customer and conversation lookups; the message INSERT ... ON CONFLICT DO NOTHING; the event's status.
APPLY_KNOWN_CUSTOMER_QUERIES = 7
# A first message also inserts the customer and the conversation (one statement each), and does not
# look for a conversation of the customer it has just created.
APPLY_NEW_CUSTOMER_QUERIES = APPLY_KNOWN_CUSTOMER_QUERIES + 1


def deliver(client, capture, channel, sender: str, message_id: str) -> tuple[list[str], list[str]]:
    url = reverse("webhook", args=[channel.inbound_key])
    body = {"from": sender, "text": "oi", "id": message_id}
    with CaptureQueriesContext(connection) as request, capture(execute=True):
        response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    with CaptureQueriesContext(connection) as worker, company_scope(channel.company_id), capture(execute=True):
        assert inbound_event_process(event_id=response.json()["event_id"])["status"] == "accepted"
    return [q["sql"] for q in request.captured_queries], [q["sql"] for q in worker.captured_queries]


def test_queries_per_webhook_request_and_apply_are_constant(
    channel_a, client, django_capture_on_commit_callbacks, enqueued
):
    capture = django_capture_on_commit_callbacks
    deliver(client, capture, channel_a, "5511987654321", "warm-up")

    known = [deliver(client, capture, channel_a, "5511987654321", f"k-{n}") for n in range(5)]
    new = [deliver(client, capture, channel_a, f"55119876500{n:02d}", f"n-{n}") for n in range(5)]

    assert [len(request) for request, _ in known + new] == [REQUEST_QUERIES] * 10, known[0][0]
    assert [len(apply) for _, apply in known] == [APPLY_KNOWN_CUSTOMER_QUERIES] * 5, known[0][1]
    assert [len(apply) for _, apply in new] == [APPLY_NEW_CUSTOMER_QUERIES] * 5, new[0][1]
    assert Message.objects.for_company(channel_a.company_id).count() == 11


def test_the_request_only_reads_the_channel_and_inserts_the_event(
    channel_a, client, django_capture_on_commit_callbacks, enqueued
):
    """No customer, conversation or message is touched in the request (the worker does it), so a
    request never waits for a row a processing run or a send holds."""
    request, apply = deliver(client, django_capture_on_commit_callbacks, channel_a, "5511987654321", "first")

    assert request[0].startswith('SELECT "conversations_channel"')
    assert request[1].startswith('INSERT INTO "conversations_inboundevent"')
    assert not [sql for sql in apply if sql.startswith('UPDATE "conversations_conversation"')]


def test_with_the_channel_kept_per_process_a_delivery_is_one_insert(
    channel_a, client, django_capture_on_commit_callbacks, enqueued, settings
):
    """WEBHOOK_CHANNEL_CACHE_SECONDS: the channel found by key is kept; saving a channel (or a
    company) in this process forgets it, so a change made here applies to the next delivery."""
    from conversations.api.webhooks import forget_found_channels

    settings.WEBHOOK_CHANNEL_CACHE_SECONDS = 60
    forget_found_channels()
    capture = django_capture_on_commit_callbacks
    deliver(client, capture, channel_a, "5511987654321", "c-1")

    kept, _ = deliver(client, capture, channel_a, "5511987654321", "c-2")
    channel_a.save()
    read_again, _ = deliver(client, capture, channel_a, "5511987654321", "c-3")
    channel_a.company.active = False
    channel_a.company.save()
    gone = client.post(
        reverse("webhook", args=[channel_a.inbound_key]), data={"from": "1"}, content_type="application/json"
    )

    assert [sql.split()[0] for sql in kept] == ["INSERT"]
    assert len(read_again) == REQUEST_QUERIES
    assert gone.status_code == 404
    forget_found_channels()
