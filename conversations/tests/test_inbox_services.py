"""The staff inbox's writes: take over, hand back, resolve, reply (through the outbox), unread, tickets."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from conversations.models import Channel, Conversation, ConversationEvent, Message
from conversations.processing import conversation_process
from conversations.selectors import (
    InboxTab,
    conversation_unread_count,
    inbox_conversations,
    inbox_page,
    inbox_waiting_count,
)
from conversations.services import (
    ReplyRefused,
    ResumePoint,
    conversation_mark_read,
    conversation_release,
    conversation_reply,
    conversation_resolve,
    conversation_send_due,
    conversation_take_over,
    message_queue_outbound,
)
from conversations.services.inbound import conversation_ticket_apply
from conversations.tests.factories import ConversationFactory, MessageFactory
from integrations.messaging.base import TicketUpdate
from integrations.messaging.console import ConsoleProvider
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(company=company_a, channel__provider="console", channel__status="connected")


@pytest.fixture
def agent(company_a):
    return MembershipFactory(company=company_a, user=UserFactory(username="ana"), role=Membership.Role.AGENT).user


@pytest.fixture
def other_agent(company_a):
    return MembershipFactory(company=company_a, user=UserFactory(username="bruno"), role=Membership.Role.AGENT).user


def refreshed(conversation) -> Conversation:
    return Conversation.objects.for_company(conversation.company_id).get(pk=conversation.pk)


def events(conversation) -> list[tuple]:
    rows = ConversationEvent.objects.for_company(conversation.company_id).filter(conversation=conversation)
    return list(rows.order_by("id").values_list("kind", "actor__username", "previous_assignee__username", "detail"))


def test_take_over_pauses_the_bot_and_records_who_took_it(conversation, agent):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)

        taken = refreshed(conversation)
        assert (taken.status, taken.bot_paused, taken.assigned_to) == ("handoff", True, agent)
        assert taken.assigned_at is not None
        assert events(conversation) == [("taken", "ana", None, "")]


def test_another_agent_may_take_it_and_the_change_is_recorded(conversation, agent, other_agent):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)

        conversation_take_over(conversation=conversation, user=other_agent)

        assert refreshed(conversation).assigned_to == other_agent
        assert events(conversation) == [("taken", "ana", None, ""), ("taken", "bruno", "ana", "")]


def test_taking_ones_own_conversation_again_records_nothing(conversation, agent):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)

        conversation_take_over(conversation=conversation, user=agent)

        assert len(events(conversation)) == 1


def test_hand_back_unpauses_and_forgets_who_had_it(conversation, agent):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)

        conversation_release(conversation=conversation, user=agent, resume=ResumePoint.RESTART)

        back = refreshed(conversation)
        assert (back.status, back.bot_paused, back.assigned_to, back.assigned_at) == ("active", False, None, None)
        assert events(conversation)[-1] == ("released", "ana", None, "restart")


def test_hand_back_to_an_unknown_point_is_refused(conversation, agent):
    with company_scope(conversation.company_id), pytest.raises(ValueError):
        conversation_release(conversation=conversation, user=agent, resume="somewhere")

    assert refreshed(conversation).status == "active"
    assert events(conversation) == []


def test_resolve_closes_and_the_next_customer_message_reopens_it_with_the_bot(conversation, agent):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)
        conversation_resolve(conversation=conversation, user=agent)
        assert (refreshed(conversation).status, refreshed(conversation).bot_paused) == ("resolved", False)
        message = MessageFactory(conversation=conversation, status="received")

        run = conversation_process(conversation_id=conversation.pk, debounce=False)

        assert run.result == "processed"  # answered by the bot, not ignored
        assert Message.objects.get(pk=message.pk).status == "processed"
        assert refreshed(conversation).status != "resolved"
        assert [kind for kind, *_ in events(conversation)] == ["taken", "resolved", "reopened"]


# --- replies --------------------------------------------------------------------------------------


def test_staff_reply_is_queued_in_the_outbox_even_with_the_bot_paused(
    conversation, agent, enqueued, django_capture_on_commit_callbacks
):
    with company_scope(conversation.company_id):
        conversation_take_over(conversation=conversation, user=agent)

        with django_capture_on_commit_callbacks(execute=True):
            message = conversation_reply(conversation=conversation, user=agent, text="  Olá, sou a Ana!  ")

        row = Message.objects.get(pk=message.pk)
    assert (row.direction, row.status, row.text, row.sent_by) == ("out", "queued", "Olá, sou a Ana!", agent)
    assert enqueued.of("message_send_task") == [
        {"company_id": conversation.company_id, "message_id": message.pk, "conversation_id": conversation.pk}
    ]


def test_staff_reply_goes_out_in_order_with_bot_messages_queued_at_the_same_moment(
    conversation, agent, enqueued, monkeypatch
):
    moment = timezone.now()
    monkeypatch.setattr("conversations.services.outbound.timezone.now", lambda: moment)
    with company_scope(conversation.company_id):
        message_queue_outbound(conversation=conversation, text="bot 1")
        conversation_reply(conversation=conversation, user=agent, text="staff")
        message_queue_outbound(conversation=conversation, text="bot 2")
        queued = Message.objects.filter(direction="out").values_list("send_after", flat=True)
        assert set(queued) == {moment}

        run = conversation_send_due(conversation_id=conversation.pk)

    assert len(run.sent) == 3
    assert [entry.text for entry in ConsoleProvider.outbox] == ["bot 1", "staff", "bot 2"]


def refused(conversation, agent) -> ReplyRefused:
    with company_scope(conversation.company_id), pytest.raises(ReplyRefused) as caught:
        conversation_reply(conversation=conversation, user=agent, text="Oi")
    assert not Message.objects.for_company(conversation.company_id).filter(direction="out").exists()
    return caught.value


def test_reply_to_an_opted_out_customer_is_refused_with_the_reason(conversation, agent):
    customer = conversation.customer
    customer.opted_out_at = timezone.now()
    customer.save(update_fields=["opted_out_at"])

    refusal = refused(conversation, agent)

    assert refusal.code == "opted_out"
    with translation.override("pt-br"):
        assert str(refusal.message) == "o cliente pediu para não receber mensagens"


def test_reply_on_a_disconnected_channel_is_refused(conversation, agent):
    Channel.objects.for_company(conversation.company_id).update(status=Channel.Status.DISCONNECTED)

    refusal = refused(refreshed(conversation), agent)

    assert refusal.code == "channel_disconnected"
    with translation.override("pt-br"):
        assert str(refusal.message) == "canal desconectado"


def test_reply_on_meta_outside_the_24_hour_window_is_refused(conversation, agent):
    Channel.objects.for_company(conversation.company_id).update(provider="meta_cloud")
    with company_scope(conversation.company_id):
        old = MessageFactory(conversation=conversation)
        Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))

    refusal = refused(refreshed(conversation), agent)

    assert refusal.code == "window_closed"


def test_reply_on_meta_inside_the_24_hour_window_goes(conversation, agent):
    Channel.objects.for_company(conversation.company_id).update(provider="meta_cloud")
    with company_scope(conversation.company_id):
        MessageFactory(conversation=conversation)

        message = conversation_reply(conversation=refreshed(conversation), user=agent, text="Oi")

    assert message.status == "queued"


def test_an_empty_reply_is_refused(conversation, agent):
    with company_scope(conversation.company_id), pytest.raises(ReplyRefused) as caught:
        conversation_reply(conversation=conversation, user=agent, text="   ")

    assert caught.value.code == "empty"


# --- unread and the tabs --------------------------------------------------------------------------


def customer_writes(conversation, text="oi", **fields) -> Message:
    return MessageFactory(conversation=conversation, text=text, **fields)


def test_customer_messages_during_a_handoff_stay_unread_until_staff_open_it(conversation, agent):
    with company_scope(conversation.company_id):
        Conversation.objects.filter(pk=conversation.pk).update(status="handoff", bot_paused=True)
        customer_writes(conversation, "alguém aí?", status="ignored", reason="handoff")
        customer_writes(conversation, "olá?", status="ignored", reason="handoff")
        customer_writes(conversation, "sent from our phone", reason="from_me")
        assert conversation_unread_count(conversation) == 2

        assert conversation_mark_read(conversation=conversation) is True

        assert conversation_unread_count(conversation) == 0
        assert Message.objects.filter(reason="handoff").count() == 2  # still there, visible


def test_unread_count_stops_counting_at_the_cap(conversation):
    with company_scope(conversation.company_id):
        MessageFactory.create_batch(105, conversation=conversation)

        assert conversation_unread_count(conversation) == 100  # shown as 99+


def tab_ids(company, tab) -> list[int]:
    with company_scope(company):
        return list(inbox_conversations(company=company, tab=tab).values_list("pk", flat=True))


def test_tabs_sort_conversations_by_who_should_answer(company_a, conversation, agent):
    with company_scope(company_a):
        handoff = ConversationFactory(company=company_a, status="handoff", bot_paused=True)
        paused_unread = ConversationFactory(company=company_a, bot_paused=True)
        customer_writes(paused_unread)
        paused_read = ConversationFactory(company=company_a, bot_paused=True, staff_read_at=timezone.now())
        resolved = ConversationFactory(company=company_a, status="resolved")

    assert set(tab_ids(company_a, InboxTab.WAITING)) == {handoff.pk, paused_unread.pk}
    assert set(tab_ids(company_a, InboxTab.BOT)) == {conversation.pk, paused_read.pk}
    assert tab_ids(company_a, InboxTab.RESOLVED) == [resolved.pk]
    assert len(tab_ids(company_a, InboxTab.ALL)) == 5


def test_badge_counts_waiting_conversations_nobody_took_or_with_unread_messages(company_a, agent):
    with company_scope(company_a):
        ConversationFactory(company=company_a, status="handoff", bot_paused=True)  # nobody took it
        taken = ConversationFactory(
            company=company_a, status="handoff", bot_paused=True, assigned_to=agent, staff_read_at=timezone.now()
        )
        assert inbox_waiting_count(company=company_a) == 1

        customer_writes(taken)  # the customer wrote again: the agent has something to read

        assert inbox_waiting_count(company=company_a) == 2


def test_list_rows_carry_their_last_message_and_unread_count_newest_activity_first(company_a):
    with company_scope(company_a):
        older = ConversationFactory(company=company_a)
        customer_writes(older, "primeira")
        newer = ConversationFactory(company=company_a)
        customer_writes(newer, "a mais nova")
        Conversation.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(hours=1))

        rows = inbox_page(company=company_a, tab=InboxTab.ALL)

    assert [(row.pk, row.last_message.text, row.unread) for row in rows] == [
        (newer.pk, "a mais nova", 1),
        (older.pk, "primeira", 1),
    ]


# --- provider tickets (GOSAC) -------------------------------------------------------------------


@pytest.fixture
def gosac_conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(
            company=company_a,
            channel__provider="gosac",
            customer__provider_contact_ids={"gosac": "777"},
        )


def ticket(status, user_id=None) -> TicketUpdate:
    return TicketUpdate(ticket_id="t1", chat_id="777", status=status, user_id=user_id)


def apply(conversation, update) -> bool:
    with company_scope(conversation.company_id):
        return conversation_ticket_apply(channel=conversation.channel, ticket=update)


def test_a_ticket_taken_at_the_provider_shows_as_taken(gosac_conversation):
    assert apply(gosac_conversation, ticket("open", "12")) is True

    taken = refreshed(gosac_conversation)
    assert (taken.status, taken.bot_paused) == ("handoff", True)
    assert events(gosac_conversation) == [("provider_taken", None, None, "12")]


def test_a_ticket_closed_at_the_provider_resolves_the_conversation(gosac_conversation):
    apply(gosac_conversation, ticket("open", "12"))

    assert apply(gosac_conversation, ticket("closed", "12")) is True

    assert refreshed(gosac_conversation).status == "resolved"
    assert events(gosac_conversation)[-1][0] == "provider_closed"


def test_a_ticket_put_back_in_the_queue_at_the_provider_resumes_the_bot(gosac_conversation):
    apply(gosac_conversation, ticket("open", "12"))

    assert apply(gosac_conversation, ticket("pending")) is True

    assert (refreshed(gosac_conversation).status, refreshed(gosac_conversation).bot_paused) == ("active", False)


def test_a_pending_ticket_repeated_on_every_message_does_not_undo_a_takeover_in_the_inbox(gosac_conversation, agent):
    apply(gosac_conversation, ticket("pending"))
    with company_scope(gosac_conversation.company_id):
        conversation_take_over(conversation=gosac_conversation, user=agent)

    changed = apply(gosac_conversation, ticket("pending")), apply(gosac_conversation, ticket("pending"))

    assert changed == (False, False)
    taken = refreshed(gosac_conversation)
    assert (taken.status, taken.bot_paused, taken.assigned_to) == ("handoff", True, agent)
