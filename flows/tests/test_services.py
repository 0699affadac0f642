import threading
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from conversations.handlers import OutboundIntent
from conversations.models import Conversation
from conversations.tests.factories import ConversationFactory
from flows import actions
from flows.engine import Document
from flows.lock_objects import flow_position_qs_select_for_update
from flows.models import FlowMessage, FlowPosition
from flows.services import flow_handle_inbound, flow_positions_reset_stale
from flows.tests.factories import (
    FlowFactory,
    FlowMessageFactory,
    FlowTemplateFactory,
    SubflowFactory,
    linear_template,
    pizzeria_template,
)
from tenants.scoping import company_scope


@pytest.fixture
def scoped(company_a):
    with company_scope(company_a):
        yield company_a


def texts(intents):
    return [i.text for i in intents]


def test_new_customer_gets_the_default_flow_and_waits(scoped):
    pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped)

    intents = flow_handle_inbound(conversation=conversation, text="oi")

    assert intents == [
        OutboundIntent(text="Olá!", delay_seconds=0),
        OutboundIntent(text="Qual é o seu nome?", delay_seconds=0),
    ]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    position = FlowPosition.objects.get(conversation=conversation)
    assert position.waiting_for == FlowPosition.Waiting.RESPONSE
    assert FlowMessage.objects.get(pk=position.current_message_id).message_text == "Qual é o seu nome?"


def test_reply_is_saved_in_the_conversation_and_rendered(scoped):
    pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")

    intents = flow_handle_inbound(conversation=conversation, text="Ana")

    assert texts(intents) == ["Prazer, Ana! Quer o cardápio?"]
    conversation.refresh_from_db()
    assert conversation.variables == {"nome": "Ana"}


def test_last_message_completes_with_cumulative_delays(scoped):
    pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")
    flow_handle_inbound(conversation=conversation, text="Ana")

    intents = flow_handle_inbound(conversation=conversation, text="não")

    assert intents == [OutboundIntent(text="Até logo, Ana!", delay_seconds=2)]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.COMPLETED
    assert FlowPosition.objects.get(conversation=conversation).waiting_for == FlowPosition.Waiting.NOTHING


def test_paused_conversation_gets_nothing_and_nothing_changes(scoped):
    pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped, bot_paused=True)

    assert flow_handle_inbound(conversation=conversation, text="oi") == []
    assert FlowPosition.objects.count() == 0
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE


@pytest.mark.parametrize("change", ["delete", "deactivate"])
def test_deleted_or_deactivated_current_message_carries_on(scoped, change):
    _, ask = pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")
    if change == "delete":
        ask.delete()
    else:
        FlowMessage.objects.filter(pk=ask.pk).update(is_active=False)

    intents = flow_handle_inbound(conversation=conversation, text="Ana")

    # The reply was not saved as `nome`: the built-in variable gives the customer's own name.
    assert texts(intents) == [f"Prazer, {conversation.customer.name}! Quer o cardápio?"]


def test_idle_conversation_starts_over_on_its_next_message(scoped):
    pizzeria_template(scoped)
    conversation = ConversationFactory(company=scoped)
    start = timezone.now()
    flow_handle_inbound(conversation=conversation, text="oi", now=start)

    intents = flow_handle_inbound(conversation=conversation, text="Ana", now=start + timedelta(minutes=121))

    assert texts(intents) == ["Olá!", "Qual é o seu nome?"]
    conversation.refresh_from_db()
    assert conversation.variables == {}


