"""Retention with the clock frozen: each company setting removes exactly what has expired, and nothing else."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from carts.models import Cart
from carts.tests.factories import CartFactory
from conversations.models import Conversation, InboundEvent, Message, ReceivedFile
from conversations.tests.factories import ChannelFactory, ConversationFactory, InboundEventFactory, MessageFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from flows.models import FlowPosition
from orders.tests.factories import OrderFactory
from privacy import tasks
from privacy.retention import retention_apply, retention_apply_company
from privacy.tests.factories import PrivacyRequestFactory
from tenants.services import company_setting_set
from tenants.tests.sweep_plans import claim_scans, sweep_run

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() answers what the test says (auto_now fields included)."""

    class Clock:
        now = T0

        def at(self, moment):
            self.now = moment

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


class Shop:
    """Rows of one company, created at the clock's time, the way the pipeline leaves them."""

    def __init__(self, company):
        self.company = company
        self.channel = ChannelFactory(company=company)

    def customer(self, *, ordered=False) -> Customer:
        customer = CustomerFactory(company=self.company)
        if ordered:
            OrderFactory(company=self.company, customer=customer)
        return customer

    def conversation(self, customer) -> Conversation:
        conversation = ConversationFactory(company=self.company, channel=self.channel, customer=customer)
        FlowPosition.objects.for_company(self.company).create(company=self.company, conversation=conversation)
        MessageFactory(conversation=conversation)
        return conversation

    def event(self, *, applied: bool) -> InboundEvent:
        return InboundEventFactory(
            company=self.company,
            channel=self.channel,
            status="processed" if applied else "received",
            processed_at=timezone.now() if applied else None,
        )

    def received_file(self, conversation, name) -> ReceivedFile:
        message = MessageFactory(
            conversation=conversation, kind="document", media_url="https://cdn.example/x", file_name=name
        )
        received = ReceivedFile(company=self.company, conversation=conversation, message=message, original_name=name)
        received.file.save(name, ContentFile(b"%PDF-1.4 " + name.encode()), save=False)
        received.save()
        return received

    def cart(self, **fields) -> Cart:
        return CartFactory(company=self.company, customer=self.customer(), last_activity_at=timezone.now(), **fields)


def left(model, company, rows) -> list[int]:
    return sorted(model.objects.for_company(company).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))


def test_raw_inbound_events_go_30_days_after_they_were_applied(clock, company_a, company_b):
    shop, other = Shop(company_a), Shop(company_b)
    old, pending = shop.event(applied=True), shop.event(applied=False)
    other_old = other.event(applied=True)
    clock.at(T0 + DAY)
    recent = shop.event(applied=True)
    company_setting_set(company=company_b, key="retention_inbound_events_days", value=45, value_type="number")

    clock.at(T0 + 30 * DAY + HOUR)
    result = retention_apply()

    assert left(InboundEvent, company_a, [old, pending, recent]) == sorted([pending.pk, recent.pk])
    assert left(InboundEvent, company_b, [other_old]) == [other_old.pk]  # company B keeps them 45 days
    assert result["inbound_events"] == 1
    clock.at(T0 + 45 * DAY + HOUR)
    retention_apply()
    assert left(InboundEvent, company_b, [other_old]) == []


def test_received_files_go_after_180_days_from_storage_too(clock, company_a):
    shop = Shop(company_a)
    conversation = shop.conversation(shop.customer(ordered=True))
    old = shop.received_file(conversation, "velho.pdf")
    clock.at(T0 + 10 * DAY)
    recent = shop.received_file(conversation, "novo.pdf")
    old_name, recent_name = old.file.name, recent.file.name

    clock.at(T0 + 180 * DAY + HOUR)
    result = retention_apply()

    assert left(ReceivedFile, company_a, [old, recent]) == [recent.pk]
    assert (default_storage.exists(old_name), default_storage.exists(recent_name)) == (False, True)
    message = Message.objects.for_company(company_a).get(pk=old.message_id)
    assert (message.media_url, message.file_name) == ("", "")  # the message stays, without its link
    assert result["received_files"] == 1


