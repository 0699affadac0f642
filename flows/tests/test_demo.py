from flows.demo import load
from flows.models import FlowTemplate
from flows.services import flow_simulate, flow_template_export, flow_template_import
from tenants.scoping import company_scope


def test_demo_pizzeria_is_loaded_once_and_talks(company_a):
    template = load(company_a)
    assert load(company_a).pk == template.pk

    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 1
        turns = flow_simulate(
            template_id=template.pk,
            inputs=[
                "oi",
                "Ana",
                "quero ver o CARDAPIO",
                "2 calabresas",
                "Rua A, 10",
                "mandei",
                {"document": {"mime": "application/pdf", "name": "pix.pdf"}},
            ],
        )

    assert template.name == "Pizzaria"
    replies = [[r["text"] for r in t["replies"]] for t in turns]
    assert replies[0] == [f"Olá! 🍕 Bem-vindo à {company_a.name}.", "Como você se chama?"]
    assert replies[2][0].startswith("Nosso cardápio:")
    # The dry run shows what the actions answer too (this company sells nothing yet).
    assert replies[2][1] == "Nosso cardápio está vazio no momento."
    assert replies[3] == ["Nosso cardápio está vazio no momento.", "Anotado: 2 calabresas. Qual o endereço de entrega?"]
    assert turns[5]["position"]["waiting_for"] == "file"
    assert replies[6] == ["Comprovante recebido, Ana! Seu pedido vai para Rua A, 10. Até logo! 👋"]
    assert turns[6]["completed"] is True


def test_a_template_exported_by_one_company_greets_with_the_importers_name(company_a, company_b):
    """Issue 20: the demo greets with `{{ empresa }}`; imported elsewhere it says that company's name."""
    template = load(company_a)
    with company_scope(company_a):
        document = flow_template_export(template=template)
    with company_scope(company_b):
        imported = flow_template_import(document=document)
        (turn,) = flow_simulate(template_id=imported.pk, inputs=["oi"])
    assert turn["replies"][0]["text"] == f"Olá! 🍕 Bem-vindo à {company_b.name}."
    assert company_a.name not in turn["replies"][0]["text"]
    assert "empresa" not in turn["variables"]  # given on each turn, never stored
