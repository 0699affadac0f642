import json
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from conversations.handlers import OutboundIntent, bot_handler_replaced
from conversations.models import Conversation, Message
from conversations.processing import conversation_process, processing_finished
from conversations.services import controls
from conversations.services.controls import is_opt_out
from conversations.tasks import conversation_process_task
from customers.models import Customer
from tenants.scoping import company_scope
from tenants.services import company_setting_set

BOT_CALLS: list[str] = []


def echo_bot(*, conversation, text, message):
    BOT_CALLS.append(text)
    return [OutboundIntent(text=f"eco: {text}")]


@pytest.fixture(autouse=True)
def _echo():
    BOT_CALLS.clear()
    with bot_handler_replaced(echo_bot):
        yield


def say(post_webhook, channel, text, n, sender="5511987654321"):
    return post_webhook(channel, {"from": sender, "text": text, "id": f"m-{sender}-{n}"})


def quiet():
    """Pretend the debounce window has passed for every buffered message."""
    Message.objects.unscoped().update(created_at=timezone.now() - timedelta(seconds=60))  # unscoped: test


def run_all(enqueued):
    results = []
    for kwargs in enqueued.of("conversation_process_task"):
        results.append(conversation_process_task.apply(kwargs=kwargs).result)
    return results


def outbound_texts():
    return list(Message.objects.unscoped().filter(direction="out").values_list("text", flat=True))  # unscoped: test


def test_three_messages_in_the_window_are_processed_once_with_joined_text(channel_a, post_webhook, enqueued):
    for n, text in enumerate(["quero", "uma pizza", "grande"]):
        say(post_webhook, channel_a, text, n)
    quiet()

    assert run_all(enqueued) == ["processed"]  # one run enqueued for the burst, not one per message

    assert BOT_CALLS == ["quero\numa pizza\ngrande"]
    statuses = Message.objects.unscoped().filter(direction="in").values_list("status", flat=True)  # unscoped: test
    assert list(statuses) == ["processed"] * 3
    assert outbound_texts() == ["eco: quero\numa pizza\ngrande"]


def test_processing_waits_while_the_buffer_is_not_quiet(channel_a, post_webhook, enqueued):
    say(post_webhook, channel_a, "oi", 1)
    say(post_webhook, channel_a, "tudo bem?", 2)
    (first,) = enqueued.calls
    enqueued.calls.clear()

    assert conversation_process_task.apply(kwargs=first[1]).result == "not_due"

    ((name, again, countdown),) = enqueued.calls
    assert (name, again) == ("conversation_process_task", first[1])
    assert 0 < countdown <= 5.5  # the rest of the window after the newest message
    assert BOT_CALLS == []
    assert Message.objects.unscoped().filter(status="received").count() == 2  # unscoped: test
    quiet()
    assert conversation_process_task.apply(kwargs=again).result == "processed"
    assert BOT_CALLS == ["oi\ntudo bem?"]


def test_a_message_committed_while_a_run_ends_is_scheduled_not_stranded(channel_a, post_webhook, enqueued):
    say(post_webhook, channel_a, "oi", 1)
    (kwargs,) = enqueued.of("conversation_process_task")
    quiet()
    with company_scope(channel_a.company_id):
        assert conversation_process(conversation_id=kwargs["conversation_id"]).result == "processed"
    say(post_webhook, channel_a, "mais uma coisa", 2)  # the run's mark is still there: no publish
    assert len(enqueued.of("conversation_process_task")) == 1

    assert processing_finished(**kwargs) is True  # clears the mark, finds the message, schedules it

    assert len(enqueued.of("conversation_process_task")) == 2
    quiet()
    assert conversation_process_task.apply(kwargs=enqueued.of("conversation_process_task")[-1]).result == "processed"
    assert BOT_CALLS == ["oi", "mais uma coisa"]


def test_without_the_pending_mark_every_message_is_still_scheduled(channel_a, post_webhook, enqueued, monkeypatch):
    add = cache.add

    def broken(key, *args, **kwargs):
        if key.startswith("conv-process-pending:"):
            raise ConnectionError("cache down")
        return add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", broken)

    for n in range(2):
        assert say(post_webhook, channel_a, f"msg {n}", n).status_code == 200

    assert len(enqueued.of("conversation_process_task")) == 2


