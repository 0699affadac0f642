"""How PostgreSQL reads the inbox: the waiting conversations (first tab, and the header badge on every
admin page) through the partial index of conversations with a person or the bot paused, so the rows
read are those few, not the company's whole history; a page of a conversation's history as one range
of its index, so a conversation of 10,000 messages costs what one of 40 does."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conversations.models import Channel, Conversation, Message
from conversations.selectors import (
    CHAT_LIVE_MAX,
    CHAT_PAGE,
    Cursor,
    InboxTab,
    history_query,
    inbox_conversations,
    live_query,
    needs_human,
)
from customers.models import Customer
from tenants.scoping import company_scope

HISTORY = 3000  # conversations of the company that are with the bot
WAITING = 5
LONG = 10_000  # messages of the long conversation (and half as many in another)


def scans_of(table: str, queryset) -> list[tuple[str, str | None, int]]:
    """(node, index, rows read) of every scan of `table` in the plan's main query."""
    wanted = table
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found = []

    def walk(node: dict, table: str | None) -> None:
        table = node.get("Relation Name", table)  # a node below a scan (a Bitmap Index Scan) belongs to it
        if table == wanted and "Scan" in node["Node Type"]:
            read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            found.append((node["Node Type"], node.get("Index Name"), read * node["Actual Loops"]))
        for child in node.get("Plans", []):
            walk(child, None if node.get("Parent Relationship") == "SubPlan" else table)

    walk(plan[0]["Plan"], None)
    return found


@pytest.fixture
def busy_company(company_a, postgres_only):
    with company_scope(company_a):
        channel = Channel.objects.create(company=company_a, name="loja", status="connected")
        people = Customer.objects.bulk_create(
            Customer(company=company_a, phone=f"+55119{n:08d}") for n in range(HISTORY + WAITING)
        )
        Conversation.objects.bulk_create(
            Conversation(
                company=company_a,
                channel=channel,
                customer=person,
                status="handoff" if n < WAITING else "completed",
                bot_paused=n < WAITING,
                staff_read_at=timezone.now(),
            )
            for n, person in enumerate(people)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversations_conversation")
    return company_a


def test_the_waiting_tab_reads_only_the_waiting_conversations(busy_company):
    with company_scope(busy_company):
        scans = scans_of(
            "conversations_conversation", inbox_conversations(company=busy_company, tab=InboxTab.WAITING)[:50]
        )

    assert [(node, index) for node, index, _ in scans] == [("Index Scan", "conversation_needs_human_idx")]
    assert scans[0][2] <= WAITING


def test_the_header_badge_count_reads_only_the_waiting_conversations(busy_company):
    with company_scope(busy_company):
        waiting = Conversation.objects.filter(needs_human(busy_company))
        scans = scans_of("conversations_conversation", waiting.values("pk"))

    assert {index for _, index, _ in scans} == {"conversation_needs_human_idx"}
    assert sum(read for *_, read in scans) <= WAITING


def test_a_page_of_a_long_conversation_reads_one_page_of_its_messages(company_a, postgres_only):
    with company_scope(company_a):
        channel = Channel.objects.create(company=company_a, name="loja", status="connected")
        people = Customer.objects.bulk_create(Customer(company=company_a, phone=f"+55119{n:08d}") for n in range(2))
        long, other = Conversation.objects.bulk_create(
            Conversation(company=company_a, channel=channel, customer=person) for person in people
        )
        start = timezone.now() - timedelta(days=3)
        Message.objects.bulk_create(
            Message(
                company=company_a,
                conversation=long if n < LONG else other,
                channel=channel,
                direction="in",
                text="oi",
                status="processed",
                created_at=start + timedelta(seconds=n),
            )
            for n in range(LONG + LONG // 2)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversations_message")
    with company_scope(company_a):
        before = Cursor.of(Message.objects.filter(conversation=long).order_by("created_at", "id")[LONG // 2])
        latest = scans_of("conversations_message", history_query(long, None)[: CHAT_PAGE + 1])
        older = scans_of("conversations_message", history_query(long, before)[: CHAT_PAGE + 1])
        live = scans_of("conversations_message", live_query(long, before)[:CHAT_LIVE_MAX])

    assert [(node, index) for node, index, _ in live] == [("Index Scan", "message_conversation_idx")]
    assert live[0][2] <= CHAT_LIVE_MAX + 1
    for scans in (latest, older):
        assert [(node, index) for node, index, _ in scans] == [("Index Scan", "message_conversation_idx")]
        assert scans[0][2] <= CHAT_PAGE + 3  # the page, the one saying there is more, and the sort's lookahead
