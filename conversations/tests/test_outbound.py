from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from conversations.handlers import OutboundIntent
from conversations.models import Channel, ChannelStatusChange, Message
from conversations.services import message_queue_outbound, message_status_apply, outbound_sweep
from conversations.services.outbound import messages_queue_outbound
from conversations.tasks import message_send_task
from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory
from integrations.messaging.console import ConsoleProvider
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope
from tenants.tests.sweep_plans import assert_reads_only_due_rows, claim_scans, claims, sweep_run


@pytest.fixture
def scope_a(company_a):
    with company_scope(company_a):
        yield company_a


def conversation_on(channel, phone="+5511987654321", contact_id="5511987654321@s.whatsapp.net"):
    return ConversationFactory(
        company=channel.company,
        channel=channel,
        customer__phone=phone,
        customer__provider_contact_ids={channel.provider: contact_id},
    )


def send(message):
    return message_send_task.apply(kwargs={"company_id": message.company_id, "message_id": message.pk})


def test_queue_writes_a_queued_row_and_sends_after_commit(
    channel_a, scope_a, enqueued, django_capture_on_commit_callbacks
):
    conversation = conversation_on(channel_a)

    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue_outbound(conversation=conversation, text="Olá!", delay_seconds=30)

    assert (message.status, message.direction, message.text) == ("queued", "out", "Olá!")
    assert abs((message.send_after - timezone.now()).total_seconds() - 30) < 5
    ids = {"company_id": channel_a.company_id, "message_id": message.pk, "conversation_id": message.conversation_id}
    assert enqueued.calls == [("message_send_task", ids, 30)]


def test_messages_of_one_transaction_due_together_share_one_send_task(
    channel_a, scope_a, enqueued, django_capture_on_commit_callbacks
):
    first, other = conversation_on(channel_a), conversation_on(channel_a, phone="+5511912345678")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        greeting = [message_queue_outbound(conversation=first, text=t, delay_seconds=d) for t, d in GREETING]
        elsewhere = message_queue_outbound(conversation=other, text="Olá!")

    ids = {"company_id": channel_a.company_id, "conversation_id": first.pk}
    assert enqueued.calls == [
        ("message_send_task", {**ids, "message_id": greeting[0].pk}, 0),
        ("message_send_task", {**ids, "message_id": greeting[1].pk}, 1),
        ("message_send_task", {**ids, "conversation_id": other.pk, "message_id": elsewhere.pk}, 0),
    ]
    # The task of the second group runs when all of them are due and sends them in order.
    Message.objects.filter(pk__in=[m.pk for m in greeting]).update(send_after=timezone.now())
    ConsoleProvider.clear_outbox()
    assert message_send_task.apply(kwargs={**ids, "message_id": greeting[1].pk}).result["sent"] == [
        m.pk for m in greeting
    ]


def test_a_turns_replies_are_one_insert_in_order_or_nothing_when_blocked(
    channel_a, scope_a, enqueued, django_assert_num_queries
):
    conversation = conversation_on(channel_a)
    intents = [OutboundIntent(text=t, delay_seconds=d) for t, d in GREETING]

    with django_assert_num_queries(1):
        queued = messages_queue_outbound(conversation=conversation, intents=intents, turn_reply=True)

    assert [(m.text, m.status) for m in Message.objects.order_by("send_after", "id")] == [
        (t, "queued") for t, _delay in GREETING
    ]
    assert [m.pk for m in queued] == list(Message.objects.order_by("id").values_list("pk", flat=True))
    channel_a.company.bot_enabled = False
    assert messages_queue_outbound(conversation=conversation, intents=intents, turn_reply=True) == []
    assert Message.objects.count() == len(GREETING)


GREETING = (("Olá!", 0), ("O cardápio:", 1), ("1. Calabresa", 1), ("Qual vai ser?", 1))


def test_a_rolled_back_block_does_not_take_the_next_messages_task_with_it(
    channel_a, scope_a, enqueued, django_capture_on_commit_callbacks
):
    conversation = conversation_on(channel_a)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                message_queue_outbound(conversation=conversation, text="desfeito")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        kept = message_queue_outbound(conversation=conversation, text="Olá!")

    assert enqueued.of("message_send_task") == [
        {"company_id": channel_a.company_id, "message_id": kept.pk, "conversation_id": conversation.pk}
    ]


def test_rolled_back_change_sends_nothing(channel_a, scope_a, enqueued, django_capture_on_commit_callbacks):
    conversation = conversation_on(channel_a)

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                message_queue_outbound(conversation=conversation, text="Olá!")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass

    assert Message.objects.count() == 0
    assert enqueued.calls == []


def test_console_send_marks_sent_and_replies_to_the_provider_id(channel_a, scope_a, enqueued):
    conversation = conversation_on(channel_a, contact_id="5511987654321")
    first = message_queue_outbound(conversation=conversation, text="um")
    second = message_queue_outbound(conversation=conversation, text="dois")

    send(second)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("sent", "sent")
    assert [(e.to, e.text) for e in ConsoleProvider.outbox] == [("5511987654321", "um"), ("5511987654321", "dois")]
    assert first.provider_message_id.startswith("console-")
    send(first)  # a second task for an already-sent message sends nothing
    assert len(ConsoleProvider.outbox) == 2


def uazapi_channel(company, url):
    return make_channel(company, provider="uazapi", name="uaz", base_url=url, credentials={"token": "tok"})


