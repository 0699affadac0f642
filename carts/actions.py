"""Flow actions of the commerce domain: plain functions (conversation, text) -> reply texts and effects.

Registered with the flows engine (flows.actions) in CartsConfig.ready() under the names in
ACTIONS; `hook(ctx)` adapts the engine's ActionContext. They run inside the company scope set by
the engine's task.

A function answers `NotAccepted([...])` (still a list of reply texts) when the customer's answer
could not be used: nothing added, no zone matched, payment method not understood, item to remove
not found, not a 1..5 rating. The replies explain it and say what to answer; `hook` turns it into
the engine's `Rejected`, so the flow keeps waiting on the same step instead of moving on. They
never write the conversation: `handoff` answers the engine's `HandOff` effect, which the flow
service applies.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carts.services import (
    CartError,
    cart_add_item,
    cart_checkout,
    cart_open_get,
    cart_remove_item,
    cart_repeat_last_order,
    cart_set_zone,
    cart_view,
    session_list_set,
)
from catalog.selectors import format_price, products_for_sale, zones_active
from catalog.services import OutOfStock
from flows import actions
from integrations.errors import IntegrationError
from integrations.text import fold
from orders.models import Order
from orders.payments import PixNotConfigured, payment_qr_url, pix_charge_create
from orders.services import order_rating_record, parse_rating

PAYMENT_WORDS = {"pix": "pix", "dinheiro": "cash", "cash": "cash", "cartao": "card", "card": "card", "credito": "card", "debito": "card"}  # fmt: skip


class NotAccepted(list):
    """Reply texts saying the customer's answer was not usable: the flow asks again (same step)."""


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
    """Add what `text` asks; NotAccepted when nothing could be added (some of it is enough)."""
    try:
        result = cart_add_item(company=conversation.company, customer=conversation.customer, text=text)
    except CartError as exc:
        return _nothing_added(conversation, [str(exc)])
    replies = (
        [_("Added: %(items)s.") % {"items": ", ".join(f"{i.quantity}x {i.name}" for i in result.added)}]
        if result.added
        else []
    )
    if result.unmatched:
        replies.append(
            _("I did not find: %(items)s. Send *menu* to see the options.") % {"items": ", ".join(result.unmatched)}
        )
    if not result.added:
        return _nothing_added(conversation, replies or [_("I did not understand. Send *menu* to see the options.")])
    return replies


def _nothing_added(conversation, replies: list[str]) -> list[str]:
    """NotAccepted, unless nothing is for sale: asking again would never end, so the flow goes on."""
    if not products_for_sale(company=conversation.company):
        return [_("Our menu is empty right now.")]
    return NotAccepted(replies)


def remove_from_cart(conversation, text: str) -> list[str]:
    """Remove the line `text` names (its number in the cart or its name). NotAccepted, with the
    cart again, when none matched; with an empty cart there is nothing to ask and the flow goes on."""
    removed = cart_remove_item(company=conversation.company, customer=conversation.customer, text=text)
    if removed is not None:
        return [_("Removed: %(name)s.") % {"name": removed.name}, *show_cart(conversation)]
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if not view.items:
        return [_("Your cart is empty.")]
    return NotAccepted(
        [
            _("I did not find that item in your cart."),
            _cart_text(view),
            _("Reply with the number or the name of the item to remove."),
        ]
    )


def show_cart(conversation, text: str = "") -> list[str]:
    view = cart_view(company=conversation.company, customer=conversation.customer)
    return [_cart_text(view)] if view.items else [_("Your cart is empty.")]


def _cart_text(view) -> str:
    lines = [
        f"{n}. {i.quantity}x {i.name} — {format_price(i.unit_price * i.quantity)}" for n, i in enumerate(view.items, 1)
    ]
    lines += [
        "",
        _("Subtotal: %(v)s") % {"v": format_price(view.subtotal)},
        _("Delivery: %(v)s") % {"v": format_price(view.fee)},
        _("Total: %(v)s") % {"v": format_price(view.total)},
    ]
    return "\n".join(lines)


def choose_zone(conversation, text: str) -> list[str]:
    """With no text: list the zones (numbered). With text: set the zone by number or name.
    NotAccepted when no zone matched (with the list again) or the cart is empty (menu first);
    without any active zone there is nothing to choose and the flow goes on (default fee)."""
    company, customer = conversation.company, conversation.customer
    if not (text or "").strip():
        listing = _zone_list(company, customer)
        return [listing] if listing else []
    try:
        zone = cart_set_zone(company=company, customer=customer, text=text)
    except CartError as exc:
        if cart_open_get(company=company, customer=customer) is None:
            return NotAccepted([_("Your cart is empty."), _("Send *menu* to choose your items.")])
        listing = _zone_list(company, customer)
        if not listing:
            return [str(exc)]
        return NotAccepted([str(exc), _("Reply with the number or the name of the neighbourhood:") + "\n" + listing])
    return [_("Delivery to %(zone)s: %(fee)s.") % {"zone": zone.neighbourhood, "fee": format_price(zone.fee)}]


