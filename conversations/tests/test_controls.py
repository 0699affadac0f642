"""Test mode: the test contact talks to the draft, every other customer to the published bot.

Only when the company has no published bot does test mode silence everyone but the test contact.
The whole path (webhook, flows versions, console provider) is in flows/tests/test_test_mode.py.
"""

import pytest

from conversations.models import Conversation, Message
from conversations.services import message_queue_outbound
from conversations.services.controls import (
    company_has_published_bot,
    outbound_block_reason,
    published_bot_check_register,
    published_bot_check_unregister,
)
from conversations.tests.factories import ConversationFactory
from tenants.scoping import company_scope

TESTER, OTHER = "+5511987654321", "+5521999998888"


@pytest.fixture
def in_test_mode(company_a):
    company_a.test_mode, company_a.test_contact = True, "(11) 98765-4321"  # as staff type it
    company_a.save()
    return company_a


@pytest.fixture
def published_bot():
    """The company has a published bot (what flows reports for a published live template)."""

    def check(company):
        return True

    published_bot_check_register(check)
    yield
    published_bot_check_unregister(check)


def conversation_of(company, channel, phone) -> Conversation:
    return ConversationFactory(company=company, channel=channel, customer__phone=phone)


def test_without_a_published_bot_test_mode_answers_only_the_test_contact(in_test_mode, channel_a):
    tester = conversation_of(in_test_mode, channel_a, TESTER)
    other = conversation_of(in_test_mode, channel_a, OTHER)

    assert company_has_published_bot(in_test_mode) is False
    assert outbound_block_reason(tester) is None
    assert outbound_block_reason(other) == "test_mode"
    with company_scope(in_test_mode):
        assert message_queue_outbound(conversation=other, text="promo") is None
        assert Message.objects.count() == 0


def test_with_a_published_bot_test_mode_answers_every_customer(in_test_mode, channel_a, published_bot):
    tester = conversation_of(in_test_mode, channel_a, TESTER)
    other = conversation_of(in_test_mode, channel_a, OTHER)

    assert outbound_block_reason(tester) is None
    assert outbound_block_reason(other) is None
    with company_scope(in_test_mode):
        assert message_queue_outbound(conversation=other, text="Olá!") is not None
        assert list(Message.objects.values_list("conversation__customer__phone", "text")) == [(OTHER, "Olá!")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"bot_status": "paused"}, "bot_paused"), ({"bot_enabled": False}, "bot_disabled")],
)
def test_other_controls_still_apply_in_test_mode_with_a_published_bot(
    in_test_mode, channel_a, published_bot, change, reason
):
    other = conversation_of(in_test_mode, channel_a, OTHER)
    for field, value in change.items():
        setattr(in_test_mode, field, value)

    assert outbound_block_reason(other) == reason


def test_a_check_registered_twice_counts_once_and_unregisters(company_a):
    calls = []

    def check(company):
        calls.append(company.pk)
        return False

    published_bot_check_register(check)
    published_bot_check_register(check)
    try:
        assert company_has_published_bot(company_a) is False
    finally:
        published_bot_check_unregister(check)

    assert calls == [company_a.pk]
    assert company_has_published_bot(company_a) is False
    assert calls == [company_a.pk]