def test_joined_text_is_capped_but_no_message_is_lost(channel_a, company_a, post_webhook, enqueued):
    company_a.max_buffer_text_chars = 12
    company_a.save()
    for n in range(3):
        say(post_webhook, channel_a, "abcdefgh", n)
    quiet()

    run_all(enqueued)

    assert BOT_CALLS == ["abcdefgh\nabc"]
    assert Message.objects.unscoped().filter(status="processed").count() == 3  # unscoped: test


def answered_after(post_webhook, channel, enqueued, text="oi", n=1, sender="5511987654321"):
    say(post_webhook, channel, text, n, sender)
    quiet()
    run_all(enqueued)
    enqueued.calls.clear()
    return outbound_texts()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bot_enabled": False}, "bot_disabled"),
        ({"bot_status": "paused"}, "bot_paused"),
        ({"bot_status": "maintenance"}, "maintenance"),
        ({"test_mode": True, "test_contact": "+5521999998888"}, "test_mode"),
    ],
)
def test_bot_controls_store_but_do_not_answer(channel_a, company_a, post_webhook, enqueued, change, reason):
    for field, value in change.items():
        setattr(company_a, field, value)
    company_a.save()

    assert answered_after(post_webhook, channel_a, enqueued) == []

    message = Message.objects.unscoped().get()  # unscoped: test
    assert (message.status, message.reason) == ("ignored", reason)
    assert BOT_CALLS == []


def test_maintenance_sends_the_optional_notice(channel_a, company_a, post_webhook, enqueued):
    company_a.bot_status = "maintenance"
    company_a.save()
    company_setting_set(company=company_a, key="maintenance_message", value="Voltamos já!", value_type="string")

    assert answered_after(post_webhook, channel_a, enqueued) == ["Voltamos já!"]
    assert BOT_CALLS == []


def test_test_mode_answers_only_the_test_contact(channel_a, company_a, post_webhook, enqueued):
    company_a.test_mode, company_a.test_contact = True, "(11) 98765-4321"
    company_a.save()

    assert answered_after(post_webhook, channel_a, enqueued, sender="5521999998888") == []
    assert answered_after(post_webhook, channel_a, enqueued, sender="5511987654321", n=2) == ["eco: oi"]


def test_human_handoff_pauses_the_bot_for_that_conversation(channel_a, post_webhook, enqueued):
    answered_after(post_webhook, channel_a, enqueued)
    Conversation.objects.unscoped().update(bot_paused=True)  # unscoped: test (a GOSAC ticket did this)

    assert answered_after(post_webhook, channel_a, enqueued, text="ainda aí?", n=2) == ["eco: oi"]
    assert Message.objects.unscoped().get(provider_message_id="m-5511987654321-2").reason == "handoff"  # unscoped


def test_opt_out_word_stops_answers_until_the_customer_writes_again(channel_a, post_webhook, enqueued):
    assert answered_after(post_webhook, channel_a, enqueued, text="Sair!", n=1) == []
    customer = Customer.objects.unscoped().get()  # unscoped: test
    assert customer.opted_out_at is not None
    with company_scope(channel_a.company_id):
        from conversations.services import message_queue_outbound

        assert message_queue_outbound(conversation=Conversation.objects.get(), text="promo") is None

    assert answered_after(post_webhook, channel_a, enqueued, text="oi de novo", n=2) == ["eco: oi de novo"]
    customer.refresh_from_db()
    assert customer.opted_out_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SAIR", True),
        ("parar", True),
        (" Stop. ", True),
        ("CANCELÁR", True),
        ("cancelar!!", True),
        ("quero cancelar o pedido", False),
        ("saira", False),
        ("", False),
    ],
)
def test_opt_out_words_are_whole_message_accent_and_case_insensitive(text, expected):
    assert is_opt_out(text) is expected


@pytest.fixture
def one_minute(monkeypatch):
    """The rate limit's clock stays in the minute the test started (no flake at a minute boundary)."""
    start = time.time()
    monkeypatch.setattr(controls, "time", SimpleNamespace(time=lambda: start))


