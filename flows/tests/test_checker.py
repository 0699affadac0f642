"""The flow checker: one test per rule, plus where it runs (publish, import by API and command)."""

import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.exceptions import ValidationError

from flows import actions
from flows.checker import WHATSAPP_MAX_TEXT, check_document, check_snapshot, check_template
from flows.engine import build_snapshot
from flows.models import MAX_DELAY_SECONDS, FlowTemplate, FlowVersion
from flows.services import flow_template_export, flow_template_publish
from flows.tests.factories import FlowMessageFactory, pizzeria_template
from tenants.scoping import company_scope


def msg(id, subflow_id, text="Olá", order=None, **extra):
    return {
        "id": id,
        "subflow_id": subflow_id,
        "order_index": id if order is None else order,
        "message_text": text,
        **extra,
    }


def sub(id, order, keywords=(), parent=None, flow_id=1, name=None):
    return {
        "id": id,
        "flow_id": flow_id,
        "name": name or f"s{id}",
        "order_index": order,
        "trigger_keywords": list(keywords),
        "parent_subflow_id": parent,
    }


def snapshot(subflows, messages, flows=None):
    flows = flows or [{"id": 1, "name": "Main", "is_default": True, "order_index": 0}]
    return build_snapshot(1, flows, subflows, messages)


def codes(issues):
    return sorted((i.code, i.node_type, i.node_id, i.field) for i in issues)


def test_a_sound_flow_has_no_issue():
    assert check_snapshot(snapshot([sub(10, 1)], [msg(1, 10, "Oi {{ nome }}"), msg(2, 10, "Tchau")])) == []


def test_unknown_action():
    issues = check_snapshot(snapshot([sub(10, 1)], [msg(1, 10, action="mostrar_cardapio")]))

    assert codes(issues) == [("unknown_action", "message", 1, "action")]
    assert "mostrar_cardapio" in issues[0].message
    assert "Ação desconhecida" in issues[0].message  # pt-BR


def test_unknown_variable_but_saved_builtin_and_action_set_ones_are_known():
    actions.register("test_sets_total", lambda ctx: None, sets=["total_pedido"])
    try:
        issues = check_snapshot(
            snapshot(
                [sub(10, 1)],
                [
                    msg(1, 10, "Endereço?", wait_for_response=True, save_reply_as="endereco"),
                    msg(2, 10, "{{ endereco }} {{ telefone }} {{ total_pedido }} {{ apelido }}"),
                ],
            )
        )
    finally:
        actions.unregister("test_sets_total")

    assert codes(issues) == [("unknown_variable", "message", 2, "message_text")]
    assert "apelido" in issues[0].message


def test_unsupported_template_syntax():
    issues = check_snapshot(snapshot([sub(10, 1)], [msg(1, 10, "Olá {{ nome.upper() }} {% if 1 %}x{% endif %}")]))

    assert {i.code for i in issues} == {"unsupported_syntax"}
    assert {i.field for i in issues} == {"message_text"}
    assert any("{{ nome.upper() }}" in i.message for i in issues)


def test_keyword_claimed_by_two_subflows():
    issues = check_snapshot(
        snapshot(
            [sub(10, 1), sub(20, 2, ["Cardápio"], parent=10), sub(30, 3, ["cardapio", "menu"], parent=10)],
            [msg(1, 10, "Oi"), msg(2, 20), msg(3, 30)],
        )
    )

    assert codes(issues) == [
        ("duplicate_keyword", "subflow", 20, "trigger_keywords"),
        ("duplicate_keyword", "subflow", 30, "trigger_keywords"),
    ]


def test_wait_with_no_way_forward():
    issues = check_snapshot(
        snapshot([sub(10, 1)], [msg(1, 10, "Oi"), msg(2, 10, "Qual seu CEP?", wait_for_response=True)])
    )

    assert codes(issues) == [("dead_end_wait", "message", 2, "wait_for_response")]


def test_a_wait_followed_by_the_next_main_line_subflow_or_an_action_is_fine():
    actions.register("test_noop", lambda ctx: None)
    try:
        issues = check_snapshot(
            snapshot(
                [sub(10, 1), sub(20, 2)],
                [
                    msg(1, 10, "CEP?", wait_for_response=True),
                    msg(2, 20, "Pagamento?", wait_for_response=True, action="test_noop"),
                ],
            )
        )
    finally:
        actions.unregister("test_noop")

    assert issues == []


def test_unreachable_subflow():
    # 20 returns to 10 but nothing enters it; 30 has no active message.
    issues = check_snapshot(snapshot([sub(10, 1), sub(20, 2, parent=10), sub(30, 3)], [msg(1, 10), msg(2, 20)]))

    assert codes(issues) == [("unreachable", "subflow", 20, ""), ("unreachable", "subflow", 30, "")]


def test_delay_beyond_the_limit():
    issues = check_snapshot(snapshot([sub(10, 1)], [msg(1, 10, delay_seconds=MAX_DELAY_SECONDS + 1)]))

    assert codes(issues) == [("delay_too_long", "message", 1, "delay_seconds")]


def test_message_over_whatsapps_length():
    issues = check_snapshot(snapshot([sub(10, 1)], [msg(1, 10, "a" * (WHATSAPP_MAX_TEXT + 1))]))

    assert codes(issues) == [("too_long", "message", 1, "message_text")]


@pytest.mark.django_db
def test_publishing_is_refused_while_an_issue_remains(company_a):
    with company_scope(company_a):
        template, ask = pizzeria_template(company_a)
        FlowMessageFactory(company=company_a, subflow=ask.subflow, message_text="{{ nome.upper() }}", order_index=9)

        assert [i.code for i in check_template(template_id=template.pk)] == ["unsupported_syntax"]
        with pytest.raises(ValidationError) as refused:
            flow_template_publish(template=template)
        assert "checker" in refused.value.detail
        assert FlowVersion.objects.count() == 0
        template.refresh_from_db()
        assert template.published_version == 0


def _document_with_errors(company):
    with company_scope(company):
        template, _ = pizzeria_template(company)
        document = flow_template_export(template=template)
    document["flows"][0]["subflows"][0]["messages"][0]["message_text"] = "Olá {{ nome.upper() }}"
    return document


@pytest.mark.django_db
def test_importing_a_document_with_errors_changes_nothing_by_api(api_client_a, company_a):
    document = _document_with_errors(company_a)
    assert [i.code for i in check_document(document)] == ["unsupported_syntax"]

    response = api_client_a.post("/api/import/flows/", document, format="json")

    assert response.status_code == 400
    assert "nome.upper()" in json.dumps(response.json()["checker"], ensure_ascii=False)
    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 1


@pytest.mark.django_db
def test_importing_a_document_with_errors_changes_nothing_by_command(company_a, tmp_path):
    path = tmp_path / "flows.json"
    path.write_text(json.dumps(_document_with_errors(company_a)), encoding="utf-8")

    with pytest.raises(CommandError, match="checker"):
        call_command("import_flows", str(path), "--empresa", company_a.slug)
    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 1
