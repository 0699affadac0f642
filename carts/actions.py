"""Flow actions of the commerce domain: plain functions (conversation, text) -> reply texts.

Registered with the flows engine (flows.actions) in CartsConfig.ready() under the names in
ACTIONS; `hook(ctx)` adapts the engine's ActionContext. They run inside the company scope set by
the engine's task.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from carts.matching import fold
from carts.services import (
    CartError,
    cart_add_item,
    cart_checkout,
    cart_remove_item,
    cart_repeat_last_order,
    cart_set_zone,
    cart_view,
    session_list_set,
)
from catalog.selectors import format_price, products_for_sale, zones_active
from catalog.services import OutOfStock
from conversations.models import Conversation
from integrations.errors import IntegrationError
from orders.models import Order
from orders.payments import PixNotConfigured, payment_qr_url, pix_charge_create
from orders.services import order_rating_record

PAYMENT_WORDS = {"pix": "pix", "dinheiro": "cash", "cash": "cash", "cartao": "card", "card": "card", "credito": "card", "debito": "card"}  # fmt: skip


def show_catalog(conversation, text: str = "") -> list[str]:
    """The menu by category, numbered; the numbers are remembered for "2" / "quero o 2"."""
    products = products_for_sale(company=conversation.company)
    if not products:
        return [_("Our menu is empty right now.")]
    lines, entries, current = [], [], None
    for n, product in enumerate(products, start=1):
        category = product.category.name if product.category else _("Others")
        if category != current:
            lines.append(f"\n*{category}*")
            current = category
        lines.append(f"{n}. {product.name} — {format_price(product.price)}")
        entries.append({"n": n, "kind": "product", "id": product.pk, "name": product.name})
    session_list_set(company=conversation.company, customer=conversation.customer, entries=entries)
    return ["\n".join(lines).strip() + "\n\n" + _("Reply with the number or the name (e.g. 2x calabresa).")]


def add_to_cart(conversation, text: str) -> list[str]:
    try:
        result = cart_add_item(company=conversation.company, customer=conversation.customer, text=text)
    except CartError as exc:
        return [str(exc)]
    replies = (
        [_("Added: %(items)s.") % {"items": ", ".join(f"{i.quantity}x {i.name}" for i in result.added)}]
        if result.added
        else []
    )
    if result.unmatched:
        replies.append(
            _("I did not find: %(items)s. Send *menu* to see the options.") % {"items": ", ".join(result.unmatched)}
        )
    return replies or [_("I did not understand. Send *menu* to see the options.")]


def remove_from_cart(conversation, text: str) -> list[str]:
    removed = cart_remove_item(company=conversation.company, customer=conversation.customer, text=text)
    if removed is None:
        return [_("I did not find that item in your cart.")]
    return [_("Removed: %(name)s.") % {"name": removed.name}, *show_cart(conversation)]


def show_cart(conversation, text: str = "") -> list[str]:
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if not view.items:
        return [_("Your cart is empty.")]
    lines = [
        f"{n}. {i.quantity}x {i.name} — {format_price(i.unit_price * i.quantity)}" for n, i in enumerate(view.items, 1)
    ]
    lines += [
        "",
        _("Subtotal: %(v)s") % {"v": format_price(view.subtotal)},
        _("Delivery: %(v)s") % {"v": format_price(view.fee)},
        _("Total: %(v)s") % {"v": format_price(view.total)},
    ]
    return ["\n".join(lines)]


def choose_zone(conversation, text: str) -> list[str]:
    """With no text: list the zones (numbered). With text: set the zone by number or name."""
    if not (text or "").strip():
        zones = zones_active(company=conversation.company)
        entries = [{"n": n, "kind": "zone", "id": z.pk, "name": z.neighbourhood} for n, z in enumerate(zones, 1)]
        session_list_set(company=conversation.company, customer=conversation.customer, entries=entries)
        return [
            "\n".join(
                f"{e['n']}. {z.neighbourhood} — {format_price(z.fee)}" for e, z in zip(entries, zones, strict=True)
            )
        ]
    try:
        zone = cart_set_zone(company=conversation.company, customer=conversation.customer, text=text)
    except CartError as exc:
        return [str(exc)]
    return [_("Delivery to %(zone)s: %(fee)s.") % {"zone": zone.neighbourhood, "fee": format_price(zone.fee)}]


def checkout(conversation, text: str) -> list[str]:
    """`text` is the payment method (pix, dinheiro, cartão); the address is the flow variable `endereco`."""
    method = next((v for k, v in PAYMENT_WORDS.items() if k in fold(text)), None)
    if method is None:
        return [_("How will you pay: Pix, cash or card?")]
    address = (conversation.variables or {}).get("endereco", "")
    try:
        order = cart_checkout(
            company=conversation.company, customer=conversation.customer, address=address, payment_method=method
        )
    except (CartError, OutOfStock) as exc:
        return [str(exc)]
    replies = [_("Order #%(id)s placed! Total %(total)s.") % {"id": order.pk, "total": format_price(order.total)}]
    if method == Order.PaymentMethod.PIX:
        try:
            payment = pix_charge_create(order=order)
        except (PixNotConfigured, IntegrationError):
            return [*replies, _("We could not create the Pix now; our team will contact you.")]
        replies += [
            _("Pix copy-and-paste code:"),
            payment.qr_payload,
            _("QR code: %(url)s") % {"url": payment_qr_url(payment)},
        ]
    return replies


def repeat_order(conversation, text: str = "") -> list[str]:
    try:
        result = cart_repeat_last_order(company=conversation.company, customer=conversation.customer)
    except CartError as exc:
        return [str(exc)]
    replies = show_cart(conversation)
    if result.unmatched:
        replies.append(_("Not available anymore: %(items)s.") % {"items": ", ".join(result.unmatched)})
    return replies


def handoff(conversation, text: str = "") -> list[str]:
    Conversation.objects.for_company(conversation.company_id).filter(Q(pk=conversation.pk)).update(
        bot_paused=True, status=Conversation.Status.HANDOFF
    )
    return [_("One of our team will talk to you shortly.")]


def rate_order(conversation, text: str) -> list[str]:
    """Record a 1..5 answer to the rating question (the thanks go out through the outbox)."""
    order = order_rating_record(company=conversation.company, customer=conversation.customer, text=text)
    return [] if order else [_("Please answer with a number from 1 to 5.")]


ACTIONS = {
    "show_catalog": show_catalog,
    "add_to_cart": add_to_cart,
    "remove_from_cart": remove_from_cart,
    "show_cart": show_cart,
    "choose_zone": choose_zone,
    "checkout": checkout,
    "repeat_order": repeat_order,
    "handoff": handoff,
    "rate_order": rate_order,
}


def hook(fn):
    """Adapt `fn(conversation, text)` to the engine's `hook(ActionContext)`; no-op in the simulator."""

    def run(ctx):
        if ctx.conversation is None:
            return None
        return fn(ctx.conversation, ctx.reply or "")

    run.__name__ = fn.__name__
    return run


def register_all() -> None:
    try:
        from flows import actions  # noqa: PLC0415 - the engine is optional for this app
    except ImportError:
        return
    for name, fn in ACTIONS.items():
        actions.register(name, hook(fn))
