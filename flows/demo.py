"""The demo company's pizzeria flow (greeting, name, menu keyword, order, address, receipt, goodbye)."""

from flows import actions
from flows.models import FlowTemplate
from flows.services import flow_template_import, flow_template_publish
from flows.services.transfer import FORMAT, IMPORTED_PREFIX, VERSION
from tenants.scoping import company_scope

DEMO_TEMPLATE_NAME = "Pizzaria"


def _message(text, order, *, wait=False, file=False, types=(), delay=0, save="", action=""):
    return {
        "message_text": text,
        "message_type": "text",
        "order_index": order,
        "wait_for_response": wait,
        "wait_for_file": file,
        "expected_file_types": list(types),
        "delay_seconds": delay,
        "is_active": True,
        "save_reply_as": save,
        "action": action if actions.get(action) else "",  # commerce hooks, when that app is installed
    }


def _subflow(ref, name, order, messages, *, keywords=(), parent=None):
    return {
        "ref": ref,
        "name": name,
        "description": "",
        "trigger_keywords": list(keywords),
        "order_index": order,
        "is_active": True,
        "parent": parent,
        "messages": messages,
    }


def pizzeria_document() -> dict:
    greeting = [
        _message("Olá! 🍕 Bem-vindo à {{ empresa }}.", 1),
        _message("Como você se chama?", 2, wait=True, save="nome", delay=1),
    ]
    order = [
        _message(
            "Prazer, {{ nome }}! Digite *cardápio* para ver as pizzas, ou diga o que deseja pedir.",
            1,
            wait=True,
            save="pedido",
            action="add_to_cart",
        ),
        _message("Anotado: {{ pedido }}. Qual o endereço de entrega?", 2, wait=True, save="endereco"),
        _message(
            "Para pagar, faça o Pix e envie o comprovante em PDF ou foto.",
            3,
            file=True,
            types=("pdf", "image/*"),
            save="comprovante",
        ),
    ]
    menu = [
        _message(
            "Nosso cardápio:\n1. Margherita — R$ 45\n2. Calabresa — R$ 42\n3. Portuguesa — R$ 48",
            1,
            action="show_catalog",
        ),
    ]
    goodbye = [_message("Comprovante recebido, {{ nome }}! Seu pedido vai para {{ endereco }}. Até logo! 👋", 1)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "template": {"name": DEMO_TEMPLATE_NAME, "description": "Fluxo de demonstração da pizzaria", "is_active": True},
        "flows": [
            {
                "name": "Atendimento",
                "description": "",
                "is_default": True,
                "is_active": True,
                "order_index": 0,
                "subflows": [
                    _subflow("s1", "Saudação", 1, greeting),
                    _subflow("s2", "Pedido", 2, order),
                    _subflow("s3", "Cardápio", 3, menu, keywords=("cardápio", "menu"), parent="s2"),
                    _subflow("s4", "Despedida", 4, goodbye),
                ],
            }
        ],
    }


def load(company) -> FlowTemplate:
    """Create and publish the pizzeria template once; later runs leave it (and staff edits) alone."""
    with company_scope(company):
        existing = FlowTemplate.objects.filter(name__in=[DEMO_TEMPLATE_NAME, IMPORTED_PREFIX + DEMO_TEMPLATE_NAME])
        template = existing.first()
        if template is not None:
            return template
        template = flow_template_import(document=pizzeria_document())
        template.name = DEMO_TEMPLATE_NAME
        template.save(update_fields=["name"])
        flow_template_publish(template=template, published_by="demo")
        return template
