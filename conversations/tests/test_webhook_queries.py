"""The webhook's database work per request is fixed: no query grows with traffic or history."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.models import Message

# One delivery of a known customer: channel lookup; the transaction (a savepoint inside the test's
# own transaction) with the event insert, the apply savepoint, customer and conversation lookups,
# the message insert in its own savepoint, the event's status update.
KNOWN_CUSTOMER_QUERIES = 12
# A first message also creates the customer and the conversation (get_or_create: savepoint + insert).
NEW_CUSTOMER_QUERIES = KNOWN_CUSTOMER_QUERIES + 6


def deliver(post_webhook, channel, sender: str, message_id: str):
    with CaptureQueriesContext(connection) as captured:
        response = post_webhook(channel, {"from": sender, "text": "oi", "id": message_id})
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    return [query["sql"] for query in captured.captured_queries]


def test_queries_per_webhook_request_are_constant(channel_a, post_webhook, enqueued):
    deliver(post_webhook, channel_a, "5511987654321", "warm-up")

    known = [deliver(post_webhook, channel_a, "5511987654321", f"k-{n}") for n in range(5)]
    new = [deliver(post_webhook, channel_a, f"55119876500{n:02d}", f"n-{n}") for n in range(5)]

    assert [len(queries) for queries in known] == [KNOWN_CUSTOMER_QUERIES] * 5, known[0]
    assert [len(queries) for queries in new] == [NEW_CUSTOMER_QUERIES] * 5, new[0]
    assert Message.objects.for_company(channel_a.company_id).count() == 11


def test_webhook_reads_no_company_row_and_writes_no_conversation_row(channel_a, post_webhook, enqueued):
    """The company comes with the channel (one join); the conversation row, locked while a send or
    a processing run holds it, is never updated by the request (it would wait for them)."""
    deliver(post_webhook, channel_a, "5511987654321", "first")

    queries = deliver(post_webhook, channel_a, "5511987654321", "second")

    assert not [sql for sql in queries if sql.startswith('SELECT "tenants_company"')]
    assert not [sql for sql in queries if sql.startswith('UPDATE "conversations_conversation"')]
    assert len([sql for sql in queries if sql.startswith("SELECT")]) == 3  # channel, customer, conversation
