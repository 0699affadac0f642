"""The demo pizzeria's ordering flow ("Pedidos"): menu → items → zone → address → payment (Pix).

The flows app's own demo template ("Pizzaria") shows the engine (names, keywords, a file wait) but
does not check out; this template carries the commerce actions (carts/actions.py) so `make run`
can take an order end to end through the console channel. When the flows demo cannot check out,
it is switched off once (staff may switch it back in the admin) so this one is the live template.

`ordering_document()` is the export document (flows.services.transfer format); the end-to-end
test builds its flow from the same document.
"""

from flows import services as flow_services
from flows.models import FlowMessage, FlowTemplate
from flows.services import flow_template_import
from flows.services.transfer import FORMAT, IMPORTED_PREFIX, VERSION
from tenants.scoping import company_scope

ORDERING_TEMPLATE_NAME = "Pedidos"
FLOWS_DEMO_TEMPLATE_NAME = "Pizzaria"  # flows/demo.py's DEMO_TEMPLATE_NAME


def _message(text, order, *, wait=False, delay=0, save="", action=""):
    return {
        "message_text": text,
        "message_type": "text",
        "order_index": order,
        "wait_for_response": wait,
        "wait_for_file": False,
        "expected_file_types": [],
        "delay_seconds": delay,
        "is_active": True,
        "save_reply_as": save,
        "action": action,
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


def _pick_items(start: int) -> list[dict]:
    """Ask for items (numbers or names, several at once), then show the cart."""
    return [
        _message(
            "O que vai querer? Pode pedir vários itens de uma vez (ex.: 2x calabresa e 1 coca).",
            start,
            wait=True,
            action="add_to_cart",
        ),
        _message("Seu pedido até agora:", start + 1, action="show_cart"),
    ]


def ordering_document() -> dict:
    """The "Pedidos" template: the main line orders (items, neighbourhood, address, payment, a recap
    to confirm); keywords show the menu, the cart, remove an item, go to checkout, repeat the last
    order, cancel or call a person. After a keyword subflow the conversation goes on to delivery.
    Every word the bot tells the customer to type is a keyword here or an answer of that step."""
    menu = [
        _message("Olá! 🍕 Bem-vindo à {{ empresa }}.", 1),
        _message("Este é o nosso cardápio:", 2, delay=1, action="show_catalog"),
        *_pick_items(3),
    ]
    delivery = [
        _message("Em qual bairro é a entrega?", 1, action="choose_zone"),
        _message("Responda com o número ou o nome do bairro.", 2, wait=True, action="choose_zone"),
        _message("Qual o endereço (rua, número e complemento)?", 3, wait=True, save="endereco"),
        _message("Como vai pagar: *Pix*, *dinheiro* ou *cartão*?", 4, wait=True, action="choose_payment"),
        _message("Confira seu pedido:", 5, action="order_recap"),
        _message(
            "Posso fazer o pedido? Responda *sim* para confirmar ou *não* para mudar.",
            6,
            wait=True,
            action="confirm_order",
        ),
        _message("Obrigado pelo pedido! Avisamos por aqui a cada etapa.", 7),
    ]
    keyword_subflows = [
        ("again", "Ver cardápio", [_message("Nosso cardápio:", 1, action="show_catalog"), *_pick_items(2)],
         ("cardápio", "cardapio", "menu"), "delivery"),
        ("cart", "Ver carrinho", [_message("Seu carrinho:", 1, action="show_cart")], ("carrinho",), "delivery"),
        ("remove", "Remover item", [
            _message("Seu carrinho:", 1, action="show_cart"),
            _message("Qual item quer tirar? Responda com o número ou o nome.", 2, wait=True,
                     action="remove_from_cart"),
        ], ("remover", "tirar"), "delivery"),
        ("finish", "Finalizar", [_message("Vamos fechar o seu pedido!", 1)], ("finalizar", "fechar pedido"),
         "delivery"),
        ("repeat", "Repetir pedido", [_message("Seu último pedido, de novo:", 1, action="repeat_order")],
         ("repetir",), "delivery"),
        ("human", "Atendente", [_message("Certo!", 1, action="handoff")], ("atendente", "humano"), None),
        ("cancel", "Cancelar", [
            _message("Pedido cancelado. Quando quiser, é só mandar *oi*. Até logo! 👋", 1, action="cancel_order"),
        ], ("desistir", "cancelar pedido"), None),
    ]  # fmt: skip
    return {
        "format": FORMAT,
        "version": VERSION,
        "template": {"name": ORDERING_TEMPLATE_NAME, "description": "Pedidos pelo WhatsApp (demonstração)", "is_active": True},
        "flows": [
            {
                "name": "Pedido pelo WhatsApp",
                "description": "",
                "is_default": True,
                "is_active": True,
                "order_index": 0,
                "subflows": [
                    _subflow("menu", "Cardápio e itens", 1, menu),
                    _subflow("delivery", "Entrega e pagamento", 2, delivery),
                    *[
                        _subflow(ref, name, order, messages, keywords=keywords, parent=parent)
                        for order, (ref, name, messages, keywords, parent) in enumerate(keyword_subflows, start=3)
                    ],
                ],
            }
        ],
    }


def load(company) -> FlowTemplate:
    """Create the "Pedidos" template once and make it the live one when the flows demo cannot
    check out; later runs leave both templates (and staff edits) alone."""
    with company_scope(company):
        names = [ORDERING_TEMPLATE_NAME, IMPORTED_PREFIX + ORDERING_TEMPLATE_NAME]
        template = FlowTemplate.objects.filter(name__in=names).first()
        if template is not None:
            return template
        template = flow_template_import(document=ordering_document())
        template.name = ORDERING_TEMPLATE_NAME
        template.save(update_fields=["name"])
        publish = getattr(flow_services, "flow_template_publish", None)  # flows with draft/published versions
        if publish is not None:
            publish(template=template, published_by="demo")
        flows_demo = FlowTemplate.objects.filter(name=FLOWS_DEMO_TEMPLATE_NAME, is_active=True).first()
        if flows_demo is not None and not _checks_out(flows_demo):
            flows_demo.is_active = False
            flows_demo.save(update_fields=["is_active", "updated_at"])
        return template


def _checks_out(template: FlowTemplate) -> bool:
    return FlowMessage.objects.filter(
        subflow__flow__template=template, action__in=("checkout", "confirm_order"), is_active=True
    ).exists()
