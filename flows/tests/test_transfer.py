import copy
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.exceptions import ValidationError

from flows.demo import pizzeria_document
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from flows.services import flow_template_export, flow_template_import
from flows.tests.factories import pizzeria_template
from tenants.scoping import company_scope


def counts():
    return [m.objects.unscoped().count() for m in (FlowTemplate, Flow, Subflow, FlowMessage)]  # unscoped: test totals


def test_export_import_export_is_exact(company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
        first = flow_template_export(template=template)
        imported = flow_template_import(document=json.loads(json.dumps(first)))
        second = flow_template_export(template=imported)

    assert imported.name == "Imported - Pizzaria"
    assert second["template"].pop("name") == "Imported - Pizzaria"
    assert first["template"].pop("name") == "Pizzaria"
    assert second == first
    assert first["flows"][0]["subflows"][2]["parent"] == "s2"


def every_feature_document() -> dict:
    """The demo pizzeria plus what it lacks: inactive parts, a second flow, an image, a description."""
    document = copy.deepcopy(pizzeria_document())
    document["template"]["is_active"] = False
    document["template"]["on_send_failure"] = FlowTemplate.SendFailure.NOTHING
    main = document["flows"][0]
    main["subflows"][0]["messages"].append(
        {
            **main["subflows"][0]["messages"][0],
            "message_text": "Foto da pizza",
            "message_type": "image",
            "order_index": 3,
            "is_active": False,
            "delay_seconds": 3600,
        }
    )
    retired = copy.deepcopy(main["subflows"][3])
    retired.update(ref="s5", name="Despedida antiga", order_index=5, is_active=False, description="desligado")
    main["subflows"].append(retired)
    second = copy.deepcopy(main)
    second.update(name="Pós-venda", description="avaliação", is_default=False, is_active=False, order_index=1)
    for index, subflow in enumerate(second["subflows"], start=6):
        subflow["ref"] = f"s{index}"
    second["subflows"][2]["parent"] = "s7"
    document["flows"].append(second)
    return document


def test_every_field_survives_import_export_import_export(company_a):
    document = every_feature_document()
    with company_scope(company_a):
        first = flow_template_export(template=flow_template_import(document=json.loads(json.dumps(document))))
        second = flow_template_export(template=flow_template_import(document=json.loads(json.dumps(first))))

    for exported in (document, first, second):
        exported["template"].pop("name")
    assert first == document
    assert second == first


def test_a_document_from_before_the_send_failure_choice_imports_with_the_default(company_a):
    document = copy.deepcopy(pizzeria_document())
    assert "on_send_failure" not in document["template"]
    with company_scope(company_a):
        imported = flow_template_import(document=document)
        exported = flow_template_export(template=imported)

    assert imported.on_send_failure == FlowTemplate.SendFailure.HANDOFF
    assert exported["template"]["on_send_failure"] == "handoff"


def all_rows():
    """Every row of the four tables, every column: 'unchanged' means exactly this."""
    return [
        list(m.objects.unscoped().order_by("pk").values())  # unscoped: test compares whole tables
        for m in (FlowTemplate, Flow, Subflow, FlowMessage)
    ]


def test_a_malformed_import_leaves_existing_data_unchanged(company_a):
    bad = every_feature_document()
    bad["flows"][1]["subflows"][3]["messages"][0]["expected_file_types"] = "pdf"  # the very last row is bad
    with company_scope(company_a):
        pizzeria_template(company_a)
        flow_template_import(document=pizzeria_document())
    before = all_rows()

    with company_scope(company_a), pytest.raises(ValidationError):
        flow_template_import(document=bad)

    assert all_rows() == before


def test_importing_twice_gets_a_distinct_name(company_a):
    with company_scope(company_a):
        document = pizzeria_document()
        names = [flow_template_import(document=document).name for _ in range(2)]

    assert names == ["Imported - Pizzaria", "Imported - Pizzaria (2)"]


def _broken(mutate):
    document = copy.deepcopy(pizzeria_document())
    mutate(document)
    return document


@pytest.mark.parametrize(
    "document",
    [
        "not a document",
        {"format": "balcao.flow-template", "version": 99, "template": {"name": "x"}, "flows": []},
        _broken(lambda d: d["flows"][0]["subflows"][1].update(id=123)),
        _broken(lambda d: d["flows"][0].update(template_id=5)),
        _broken(lambda d: d["flows"][0]["subflows"][2].update(parent="s99")),
        _broken(lambda d: d["flows"][0]["subflows"][0]["messages"][0].update(delay_seconds=-1)),
        _broken(lambda d: d["flows"][0]["subflows"][0]["messages"][0].update(save_reply_as="1 bad")),
        _broken(lambda d: d["flows"][0]["subflows"][0]["messages"][0].update(action="not_registered")),
        _broken(lambda d: d["flows"].append(copy.deepcopy(d["flows"][0]))),
    ],
)
def test_malformed_or_foreign_documents_create_nothing(company_a, document):
    with company_scope(company_a), pytest.raises(ValidationError):
        flow_template_import(document=document)

    assert counts() == [0, 0, 0, 0]


def test_a_failure_half_way_rolls_everything_back(company_a, monkeypatch):
    from flows.services import transfer

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(transfer.FlowMessage.objects, "bulk_create", explode)
    with company_scope(company_a), pytest.raises(RuntimeError):
        flow_template_import(document=pizzeria_document())

    assert counts() == [0, 0, 0, 0]


def test_commands_round_trip_through_a_file(company_a, company_b, tmp_path):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
    path = tmp_path / "flows.json"

    call_command("export_flows", "--empresa=pizzaria-a", str(template.pk), "-o", str(path))
    call_command("import_flows", "--empresa=loja-b", str(path))

    with company_scope(company_b):
        copied = FlowTemplate.objects.get()
        assert copied.name == "Imported - Pizzaria"
        assert FlowMessage.objects.count() == 5


def test_export_command_refuses_another_companys_template(company_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_flows", "--empresa=pizzaria-a", str(template.pk))


def test_import_command_reports_a_bad_file(company_a, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "balcao.flow-template"}')

    with pytest.raises(CommandError, match="Not a valid flow export"):
        call_command("import_flows", "--empresa=pizzaria-a", str(path))
    assert counts() == [0, 0, 0, 0]
