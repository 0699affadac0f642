"""Random customers (issue 20): sequences of real phrases, keywords, numbers and emojis. Whatever they
send, every processed message gets an answer (unless a person holds the conversation) and the
worker logs no error."""

import logging
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.models import Conversation, Message
from tenants.scoping import company_scope

VOCABULARY = [
    "oi", "olá", "menu", "cardápio", "carrinho", "remover", "finalizar", "repetir", "desistir", "atendente",
    "2x calabresa e 1 coca", "1 margherita", "quero uma 4 queijos", "2 calab", "portuguesa sem cebola",
    "coca gelada", "1", "2", "3", "9", "0", "centro", "vila nova", "jardim", "Rua das Flores, 123",
    "pix", "dinheiro", "cartão", "sim", "não", "s", "ok", "5", "cinco", "⭐⭐⭐⭐⭐", "👍", "😀", "🍕🍕",
    "?", "...", "asdf", "quanto custa?", "boa noite", "obrigado", "quero mudar", "tirar a coca",
]  # fmt: skip
_customers = count(5511900000000)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(messages=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=8))
def test_no_processed_message_goes_unanswered(shop, caplog, messages):
    shop.customer = str(next(_customers))  # a new customer per example: nothing carried over
    shop.transcript = []
    caplog.set_level(logging.ERROR)
    for text in messages:
        held = _held_by_a_person(shop)
        replies = shop.say(text, expect_reply=not held)
        if held:
            assert replies == [], (text, shop.transcript)
    with company_scope(shop.company):
        unprocessed = Message.objects.filter(direction="in", status="received").count()
    assert unprocessed == 0, "a buffered message was left behind"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], shop.transcript
    assert not shop.bot_errors(), shop.transcript


def _held_by_a_person(shop) -> bool:
    try:
        conversation = shop.conversation()
    except Conversation.DoesNotExist:  # not written yet
        return False
    return conversation.bot_paused
