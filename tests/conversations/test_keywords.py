"""Every word the bot tells a customer to type (`*word*` in the messages of the ordering flow and of
the commerce code's catalogue) works where it is said (issue 20): it gets an answer that is not
"not understood" nor a refusal of the step."""

import re
from pathlib import Path

from django.conf import settings

from orders.demo import ordering_document
from tests.conversations.harness import catalogue

SOURCES = ("carts", "orders", "conversations/processing.py")
STARRED = re.compile(r"\*([^*\n]{1,30})\*")
# Words answered only in one state: the payment question and the confirmation question.
PAYMENT_WORDS = {"pix", "dinheiro", "cartão"}
CONFIRMATION_WORDS = {"sim", "não"}
REFUSALS = ("Desculpe, não entendi", "Não entregamos nesse bairro", "Desculpe, tive um problema")


def told_words() -> set[str]:
    texts = [
        m["message_text"] for flow in ordering_document()["flows"] for s in flow["subflows"] for m in s["messages"]
    ]
    source = ""
    for name in SOURCES:
        path = Path(settings.BASE_DIR) / name
        files = [path] if path.is_file() else [p for p in path.rglob("*.py") if "tests" not in p.parts]
        source += "".join(f.read_text(encoding="utf-8") for f in files)
    texts += [msgstr for msgid, msgstr in catalogue().items() if "*" in msgid and msgid in source]
    words = {match.lower() for text in texts for match in STARRED.findall(text)}
    return {word for word in words if not word.startswith(("pizzas", "bebidas"))}


def test_the_words_told_are_the_ones_expected():
    words = told_words()
    assert {"oi", "menu", "cardápio", "carrinho", "finalizar", "remover", "desistir", "atendente"} <= words
    assert PAYMENT_WORDS | CONFIRMATION_WORDS <= words


def test_every_word_told_works_where_it_is_told(shop):
    words = told_words()
    anywhere = sorted(words - PAYMENT_WORDS - CONFIRMATION_WORDS - {"atendente", "desistir"})
    shop.say("oi")
    shop.say("1 calabresa")  # now waiting for the neighbourhood: the step that refused "finalizar"
    for word in anywhere:
        replies = shop.say(word)
        assert not any(reply.startswith(REFUSALS) for reply in replies), (word, replies)
        shop.say("oi")
        shop.say("1 calabresa")
    shop.say("1")
    shop.say("Rua A, 1")
    names = {"pix": "Pix", "dinheiro": "dinheiro", "cartão": "cartão"}
    for word in sorted(PAYMENT_WORDS):  # the first answers the question, the others change it at the recap
        replies = shop.say(word)
        assert f"Pagamento: {names[word]}" in " ".join(replies), (word, replies)
    no = shop.say("não")
    assert "*sim*" in no[0]
    assert shop.say("sim")[0].startswith("Pedido nº")
    shop.say("oi")
    assert shop.say("desistir")[0].startswith("Pedido cancelado")
    assert shop.say("atendente")[-1].startswith("Alguém da nossa equipe")
    shop.ended_in_a_handoff()