def test_conversations_of_customers_who_never_ordered_go_after_two_years(clock, company_a):
    shop = Shop(company_a)
    buyer = shop.conversation(shop.customer(ordered=True))
    browser = shop.conversation(shop.customer())
    clock.at(T0 + 100 * DAY)
    later = shop.conversation(shop.customer())

    clock.at(T0 + 730 * DAY + HOUR)
    result = retention_apply()

    assert left(Conversation, company_a, [buyer, browser, later]) == sorted([buyer.pk, later.pk])
    assert not Message.objects.for_company(company_a).filter(conversation=browser.pk).exists()
    assert not FlowPosition.objects.for_company(company_a).filter(conversation=browser.pk).exists()
    assert Customer.objects.for_company(company_a).filter(pk=browser.customer_id).exists()  # only the conversation goes
    assert result["conversations"] == 1


def test_untouched_bot_carts_go_after_the_companys_days(clock, company_a, company_b):
    shop, other = Shop(company_a), Shop(company_b)
    open_old = shop.cart()
    checked_out = shop.cart(status="checked_out")
    imported = shop.cart(source="woocommerce", status="abandoned", external_id="w1")
    other_cart = other.cart()
    clock.at(T0 + 5 * DAY)
    recent = shop.cart()
    company_setting_set(company=company_b, key="retention_abandoned_carts_days", value=30, value_type="number")

    clock.at(T0 + 7 * DAY + HOUR)
    result = retention_apply()

    assert left(Cart, company_a, [open_old, checked_out, imported, recent]) == sorted(
        [checked_out.pk, imported.pk, recent.pk]
    )
    assert left(Cart, company_b, [other_cart]) == [other_cart.pk]
    assert result["carts"] == 1


def test_export_zips_go_after_seven_days_and_their_record_stays(clock, company_a):
    request = PrivacyRequestFactory(company=company_a, finished_at=T0)
    request.file.save("zip.zip", ContentFile(b"PK"), save=True)
    name = request.file.name

    clock.at(T0 + 7 * DAY - HOUR)
    retention_apply()
    assert default_storage.exists(name)
    clock.at(T0 + 7 * DAY + HOUR)
    retention_apply()

    request.refresh_from_db()
    assert (request.file.name, default_storage.exists(name)) == ("", False)


def test_a_full_batch_asks_for_another_pass(clock, company_a, monkeypatch):
    shop = Shop(company_a)
    events = [shop.event(applied=True) for _ in range(3)]
    clock.at(T0 + 31 * DAY)
    queued = []
    monkeypatch.setattr(tasks, "RETENTION_BATCH", 2)
    monkeypatch.setattr(tasks, "task_publish", lambda task, **kwargs: queued.append(task.name))

    first = tasks.privacy_retention_task()
    second = tasks.privacy_retention_task()

    assert (first["inbound_events"], first["more"], second["inbound_events"], second["more"]) == (2, True, 1, False)
    assert queued == ["privacy.tasks.privacy_retention_task"]
    assert left(InboundEvent, company_a, events) == []


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("conversations_inboundevent", "inbound_applied_idx"),
        ("conversations_receivedfile", "receivedfile_company_idx"),
        ("conversations_conversation", "conversation_updated_idx"),
        ("carts_cart", "cart_untouched_idx"),
        ("privacy_privacyrequest", "privacyrequest_export_file_idx"),
    ],
)
def test_due_rows_are_found_through_an_index(clock, company_a, postgres_only, table, index):
    statements = sweep_run(lambda: retention_apply_company(company=company_a, now=T0, batch=10))
    (picks,) = [sql for sql in statements if sql.startswith("SELECT") and f'FROM "{table}"' in sql and "LIMIT" in sql]

    scans = [s.node for s in claim_scans(picks, seqscan=False) if s.table == table]

    # The planner may read the index directly or through a bitmap: either way, that index and no Seq Scan.
    assert "Seq Scan" not in scans, scans
    assert index in _indexes_used(picks), scans


def _indexes_used(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    if isinstance(plan, str):
        plan = json.loads(plan)
    found, pending = set(), [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        if "Index Name" in node:
            found.add(node["Index Name"])
        pending.extend(node.get("Plans", []))
    return found
