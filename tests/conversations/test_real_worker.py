"""A few of the conversations with a real Celery worker (tests.worker): the webhook commits, the worker
process takes the pipeline's tasks from its broker, answers through the console provider. What the
customer received is read from the sent rows (the console outbox lives in the worker's process)."""

import json
import time

import pytest
from django.urls import reverse

from catalog import demo as catalog_demo
from conversations.models import Channel, Conversation, Message
from conversations.tests.factories import ChannelFactory
from flows.services import flow_template_import
from orders.demo import ordering_document
from orders.models import Order
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tests.conversations.harness import assert_portuguese

CUSTOMER = "5511977776666"
WAIT_SECONDS = 30


class RealShop:
    def __init__(self, company, channel, client):
        self.company, self.channel, self.client = company, channel, client
        self.n = 0
        self.customer = CUSTOMER

    def _sent(self) -> list[str]:
        with company_scope(self.company):
            return list(
                Message.objects.filter(
                    direction="out", status="sent", conversation__customer__phone__endswith=self.customer[-8:]
                )
                .order_by("id")
                .values_list("text", flat=True)
            )

    def say(self, text: str, *, expect_reply: bool = True) -> list[str]:
        before = len(self._sent())
        self.n += 1
        body = {"from": self.customer, "text": text, "id": f"real-{self.n}"}
        answer = self.client.post(
            reverse("webhook", args=[self.channel.inbound_key]), data=json.dumps(body), content_type="application/json"
        )
        assert answer.json()["status"] == "received"
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            with company_scope(self.company):
                busy = (
                    Message.objects.filter(direction="in", status="received").exists()
                    or Message.objects.filter(direction="out", status="queued").exists()
                )
            if not busy and (len(self._sent()) > before or not expect_reply):
                break
            time.sleep(0.1)
        replies = self._sent()[before:]
        if expect_reply:
            assert replies, f"no answer to {text!r}"
            for reply in replies:
                assert_portuguese(reply)
        return replies


@pytest.fixture
def real_shop(celery_worker, company_a, client, settings):
    settings.LANGUAGE_CODE = "pt-br"
    company_a.message_debounce_seconds = 0
    company_a.save(update_fields=["message_debounce_seconds"])
    catalog_demo.load(company_a)
    with company_scope(company_a):
        flow_template_import(document=ordering_document())
    channel = ChannelFactory(company=company_a, name="loja", status=Channel.Status.CONNECTED)
    shop = RealShop(company_a, channel, client)
    yield shop
    assert "ERROR" not in celery_worker.output().replace("ERROR_", ""), celery_worker.output()[-3000:]


def test_three_conversations_through_a_real_worker(real_shop):
    """One worker for the three (starting one costs seconds): an order, a handoff, a goodbye."""
    # an order
    assert real_shop.say("oi")[0].startswith("Olá!")
    real_shop.say("2x calabresa e 1 coca")
    real_shop.say("1")
    real_shop.say("Rua das Flores, 123")
    assert real_shop.say("dinheiro")[0] == "Confira seu pedido:"
    assert real_shop.say("sim")[0].startswith("Pedido nº")
    with company_scope(real_shop.company):
        assert Order.objects.get().total == 101

    # a Pix key that cannot make a code (stored before it was validated): a person takes over
    real_shop.customer = "5511966665555"
    with company_scope(real_shop.company):
        CompanySetting.objects.filter(key="pix_key").update(value="(11) 9876")
    for text in ("oi", "1 margherita", "2", "Rua B, 2", "pix"):
        real_shop.say(text)
    answer = real_shop.say("sim")
    assert "um atendente vai te ajudar" in " ".join(answer)
    with company_scope(real_shop.company):
        assert Conversation.objects.get(customer__phone__endswith=real_shop.customer[-8:]).status == "handoff"
    assert real_shop.say("dinheiro então", expect_reply=False) == []  # a person has it now

    # giving up: a goodbye
    real_shop.customer = "5511955554444"
    real_shop.say("oi")
    real_shop.say("1 portuguesa")
    assert real_shop.say("desistir") == ["Pedido cancelado. Quando quiser, é só mandar *oi*. Até logo! 👋"]