def test_rate_limit_stores_but_does_not_answer_past_it(channel_a, company_a, post_webhook, enqueued, one_minute):
    company_a.webhook_rate_limit_per_min = 2
    company_a.save()

    answers = [say(post_webhook, channel_a, f"msg {n}", n).applied["results"][0] for n in range(3)]

    assert [a["reason"] for a in answers] == ["", "", "rate_limited"]
    assert list(Message.objects.unscoped().values_list("status", flat=True)) == ["received", "received", "ignored"]
    assert len(enqueued.of("conversation_process_task")) == 1  # one pending run for the conversation


def test_rate_limit_counts_stored_messages_when_the_cache_is_down(
    channel_a, company_a, post_webhook, enqueued, settings, one_minute
):
    company_a.webhook_rate_limit_per_min = 2
    company_a.save()
    # Redis configured but refusing connections: the delivery must still be accepted and counted.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }

    answers = [say(post_webhook, channel_a, f"msg {n}", n) for n in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.applied["results"][0]["reason"] for a in answers] == ["", "", "rate_limited"]
    assert list(Message.objects.unscoped().values_list("status", flat=True)) == [
        "received",
        "received",
        "ignored",
    ]  # unscoped: test reads every row


def test_the_companys_own_opt_out_words_and_goodbye_message(channel_a, company_a, post_webhook, enqueued):
    company_setting_set(company=company_a, key="opt_out_words", value="Chega, não quero mais")
    company_setting_set(company=company_a, key="opt_out_message", value="Tudo bem, você não receberá mais mensagens.")

    assert answered_after(post_webhook, channel_a, enqueued, text="sair", n=1) == ["eco: sair"]  # not one of ours
    goodbye = ["eco: sair", "Tudo bem, você não receberá mais mensagens."]
    assert answered_after(post_webhook, channel_a, enqueued, text="CHEGA!", n=2) == goodbye
    customer = Customer.objects.unscoped().get()  # unscoped: test
    assert customer.opted_out_at is not None
    assert answered_after(post_webhook, channel_a, enqueued, text="Não quero mais", n=3) == goodbye  # said once


def _apply_task_of(client, channel, capture, enqueued, text, n):
    """Post a webhook, then run its apply task as the worker would (debounce as the company says)."""
    from conversations.tasks import inbound_event_apply_task

    with capture(execute=True):
        client.post(
            reverse("webhook", args=[channel.inbound_key]),
            data=json.dumps({"from": "5511987654321", "text": text, "id": f"inline-{n}"}),
            content_type="application/json",
        )
    with capture(execute=True):
        return inbound_event_apply_task.apply(kwargs=enqueued.stored_events[-1], throw=True).result


def test_with_no_debounce_the_apply_task_answers_itself_without_a_processing_task(
    channel_a, company_a, client, enqueued, django_capture_on_commit_callbacks
):
    company_a.message_debounce_seconds = 0
    company_a.save(update_fields=["message_debounce_seconds"])

    for n, text in enumerate(["oi", "tudo bem?"]):
        assert _apply_task_of(client, channel_a, django_capture_on_commit_callbacks, enqueued, text, n) == "accepted"

    assert enqueued.of("conversation_process_task") == []
    assert BOT_CALLS == ["oi", "tudo bem?"]  # each in its own turn, in order
    assert outbound_texts() == ["eco: oi", "eco: tudo bem?"]
    assert len(enqueued.of("message_send_task")) == 2


def test_with_a_debounce_the_apply_task_leaves_the_turn_to_the_debounced_task(
    channel_a, company_a, client, enqueued, django_capture_on_commit_callbacks
):
    company_a.message_debounce_seconds = 5
    company_a.save(update_fields=["message_debounce_seconds"])

    assert _apply_task_of(client, channel_a, django_capture_on_commit_callbacks, enqueued, "oi", 0) == "accepted"

    assert BOT_CALLS == []
    assert [countdown for name, _, countdown in enqueued.calls if name == "conversation_process_task"] == [5]
