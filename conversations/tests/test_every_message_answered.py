"""Every processed customer message gets an answer (issue 20): a failing bot turn becomes an apology,
a handoff and an error on the conversation's timeline; a turn that answers nothing says how to go on."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.handlers import OutboundIntent, bot_handler_replaced
from conversations.models import Conversation, ConversationEvent, Message
from conversations.processing import BOT_FAILED_TEXT, NOT_UNDERSTOOD_TEXT
from conversations.tasks import conversation_process_task
from customers.models import Customer


def failing_bot(*, conversation, text, message):
    Customer.objects.for_company(conversation.company_id).filter(pk=conversation.customer_id).update(name="written")
    raise ValueError("Pix phone key must be +55, a 2-digit area code and 8 or 9 digits")


def silent_bot(*, conversation, text, message):
    return []


def run(post_webhook, enqueued, channel, text, n=1):
    post_webhook(channel, {"from": "5511987654321", "text": text, "id": f"m-{n}"})
    Message.objects.unscoped().update(created_at=timezone.now() - timedelta(seconds=60))  # unscoped: test
    results = [
        conversation_process_task.apply(kwargs=kwargs).result for kwargs in enqueued.of("conversation_process_task")
    ]
    enqueued.calls.clear()
    return results


def outbound():
    return list(Message.objects.unscoped().filter(direction="out").values_list("text", flat=True))  # unscoped: test


@pytest.mark.django_db
def test_an_exception_in_the_bot_becomes_an_apology_a_handoff_and_a_staff_visible_error(
    channel_a, post_webhook, enqueued, settings
):
    settings.LANGUAGE_CODE = "en"
    with bot_handler_replaced(failing_bot):
        assert run(post_webhook, enqueued, channel_a, "pix") == ["processed"]

    assert outbound() == [BOT_FAILED_TEXT]
    conversation = Conversation.objects.unscoped().get()  # unscoped: test
    assert (conversation.status, conversation.bot_paused) == ("handoff", True)
    event = ConversationEvent.objects.unscoped().get()  # unscoped: test
    assert event.kind == ConversationEvent.Kind.BOT_ERROR
    assert event.detail.startswith("ValueError: Pix phone key")
    # what the failing turn wrote is rolled back; the buffer is not stuck
    assert Customer.objects.unscoped().get().name != "written"  # unscoped: test
    assert set(Message.objects.unscoped().filter(direction="in").values_list("status", flat=True)) == {
        "processed"
    }  # unscoped: test


@pytest.mark.django_db
def test_the_apology_is_in_portuguese(channel_a, post_webhook, enqueued, settings):
    settings.LANGUAGE_CODE = "pt-br"
    with bot_handler_replaced(failing_bot):
        run(post_webhook, enqueued, channel_a, "pix")
    (text,) = outbound()
    assert "atendente" in text or "equipe" in text


@pytest.mark.django_db
def test_a_turn_without_an_answer_says_how_to_start_over(channel_a, post_webhook, enqueued, settings):
    settings.LANGUAGE_CODE = "en"
    with bot_handler_replaced(silent_bot):
        run(post_webhook, enqueued, channel_a, "hmm")
    assert outbound() == [NOT_UNDERSTOOD_TEXT]


@pytest.mark.django_db
def test_a_handed_off_conversation_stays_silent(channel_a, post_webhook, enqueued, settings):
    with bot_handler_replaced(lambda **kw: [OutboundIntent(text="x")]):
        run(post_webhook, enqueued, channel_a, "oi", 1)
    Conversation.objects.unscoped().update(bot_paused=True, status="handoff")  # unscoped: test
    with bot_handler_replaced(silent_bot):
        run(post_webhook, enqueued, channel_a, "alô", 2)
    assert outbound() == ["x"]


@pytest.mark.django_db
def test_a_conversation_thrown_away_before_its_run_is_nothing_to_do(channel_a, post_webhook, enqueued):
    """The console chat's "start over" inside the debounce window deletes the conversation its
    pending run names: the run finds nothing, no DoesNotExist in the worker."""
    post_webhook(channel_a, {"from": "5511987654321", "text": "oi", "id": "m-1"})
    (kwargs,) = enqueued.of("conversation_process_task")
    Conversation.objects.unscoped().all().delete()  # unscoped: test

    assert conversation_process_task.apply(kwargs=kwargs, throw=True).result == "nothing"