def test_permanent_error_fails_at_once_and_the_next_message_still_goes(company_a, scope_a, enqueued):
    with FakeServer() as server:
        server.add("POST", "/send/text", status=400, json={"error": "invalid number"}, times=1)
        server.add("POST", "/send/text", status=200, json={"messageid": "OK1"})
        conversation = conversation_on(uazapi_channel(company_a, server.url))
        bad = message_queue_outbound(conversation=conversation, text="um")
        good = message_queue_outbound(conversation=conversation, text="dois")

        send(bad)

    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.attempts, good.status) == ("failed", 1, "sent")
    assert "HTTP 400" in bad.error


def test_private_provider_url_is_refused_unless_allowed(company_a, scope_a, enqueued, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    conversation = conversation_on(uazapi_channel(company_a, "http://127.0.0.1:9"))
    message = message_queue_outbound(conversation=conversation, text="oi")

    send(message)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "private or local" in message.error


def test_receipts_never_move_a_status_backwards(channel_a, scope_a, enqueued):
    conversation = conversation_on(channel_a)
    message = message_queue_outbound(conversation=conversation, text="oi")
    send(message)
    message.refresh_from_db()
    pid = message.provider_message_id

    assert message_status_apply(channel=channel_a, provider_message_id=pid, status="read") is True
    assert message_status_apply(channel=channel_a, provider_message_id=pid, status="delivered") is False
    assert message_status_apply(channel=channel_a, provider_message_id=pid, status="failed") is False

    message.refresh_from_db()
    assert message.status == "read"
    assert message.read_at is not None


def test_sweep_resends_stuck_rows_and_expires_those_that_waited_out_a_disconnection(
    company_a, scope_a, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOUND_EXPIRE_AFTER_SECONDS = 3600
    up = make_channel(company_a, name="up")
    down = make_channel(company_a, name="down", status=Channel.Status.DISCONNECTED)
    stuck = message_queue_outbound(conversation=conversation_on(up), text="stuck")
    old = message_queue_outbound(conversation=conversation_on(down, phone="+5511912345678"), text="old")
    fresh = message_queue_outbound(conversation=conversation_on(up, phone="+5511955554444"), text="fresh")
    Message.objects.filter(pk=stuck.pk).update(send_after=timezone.now() - timedelta(minutes=5))
    Message.objects.filter(pk=old.pk).update(send_after=timezone.now() - timedelta(hours=2))
    enqueued.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = outbound_sweep()

    assert result == {"claimed": 2, "resent": 1, "expired": 1, "full": False}
    assert enqueued.of("message_send_task") == [
        {"company_id": company_a.pk, "message_id": stuck.pk, "conversation_id": stuck.conversation_id}
    ]
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "queued")
    assert "disconnected" in old.reason


def test_sweep_takes_a_batch_per_company(company_a, company_b, enqueued, django_capture_on_commit_callbacks):
    stuck = []
    for company in (company_a, company_b):
        with company_scope(company):
            conversation = conversation_on(make_channel(company))
            for text in ("um", "dois"):
                stuck.append(message_queue_outbound(conversation=conversation, text=text))
    Message.objects.unscoped().update(send_after=timezone.now() - timedelta(minutes=5))
    enqueued.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = outbound_sweep(batch=1)

    assert result == {"claimed": 2, "resent": 2, "expired": 0, "full": True}
    assert sorted(kwargs["company_id"] for kwargs in enqueued.of("message_send_task")) == [company_a.pk, company_b.pk]


def test_sweep_claim_reads_only_the_company_due_rows(postgres_only, company_a, company_b):
    for company in (company_a, company_b):
        with company_scope(company):
            conversation = conversation_on(make_channel(company))
            for text in ("um", "dois", "três"):
                message_queue_outbound(conversation=conversation, text=text)
    with company_scope(company_a):
        Message.objects.filter(text="um").update(send_after=timezone.now() - timedelta(minutes=5))

    per_company = [claim_scans(sql, seqscan=False) for sql in claims(sweep_run(outbound_sweep))]

    # Two claims per company, each through an index: queued rows (message_queued_due_idx, A's one due
    # row, none of B's), then claims whose worker died (message_sending_idx, none).
    assert_reads_only_due_rows(per_company, "conversations_message", [1, 0, 0, 0])


def test_old_message_expires_on_reconnect_instead_of_being_sent(channel_a, scope_a, enqueued, settings):
    settings.OUTBOUND_EXPIRE_AFTER_SECONDS = 60
    message = message_queue_outbound(conversation=conversation_on(channel_a), text="late")
    Message.objects.filter(pk=message.pk).update(
        send_after=timezone.now() - timedelta(minutes=10), created_at=timezone.now() - timedelta(minutes=10)
    )
    ChannelStatusChange.objects.create(
        company_id=channel_a.company_id, channel=channel_a, from_status="connected", to_status="disconnected"
    )

    send(message)

    message.refresh_from_db()
    assert message.status == "expired"
    assert ConsoleProvider.outbox == []


def test_disconnected_channel_keeps_messages_queued(company_a, scope_a, enqueued):
    channel = make_channel(company_a, status=Channel.Status.DISCONNECTED)
    message = message_queue_outbound(conversation=conversation_on(channel), text="oi")

    result = send(message)

    message.refresh_from_db()
    assert message.status == "queued"
    assert result.result["waiting"] == "channel_disconnected"
    assert ConsoleProvider.outbox == []
