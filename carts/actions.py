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

import structlog
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carts.services import (
    CartError,
    cart_add_item,
    cart_checkout,
    cart_open_get,
    cart_remove_item,
    cart_remove_sold_out,
    cart_repeat_last_order,
    cart_set_zone,
    cart_view,
    session_list_set,
    shopping_reset,
)
from catalog.selectors import format_price, products_for_sale, zones_active
from catalog.services import OutOfStock, default_delivery_fee_get
from flows import actions
from integrations.errors import IntegrationError
from integrations.text import fold
from orders.models import Order, Payment
from orders.payments import PixNotConfigured, pix_charge_create, pix_code_texts
from orders.services import order_rating_record, parse_rating

logger = structlog.get_logger(__name__)

PAYMENT_WORDS = {"pix": "pix", "dinheiro": "cash", "cash": "cash", "cartao": "card", "card": "card", "credito": "card", "debito": "card"}  # fmt: skip
PAYMENT_NAMES = {"pix": "Pix", "cash": gettext_lazy("cash"), "card": gettext_lazy("card")}
YES_WORDS = frozenset(
    "sim s ss confirmo confirma confirmar pode ok okay isso fechado bora beleza certo manda claro".split()
)
NO_WORDS = frozenset("nao n mudar alterar trocar errado espera".split())


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
        [
            _("Added: %(items)s.")
            % {"items": ", ".join(f"{n}x {i.name}" for i, n in zip(result.added, result.quantities, strict=True))}
        ]
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
    if view.fee_pending:
        lines += [
            "",
            _("Subtotal: %(v)s") % {"v": format_price(view.subtotal)},
            _("Delivery: calculated once you choose the neighbourhood."),
            _("Total without delivery: %(v)s") % {"v": format_price(view.total)},
        ]
        return "\n".join(lines)
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
        # Without zones there is nothing to ask: the question is skipped (the default fee applies).
        return [listing] if listing else [actions.SkipQuestion()]
    try:
        zone = cart_set_zone(company=company, customer=customer, text=text)
    except CartError as exc:
        if cart_open_get(company=company, customer=customer) is None:
            return NotAccepted([_("Your cart is empty."), _("Send *cardápio* to choose your items.")])
        listing = _zone_list(company, customer)
        if not listing:
            return []  # no zones: any answer will do, the default fee applies
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
    of stock. The address is not checked here: this step cannot take it. (Templates with a recap use
    `choose_payment`, `order_recap` and `confirm_order` instead.)"""
    method = payment_method_read(text)
    if method is None:
        return NotAccepted([_("How will you pay: Pix, cash or card?")])
    return _place(
        conversation,
        method,
        (conversation.variables or {}).get("endereco", ""),
        again=_("Reply with the payment method to place the order as it is now."),
    )


def payment_method_read(text: str) -> str | None:
    words = f" {fold(text)} "
    return next((v for k, v in PAYMENT_WORDS.items() if f" {k} " in words or fold(text).startswith(k)), None)


def _place(conversation, method: str, address: str, *, again: str) -> list:
    """Place the order from the open cart; the replies (and HandOff when the Pix cannot be made).
    Sold-out lines are taken out of the cart and the answer is NotAccepted: the customer confirms
    again (`again` says how), swaps the item or gives up."""
    company, customer = conversation.company, conversation.customer
    try:
        order = cart_checkout(company=company, customer=customer, address=address, payment_method=method)
    except CartError as exc:  # nothing in the cart
        return NotAccepted([str(exc), _("Send *cardápio* to choose your items.")])
    except OutOfStock:
        changed = cart_remove_sold_out(company=company, customer=customer)
        view = cart_view(company=company, customer=customer)
        replies = [_("Sorry, we ran out of: %(items)s. I took it out of your cart.") % {"items": ", ".join(changed)}]
        if not view.items:
            return NotAccepted(
                [
                    *replies,
                    _("Your cart is empty now. Send *cardápio* to choose something else, or *desistir* to give up."),
                ]
            )
        return NotAccepted(
            [
                *replies,
                _cart_text(view),
                again + " " + _("Send *cardápio* to add something else, or *desistir* to give up."),
            ]
        )
    replies = [_("Order #%(id)s placed! Total %(total)s.") % {"id": order.pk, "total": format_price(order.total)}]
    if method == Order.PaymentMethod.PIX:
        try:
            payment = pix_charge_create(order=order)
        except (PixNotConfigured, IntegrationError, ValueError):
            logger.exception("pix_charge_failed", order_id=order.pk)
            return [
                *replies,
                _("I had a problem creating the Pix; one of our team will help you here shortly."),
                actions.HandOff(),
            ]
        if payment.qr_payload:
            replies += pix_code_texts(payment)
        else:  # Mercado Pago: its own task creates the charge once this turn commits, and sends the code
            replies.append(_("Your Pix code comes in the next message."))
        if payment.provider == Payment.Provider.STATIC_PIX:
            replies.append(
                _("After paying, send the receipt here (a photo or PDF): our team checks it and confirms your order.")
            )
    return replies


def choose_payment(conversation, text: str) -> list:
    """Remember the payment method (variable `pagamento`); NotAccepted when it is not understood."""
    method = payment_method_read(text)
    if method is None:
        return NotAccepted([_("How will you pay: *Pix*, *dinheiro* or *cartão*?")])
    return [actions.SetVariable("pagamento", method)]


def order_recap(conversation, text: str = "", variables=None) -> list:
    """Items, delivery fee, address, payment and total, before the customer confirms."""
    variables = variables if variables is not None else (conversation.variables or {})
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if not view.items:
        return [_("Your cart is empty."), _("Send *cardápio* to choose your items.")]
    lines = [f"{i.quantity}x {i.name} — {format_price(i.unit_price * i.quantity)}" for i in view.items]
    fee = view.zone.fee if view.zone else default_delivery_fee_get(company=conversation.company)
    place = view.zone.neighbourhood if view.zone else ""
    lines += [
        "",
        _("Delivery%(where)s: %(v)s") % {"where": f" ({place})" if place else "", "v": format_price(fee)},
        _("Address: %(v)s") % {"v": variables.get("endereco", "") or "—"},
        _("Payment: %(v)s") % {"v": PAYMENT_NAMES.get(variables.get("pagamento", ""), "—")},
        _("Total: %(v)s") % {"v": format_price(view.subtotal + fee)},
    ]
    return ["\n".join(lines)]


def confirm_order(conversation, text: str, variables=None, *, place=None) -> list:
    """*sim* places the order (payment from `pagamento`, address from `endereco`); *não* says how
    to change it; a payment word changes the method and shows the recap again."""
    variables = dict(variables if variables is not None else (conversation.variables or {}))
    folded = fold(text)
    words = set(folded.split())
    method = payment_method_read(text)
    if words & YES_WORDS and not words & NO_WORDS:
        if not variables.get("pagamento"):
            return NotAccepted([_("How will you pay: *Pix*, *dinheiro* or *cartão*?")])
        again = _("Reply *sim* to place the order as it is now.")
        return (place or _place)(conversation, variables["pagamento"], variables.get("endereco", ""), again=again)
    if method is not None:
        variables["pagamento"] = method
        return NotAccepted(
            [
                actions.SetVariable("pagamento", method),
                *order_recap(conversation, variables=variables),
                _("Reply *sim* to place the order or *não* to change it."),
            ]
        )
    if words & NO_WORDS:
        return NotAccepted(
            [
                _(
                    "No problem! Send *cardápio* to add items, *remover* to take one out, *carrinho* to see your cart, or *desistir* to give up. When it is right, reply *sim*."
                )
            ]
        )
    return NotAccepted([_("Reply *sim* to place the order or *não* to change it.")])


def cancel_order(conversation, text: str = "") -> list:
    """The customer gives up: the open cart is cancelled and the list forgotten."""
    shopping_reset(company=conversation.company, customer=conversation.customer)
    return []


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
    "choose_payment": choose_payment,
    "cancel_order": cancel_order,
}
# Hooks that read the variables of the turn so far (the payment chosen a moment ago).
WITH_VARIABLES = {"order_recap": order_recap, "confirm_order": confirm_order}


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
    "choose_payment": gettext_lazy("Records the payment method answered (Pix, cash or card)."),
    "order_recap": gettext_lazy("Sends the items, delivery fee, address, payment and total to confirm."),
    "confirm_order": gettext_lazy("Places the order once the customer confirms the recap."),
    "cancel_order": gettext_lazy("Cancels the open cart (the customer gave up)."),
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
    return _place_dry_run(conversation, method, address="")


# In the dry-run simulator these answer without calling out (payment provider, AI service).
def _place_dry_run(conversation, method: str, address: str, again: str = "") -> list[str]:
    view = cart_view(company=conversation.company, customer=conversation.customer)
    return [
        _("(dry run) The order would be placed here: total %(total)s, paid by %(method)s.")
        % {"total": format_price(view.total), "method": Order.PaymentMethod(method).label}
    ]


def confirm_order_dry_run(conversation, text: str, variables=None) -> list:
    """What `confirm_order` would answer, without placing the order (the dry-run simulator)."""
    return confirm_order(conversation, text, variables, place=_place_dry_run)


DRY_RUN = {"checkout": checkout_dry_run}
DRY_RUN_WITH_VARIABLES = {"confirm_order": confirm_order_dry_run}


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


def hook_with_variables(fn, dry_run_fn=None):
    """Like `hook`, also passing the turn's variables (ctx.variables)."""

    def run(ctx):
        if ctx.conversation is None:
            return None
        answer = dry_run_fn if getattr(ctx, "dry_run", False) and dry_run_fn is not None else fn
        replies = answer(ctx.conversation, ctx.reply or "", variables=dict(ctx.variables))
        if isinstance(replies, NotAccepted):
            return actions.Rejected(replies)
        return replies

    run.__name__ = fn.__name__
    return run


def register_all() -> None:
    for name, fn in ACTIONS.items():
        actions.register(name, hook(fn, DRY_RUN.get(name)), description=DESCRIPTIONS.get(name, ""))
    for name, fn in WITH_VARIABLES.items():
        actions.register(
            name, hook_with_variables(fn, DRY_RUN_WITH_VARIABLES.get(name)), description=DESCRIPTIONS.get(name, "")
        )
    actions.variable_register(
        "carrinho", cart_summary_variable, description=gettext_lazy("The open cart with its total")
    )
