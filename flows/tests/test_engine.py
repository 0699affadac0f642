"""The pure engine: every semantic of SPEC §5 on scripts written as data (no database)."""

from datetime import UTC, datetime, timedelta

from django.utils import translation

from flows.engine import (
    WAIT_FILE,
    WAIT_NOTHING,
    WAIT_RESPONSE,
    Complete,
    Document,
    Inbound,
    Position,
    Reset,
    RunAction,
    SaveVariable,
    SendMessage,
    decide,
    keyword_matches,
    render,
)
from flows.tests.snapshots import flow, msg, sub, template

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def pizzeria():
    greeting = sub(
        "greeting",
        msg("Olá! Bem-vindo à Pizzaria."),
        msg("Qual é o seu nome?", wait=True, save="nome"),
        order=1,
        id=10,
    )
    offer = sub("offer", msg("Prazer, {{ nome }}! Digite cardápio para ver o menu.", wait=True, id=21), order=2, id=20)
    menu = sub("menu", msg("Margherita, Calabresa.", id=31), keywords=["cardápio", "menu"], order=3, id=30, parent=20)
    bye = sub("bye", msg("Até logo, {{ nome }}!", id=41), order=4, id=40)
    return template(flow("main", greeting, offer, menu, bye, default=True, id=1))


def run(snapshot, inputs, position=None, variables=None, now=NOW, stale_after=None):
    position, variables, decisions = position or Position(), variables or {}, []
    for item in inputs:
        inbound = item if isinstance(item, Inbound) else Inbound(text=item)
        decision = decide(
            snapshot=snapshot, position=position, variables=variables, inbound=inbound, now=now, stale_after=stale_after
        )
        position, variables = decision.position, decision.variables
        decisions.append(decision)
    return decisions


def texts(decision):
    return [m.text for m in decision.messages]


def test_new_customer_starts_the_default_flow():
    other = flow("other", sub("x", msg("Outro fluxo", wait=True)), order=0, id=2)
    snapshot = template(other, *pizzeria().flows)

    [decision] = run(snapshot, ["bom dia"])

    assert texts(decision) == ["Olá! Bem-vindo à Pizzaria.", "Qual é o seu nome?"]
    assert decision.position.flow_id == 1
    assert decision.position.waiting_for == WAIT_RESPONSE


def test_messages_that_wait_for_nothing_follow_in_order_with_their_delays():
    snapshot = template(
        flow("f", sub("s", msg("um", delay=0), msg("dois", delay=3), msg("três", delay=2), msg("quatro?", wait=True)))
    )

    [decision] = run(snapshot, ["oi"])

    assert [(m.text, m.delay_seconds) for m in decision.messages] == [
        ("um", 0),
        ("dois", 3),
        ("três", 2),
        ("quatro?", 0),
    ]


def test_keyword_matches_whole_words_ignoring_case_and_accents():
    assert keyword_matches("cardápio", "quero ver o CARDAPIO!") is True
    assert keyword_matches("CARDAPIO", "cardápio") is True
    assert keyword_matches("ver menu", "posso ver  menu?") is True
    assert keyword_matches("oi", "boi") is False
    assert keyword_matches("oi", "oito") is False
    assert keyword_matches("", "qualquer") is False


def test_keyword_in_a_waiting_reply_switches_subflow():
    first, second = run(pizzeria(), ["oi", "Quero o CARDAPIO"])

    assert texts(second) == ["Margherita, Calabresa.", "Prazer, ! Digite cardápio para ver o menu."]
    assert not any(isinstance(a, SaveVariable) for a in second.actions)
    assert second.position.message_id == 21


def test_keyword_while_waiting_for_a_file_switches_subflow():
    snapshot = template(
        flow(
            "f",
            sub("receipt", msg("Envie o comprovante.", file=True, types=["pdf"], id=51), msg("Recebido!"), id=50),
            sub("help", msg("Chamando um atendente."), keywords=["ajuda"], id=60),
            default=True,
        )
    )

    _, second = run(snapshot, ["oi", "Preciso de AJUDA"])

    assert texts(second) == ["Chamando um atendente."]
    assert second.completed is True


def test_keyword_of_another_flow_switches_to_that_flow():
    main = flow("main", sub("ask", msg("Qual é o seu nome?", wait=True, save="nome")), default=True, id=1)
    support = flow(
        "support", sub("human", msg("Um atendente vai falar com você.", wait=True), keywords=["humano"]), id=2
    )

    _, second = run(template(main, support), ["oi", "quero um humano"])

    assert texts(second) == ["Um atendente vai falar com você."]
    assert second.position.flow_id == 2
    assert second.variables == {}


def test_keyword_starts_its_subflow_for_a_new_customer():
    [decision] = run(pizzeria(), ["Cardápio, por favor"])

    assert texts(decision)[0] == "Margherita, Calabresa."
    assert decision.position.subflow_id == 20  # the menu returns to the offer, which waits


def test_keyword_inside_another_word_does_not_switch():
    snapshot = template(
        flow(
            "f",
            sub("ask", msg("Qual animal?", wait=True, save="animal"), msg("Anotado: {{ animal }}")),
            sub("hello", msg("Olá!"), keywords=["oi"]),
        )
    )

    _, second = run(snapshot, ["começar", "boi"])

    assert texts(second) == ["Anotado: boi"]


def test_reply_is_saved_and_rendered_in_later_messages():
    _, second = run(pizzeria(), ["oi", "Ana"])

    assert SaveVariable("nome", "Ana") in second.actions
    assert texts(second) == ["Prazer, Ana! Digite cardápio para ver o menu."]
    assert second.variables == {"nome": "Ana"}


