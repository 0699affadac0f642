"""A reply an action hook cannot use keeps the conversation on its step, end to end: the demo
company's live flow ("Pedidos") through the console chat and the real pipeline."""

from django.utils import translation

from console.chat import console_chat_send
from console.tests.test_chat import _outbox, demo  # noqa: F401 - fixtures
from integrations.messaging.console import ConsoleProvider
from tenants.demo import DEMO_USERNAME

ZONE_QUESTION = "Responda com o número ou o nome do bairro."
ADDRESS_QUESTION = "Qual o endereço (rua, número e complemento)?"


def test_an_unknown_zone_is_asked_again_instead_of_moving_on_to_the_address(demo, django_user_model):  # noqa: F811
    user = django_user_model.objects.get(username=DEMO_USERNAME)

    def say(text):
        before = len(ConsoleProvider.outbox)
        with translation.override("en"):
            chat = console_chat_send(company=demo, user=user, text=text)
        assert chat.result == "processed", (text, chat.blocked_reason)
        return chat, [entry.text for entry in ConsoleProvider.outbox[before:]]

    greeting, _ = say("oi")
    assert greeting.template["name"] == "Pedidos"

    added, replies = say("1")
    assert [(i["name"], i["quantity"]) for i in added.cart["items"]] == [("Pizza Margherita", 1)]
    assert replies[-3:-1] == [
        "Em qual bairro é a entrega?",
        "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00",
    ]
    assert added.step["message_text"] == ZONE_QUESTION

    unmatched, replies = say("2x calabresa")
    assert replies == [
        "We do not deliver to that neighbourhood, or I did not understand it.",
        "Reply with the number or the name of the neighbourhood:\n"
        "1. Centro — R$ 5,00\n2. Jardim América — R$ 7,00\n3. Vila Nova — R$ 9,00",
    ]
    assert ADDRESS_QUESTION not in replies
    assert (unmatched.step["message_text"], unmatched.step["waiting_for"]) == (ZONE_QUESTION, "response")
    assert unmatched.cart["zone"] == ""  # none chosen
    assert [(i["name"], i["quantity"]) for i in unmatched.cart["items"]] == [("Pizza Margherita", 1)]  # not added

    chosen, replies = say("Centro")
    assert replies == ["Delivery to Centro: R$ 5,00.", ADDRESS_QUESTION]
    assert chosen.step["message_text"] == ADDRESS_QUESTION
    assert chosen.cart["zone"] == "Centro"