def test_stale_sweep_resets_only_idle_unpaused_conversations(scoped):
    pizzeria_template(scoped)
    idle, fresh, paused = (ConversationFactory(company=scoped) for _ in range(3))
    long_ago = timezone.now() - timedelta(minutes=130)
    flow_handle_inbound(conversation=idle, text="oi", now=long_ago)
    flow_handle_inbound(conversation=paused, text="oi", now=long_ago)
    flow_handle_inbound(conversation=fresh, text="oi")
    Conversation.objects.filter(pk=paused.pk).update(bot_paused=True)

    assert flow_positions_reset_stale(now=timezone.now()) == 1

    waiting = dict(FlowPosition.objects.values_list("conversation_id", "waiting_for"))
    assert waiting == {idle.pk: "nothing", fresh.pk: "response", paused.pk: "response"}
    assert Conversation.objects.get(pk=idle.pk).status == Conversation.Status.ACTIVE
    assert texts(flow_handle_inbound(conversation=idle, text="Ana")) == ["Olá!", "Qual é o seu nome?"]


def test_stale_sweep_resets_a_bounded_batch_per_run(scoped):
    pizzeria_template(scoped)
    long_ago = timezone.now() - timedelta(minutes=130)
    for conversation in ConversationFactory.create_batch(3, company=scoped):
        flow_handle_inbound(conversation=conversation, text="oi", now=long_ago)

    runs = [flow_positions_reset_stale(now=timezone.now(), batch=2) for _ in range(3)]

    assert runs == [2, 1, 0]


@pytest.mark.django_db(transaction=True)
def test_stale_sweep_skips_the_position_of_a_conversation_being_answered(postgres_only, company_a):
    with company_scope(company_a):
        pizzeria_template(company_a)
        conversation = ConversationFactory(company=company_a)
        flow_handle_inbound(conversation=conversation, text="oi", now=timezone.now() - timedelta(minutes=130))
    locked, release = threading.Event(), threading.Event()

    def answering():
        try:
            with company_scope(company_a), transaction.atomic():
                flow_position_qs_select_for_update().get(conversation=conversation)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    worker = threading.Thread(target=answering)
    worker.start()
    try:
        assert locked.wait(timeout=10)
        reset_while_locked = flow_positions_reset_stale(now=timezone.now())
    finally:
        release.set()
        worker.join(timeout=10)

    assert reset_while_locked == 0
    assert flow_positions_reset_stale(now=timezone.now()) == 1


def test_file_wait_reasks_then_advances_on_a_pdf(scoped):
    subflow = SubflowFactory(company=scoped, flow=FlowFactory(company=scoped))
    FlowMessageFactory(
        company=scoped,
        subflow=subflow,
        message_text="Envie o comprovante",
        wait_for_file=True,
        expected_file_types=["pdf"],
    )
    FlowMessageFactory(company=scoped, subflow=subflow, message_text="Recebido!")
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")

    with translation.override("en"):
        reask = flow_handle_inbound(conversation=conversation, text="segue")
    done = flow_handle_inbound(
        conversation=conversation, text="", document=Document(mime="application/pdf", name="pix.pdf")
    )

    assert texts(reask) == ["Sorry, I could not use that. Please send the file as a document (PDF)."]
    assert texts(done) == ["Recebido!"]


def test_action_hook_gets_the_reply_and_its_messages_follow(scoped):
    seen = []

    def add_to_cart(ctx):
        seen.append((ctx.reply, ctx.conversation.pk))
        return [actions.SetVariable("cart", ctx.reply), OutboundIntent(text="Adicionado!", delay_seconds=3)]

    actions.register("test_add_to_cart", add_to_cart)
    try:
        subflow = SubflowFactory(company=scoped, flow=FlowFactory(company=scoped))
        FlowMessageFactory(
            company=scoped, subflow=subflow, message_text="Pedido?", wait_for_response=True, action="test_add_to_cart"
        )
        FlowMessageFactory(
            company=scoped, subflow=subflow, message_text="Mais algo?", wait_for_response=True, delay_seconds=1
        )
        conversation = ConversationFactory(company=scoped)
        flow_handle_inbound(conversation=conversation, text="oi")

        intents = flow_handle_inbound(conversation=conversation, text="2 calabresas")
    finally:
        actions.unregister("test_add_to_cart")

    assert intents == [
        OutboundIntent(text="Adicionado!", delay_seconds=3),
        OutboundIntent(text="Mais algo?", delay_seconds=4),
    ]
    assert seen == [("2 calabresas", conversation.pk)]
    conversation.refresh_from_db()
    assert conversation.variables == {"cart": "2 calabresas"}