def _zone_list(company, customer) -> str:
    """The active zones, numbered, with their fees (the numbers are remembered for "2"); "" without any."""
    zones = zones_active(company=company)
    entries = [{"n": n, "kind": "zone", "id": z.pk, "name": z.neighbourhood} for n, z in enumerate(zones, 1)]
    session_list_set(company=company, customer=customer, entries=entries)
    return "\n".join(
        f"{e['n']}. {z.neighbourhood} — {format_price(z.fee)}" for e, z in zip(entries, zones, strict=True)
    )


def checkout(conversation, text: str) -> list[str]:
    """`text` is the payment method (pix, dinheiro, cartão); the address is the flow variable `endereco`.
    NotAccepted, with no order placed, when the method is not understood, the cart is empty or out
    of stock. The address is not checked here: this step cannot take it."""
    method = next((v for k, v in PAYMENT_WORDS.items() if k in fold(text)), None)
    if method is None:
        return NotAccepted([_("How will you pay: Pix, cash or card?")])
    address = (conversation.variables or {}).get("endereco", "")
    try:
        order = cart_checkout(
            company=conversation.company, customer=conversation.customer, address=address, payment_method=method
        )
    except CartError as exc:  # nothing in the cart
        return NotAccepted([str(exc), _("Send *menu* to choose your items.")])
    except OutOfStock as exc:
        return NotAccepted([str(exc)])
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


def handoff(conversation, text: str = "") -> list:
    return [actions.HandOff(), _("One of our team will talk to you shortly.")]


def rate_order(conversation, text: str) -> list[str]:
    """Record a 1..5 answer to the rating question (the thanks go out through the outbox).
    NotAccepted when the answer is not 1..5; a rating with no order waiting for one goes on."""
    if parse_rating(text) is None:
        return NotAccepted([_("Please answer with a number from 1 to 5.")])
    order_rating_record(company=conversation.company, customer=conversation.customer, text=text)
    return []


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


DESCRIPTIONS = {
    "show_catalog": gettext_lazy("Sends the menu by category, numbered."),
    "add_to_cart": gettext_lazy("Adds what the customer answered (e.g. 2x calabresa) to the cart."),
    "remove_from_cart": gettext_lazy("Removes the cart line the customer named."),
    "show_cart": gettext_lazy("Sends the cart with subtotal, delivery fee and total."),
    "choose_zone": gettext_lazy("Lists the delivery neighbourhoods, then sets the one answered."),
    "checkout": gettext_lazy("Places the order with the payment method answered (Pix sends the QR code)."),
    "repeat_order": gettext_lazy("Puts the customer's last order in the cart again."),
    "handoff": gettext_lazy("Hands the conversation to a person of the team."),
    "rate_order": gettext_lazy("Records the 1 to 5 rating of the last order."),
}


def cart_summary_variable(conversation) -> str:
    """The `{{ carrinho }}` built-in variable: the open cart as the show_cart action sends it."""
    return show_cart(conversation)[0]


def checkout_dry_run(conversation, text: str) -> list[str]:
    """What `checkout` would answer, without placing the order or creating a Pix charge (the
    dry-run simulator: no order row, no call to the payment provider)."""
    method = next((v for k, v in PAYMENT_WORDS.items() if k in fold(text)), None)
    if method is None:
        return NotAccepted([_("How will you pay: Pix, cash or card?")])
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if not view.items:
        return NotAccepted([_("Your cart is empty."), _("Send *menu* to choose your items.")])
    return [
        _("(dry run) The order would be placed here: total %(total)s, paid by %(method)s.")
        % {"total": format_price(view.total), "method": Order.PaymentMethod(method).label}
    ]


# In the dry-run simulator these answer without calling out (payment provider, AI service).
DRY_RUN = {"checkout": checkout_dry_run}


def hook(fn, dry_run_fn=None):
    """Adapt `fn(conversation, text)` to the engine's `hook(ActionContext)`; no-op without a
    conversation. In the dry-run simulator (`ctx.dry_run`, inside a transaction the simulator rolls
    back) `dry_run_fn` answers instead when given (it must call nothing outside).
    A NotAccepted answer becomes the engine's `Rejected`: the flow keeps waiting on the step."""

    def run(ctx):
        if ctx.conversation is None:
            return None
        answer = dry_run_fn if getattr(ctx, "dry_run", False) and dry_run_fn is not None else fn
        replies = answer(ctx.conversation, ctx.reply or "")
        if isinstance(replies, NotAccepted):
            return actions.Rejected(replies)
        return replies

    run.__name__ = fn.__name__
    return run


def register_all() -> None:
    for name, fn in ACTIONS.items():
        actions.register(name, hook(fn, DRY_RUN.get(name)), description=DESCRIPTIONS.get(name, ""))
    actions.variable_register(
        "carrinho", cart_summary_variable, description=gettext_lazy("The open cart with its total")
    )