def test_rendering_runs_no_code_and_unknown_variables_are_empty():
    variables = {"nome": "{{ segredo }}", "segredo": "x"}

    assert render("Oi {{ nome }}{{ sobrenome }}!", variables) == "Oi {{ segredo }}!"
    assert render("{% load x %}{{ nome.__class__ }}{{ 1+1 }}", variables) == ""


def test_unsupported_syntax_never_reaches_the_customer():
    text = "Olá {{ nome.upper() }} {% if 1 %}x{% endif %}{# nota #} }} {{"

    assert render(text, {"nome": "Ana"}) == "Olá  x  "
    assert render("Oi {{nome}}, {{ nome|upper }}!", {"nome": "Ana"}) == "Oi Ana, !"


def test_last_message_completes_the_conversation():
    _, _, third = run(pizzeria(), ["oi", "Ana", "não, obrigado"])

    assert texts(third) == ["Até logo, Ana!"]
    assert third.completed is True
    assert Complete(1) in third.actions
    assert third.position.waiting_for == WAIT_NOTHING


def test_message_after_completion_starts_over():
    *_, again = run(pizzeria(), ["oi", "Ana", "tchau", "oi de novo"])

    assert texts(again) == ["Olá! Bem-vindo à Pizzaria.", "Qual é o seu nome?"]


def file_script():
    return template(
        flow(
            "f",
            sub(
                "receipt",
                msg("Envie o comprovante.", file=True, types=["pdf", "image/*"], save="comprovante", id=51),
                msg("Recebido, obrigado!", id=52),
            ),
        )
    )


def test_wait_for_file_advances_on_an_expected_document():
    _, second = run(file_script(), ["oi", Inbound(document=Document(mime="application/pdf", name="pix.pdf"))])

    assert texts(second) == ["Recebido, obrigado!"]
    assert second.variables == {"comprovante": "pix.pdf"}
    assert second.completed is True


def test_wait_for_file_reasks_on_text_or_wrong_type():
    with translation.override("en"):
        first, by_text, by_type = run(
            file_script(),
            ["oi", "já mandei", Inbound(document=Document(mime="application/zip", name="x.zip"))],
        )

    reask = "Sorry, I could not use that. Please send the file as a document (PDF, IMAGE/*)."
    assert texts(by_text) == [reask]
    assert texts(by_type) == [reask]
    assert by_type.position.message_id == 51
    assert by_type.position.waiting_for == WAIT_FILE
    assert by_type.variables == {}


def test_wait_for_file_accepts_a_wildcard_mime():
    _, second = run(file_script(), ["oi", Inbound(document=Document(mime="image/jpeg", name="foto"))])

    assert texts(second) == ["Recebido, obrigado!"]


def test_idle_past_the_limit_resets_to_the_start():
    waiting = Position(
        flow_id=1,
        subflow_id=20,
        message_id=21,
        message_order=1,
        waiting_for=WAIT_RESPONSE,
        last_activity_at=NOW - timedelta(minutes=121),
    )

    [decision] = run(pizzeria(), ["voltei"], position=waiting, stale_after=timedelta(minutes=120))

    assert decision.actions[0] == Reset("idle")
    assert texts(decision) == ["Olá! Bem-vindo à Pizzaria.", "Qual é o seu nome?"]


def test_not_yet_idle_carries_on():
    waiting = Position(
        flow_id=1,
        subflow_id=20,
        message_id=21,
        message_order=1,
        waiting_for=WAIT_RESPONSE,
        last_activity_at=NOW - timedelta(minutes=119),
    )

    [decision] = run(
        pizzeria(), ["ok"], position=waiting, variables={"nome": "Ana"}, stale_after=timedelta(minutes=120)
    )

    assert texts(decision) == ["Até logo, Ana!"]


def test_deleted_current_message_carries_on_at_the_next_step():
    # The conversation waits on message 99 (order 1) of subflow 10, which no longer exists.
    snapshot = template(flow("f", sub("s", msg("antes", order=0), msg("depois?", order=2, wait=True), id=10), id=1))
    waiting = Position(flow_id=1, subflow_id=10, message_id=99, message_order=1, waiting_for=WAIT_RESPONSE)

    [decision] = run(snapshot, ["resposta"], position=waiting)

    assert texts(decision) == ["depois?"]
    assert decision.position.waiting_for == WAIT_RESPONSE


def test_deleted_subflow_restarts_its_flow():
    snapshot = pizzeria()
    waiting = Position(flow_id=1, subflow_id=777, message_id=778, message_order=1, waiting_for=WAIT_RESPONSE)

    [decision] = run(snapshot, ["resposta"], position=waiting)

    assert texts(decision) == ["Olá! Bem-vindo à Pizzaria.", "Qual é o seu nome?"]


def test_action_runs_after_a_plain_message_and_with_a_reply():
    snapshot = template(
        flow(
            "f",
            sub(
                "s",
                msg("Cardápio:", action="show_catalog", id=61),
                msg("O que deseja?", wait=True, action="add_to_cart", id=62),
                msg("Mais algo?", wait=True, id=63),
            ),
        )
    )

    first, second = run(snapshot, ["oi", "2 calabresas"])

    assert first.actions[:2] == (SendMessage("Cardápio:", 0, 61), RunAction("show_catalog", 61))
    assert RunAction("add_to_cart", 62, reply="2 calabresas") in second.actions


def test_script_looping_back_without_a_question_stops():
    loop = sub("loop", msg("eco"), id=70, parent=70)

    [decision] = run(template(flow("f", loop)), ["oi"])

    assert texts(decision) == ["eco"]
    assert decision.position.waiting_for == WAIT_RESPONSE


def test_no_template_answers_nothing():
    [decision] = run(None, ["oi"])

    assert decision.actions == ()
    assert decision.position == Position()