def test_a_document_a_hook_returns_is_sent_as_a_document(scoped):
    receipt = OutboundIntent(
        text="Seu recibo", kind="document", media_url="https://example.com/r.pdf", file_name="r.pdf", delay_seconds=2
    )
    actions.register("test_send_receipt", lambda ctx: [receipt])
    try:
        subflow = SubflowFactory(company=scoped, flow=FlowFactory(company=scoped))
        FlowMessageFactory(company=scoped, subflow=subflow, message_text="Olá!", action="test_send_receipt")
        intents = flow_handle_inbound(conversation=ConversationFactory(company=scoped), text="oi")
    finally:
        actions.unregister("test_send_receipt")

    assert intents == [OutboundIntent(text="Olá!"), receipt]


@pytest.fixture
def picky(scoped):
    """order subflow: "Pedido?" (waits, saves `pedido`, hook rejects all but "calabresa") ->
    "Anotado: {{ pedido }}" (its hook records that it ran) -> "Endereço?" (waits); keyword
    "cardápio" shows the menu and goes back to the order."""
    calls = []

    def pick(ctx):
        calls.append(("pick", ctx.reply))
        tries = actions.SetVariable("tries", ctx.variables.get("tries", 0) + 1)
        if ctx.reply != "calabresa":
            return actions.Rejected(
                [tries, OutboundIntent(text=f"Não entendi: {ctx.reply}", delay_seconds=2), "Temos: calabresa."]
            )
        return [tries, "Ok!"]

    def after(ctx):
        calls.append(("after", ctx.reply))

    actions.register("test_pick", pick)
    actions.register("test_after", after)
    flow = FlowFactory(company=scoped, is_default=True)
    order = SubflowFactory(company=scoped, flow=flow, name="order", order_index=1)
    step = partial(FlowMessageFactory, company=scoped, subflow=order)
    step(message_text="Pedido?", order_index=1, wait_for_response=True, save_reply_as="pedido", action="test_pick")
    step(message_text="Anotado: {{ pedido }}", order_index=2, action="test_after")
    step(message_text="Endereço?", order_index=3, wait_for_response=True)
    menu = SubflowFactory(
        company=scoped, flow=flow, name="menu", order_index=2, trigger_keywords=["cardápio"], parent_subflow=order
    )
    FlowMessageFactory(company=scoped, subflow=menu, message_text="Cardápio: calabresa.")
    try:
        yield calls
    finally:
        actions.unregister("test_pick")
        actions.unregister("test_after")


def waiting_on(conversation) -> str:
    position = FlowPosition.objects.get(conversation=conversation)
    assert position.waiting_for == FlowPosition.Waiting.RESPONSE
    return FlowMessage.objects.get(pk=position.current_message_id).message_text


def test_rejected_reply_keeps_the_step_drops_the_rest_of_the_turn_and_is_not_saved(scoped, picky):
    conversation = ConversationFactory(company=scoped, variables={"pedido": "antes"})
    flow_handle_inbound(conversation=conversation, text="oi")
    before = FlowPosition.objects.get(conversation=conversation)

    intents = flow_handle_inbound(conversation=conversation, text="pizza de nada")

    # Only the hook's explanation: not "Anotado: pizza de nada", not "Endereço?", no later hook.
    assert intents == [
        OutboundIntent(text="Não entendi: pizza de nada", delay_seconds=2),
        OutboundIntent(text="Temos: calabresa.", delay_seconds=2),
    ]
    assert picky == [("pick", "pizza de nada")]
    after = FlowPosition.objects.get(conversation=conversation)
    assert (after.current_subflow_id, after.current_message_id, after.current_message_order) == (
        before.current_subflow_id,
        before.current_message_id,
        before.current_message_order,
    )
    assert waiting_on(conversation) == "Pedido?"
    assert after.last_activity_at > before.last_activity_at
    conversation.refresh_from_db()
    assert conversation.variables == {"pedido": "antes", "tries": 1}  # the reply unsaved, the hook's change kept
    assert conversation.status == Conversation.Status.WAITING

    accepted = flow_handle_inbound(conversation=conversation, text="calabresa")

    assert texts(accepted) == ["Ok!", "Anotado: calabresa", "Endereço?"]
    assert picky[1:] == [("pick", "calabresa"), ("after", None)]
    assert waiting_on(conversation) == "Endereço?"
    conversation.refresh_from_db()
    assert conversation.variables == {"pedido": "calabresa", "tries": 2}


def test_rejected_reply_of_a_new_variable_leaves_it_unset(scoped, picky):
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")

    flow_handle_inbound(conversation=conversation, text="nada")

    conversation.refresh_from_db()
    assert conversation.variables == {"tries": 1}


def test_a_keyword_still_switches_subflow_while_a_picky_step_waits(scoped, picky):
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")
    flow_handle_inbound(conversation=conversation, text="nada")

    intents = flow_handle_inbound(conversation=conversation, text="quero ver o cardápio")

    assert texts(intents) == ["Cardápio: calabresa.", "Pedido?"]  # the menu, then back to the order
    assert picky == [("pick", "nada")]  # the keyword never reached the hook
    assert waiting_on(conversation) == "Pedido?"


def test_rejected_without_a_reply_only_sends_its_messages(scoped):
    actions.register("test_refuse", lambda ctx: actions.Rejected(["Nada a recusar."]))
    try:
        subflow = SubflowFactory(company=scoped, flow=FlowFactory(company=scoped))
        FlowMessageFactory(company=scoped, subflow=subflow, message_text="Olá!", order_index=1, action="test_refuse")
        FlowMessageFactory(company=scoped, subflow=subflow, message_text="Nome?", order_index=2, wait_for_response=True)
        conversation = ConversationFactory(company=scoped)

        intents = flow_handle_inbound(conversation=conversation, text="oi")
    finally:
        actions.unregister("test_refuse")

    assert texts(intents) == ["Olá!", "Nada a recusar.", "Nome?"]
    assert waiting_on(conversation) == "Nome?"


def test_deactivated_template_moves_new_turns_to_the_live_one(scoped):
    old, _ = pizzeria_template(scoped, name="Old")
    conversation = ConversationFactory(company=scoped)
    flow_handle_inbound(conversation=conversation, text="oi")
    old.is_active = False
    old.save()
    live = FlowFactory(company=scoped, template=FlowTemplateFactory(company=scoped, name="New"))
    FlowMessageFactory(company=scoped, subflow=SubflowFactory(company=scoped, flow=live), message_text="Novo!")

    assert texts(flow_handle_inbound(conversation=conversation, text="Ana")) == ["Novo!"]


def _queries_for_one_turn(company, size):
    with company_scope(company):
        linear_template(company, size)
        conversation = ConversationFactory(company=company)
        flow_handle_inbound(conversation=conversation, text="oi")
        conversation = Conversation.objects.select_related("company").get(pk=conversation.pk)
        with CaptureQueriesContext(connection) as captured:
            intents = flow_handle_inbound(conversation=conversation, text="ok")
    assert len(intents) == 2
    return len(captured)


def test_queries_per_inbound_do_not_grow_with_the_flow(company_a, company_b, django_assert_max_num_queries):
    small = _queries_for_one_turn(company_a, 5)
    large = _queries_for_one_turn(company_b, 500)

    assert small == large
    with company_scope(company_a), django_assert_max_num_queries(10):
        conversation = Conversation.objects.select_related("company").first()
        flow_handle_inbound(conversation=conversation, text="ok")
