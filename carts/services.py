"""Writes of carts: the customer's one open cart, items, zone, checkout, repeat order, session context.

Every function takes the company and customer explicitly and runs in its own transaction; the
cart row is locked (select_for_update) for each change, so two messages processed at once by two
workers cannot lose an item.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carts.lock_objects import cart_qs_select_for_update
from carts.matching import best_name, list_pick
from carts.models import Cart, CartItem, SessionContext
from catalog.models import DeliveryZone, Product
from catalog.selectors import products_for_sale, zones_active
from catalog.services import default_delivery_fee_get
from customers.models import Customer
from integrations.order_text import CatalogItem, parse_with_rules
from orders.models import Order, OrderItem
from orders.services import OrderLine, order_last_for_repeat, order_place
from tenants.models import Company

SESSION_TTL = timedelta(minutes=30)  # a numbered list shown is remembered this long


class CartError(Exception):
    """The customer asked for something the cart cannot do; the message is for the customer."""


@dataclass
class AddResult:
    added: list[CartItem] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    quantities: list[int] = field(default_factory=list)  # how many of each `added` line this call added


@dataclass(frozen=True)
class CartView:
    cart: Cart | None
    items: list[CartItem]
    subtotal: Decimal
    fee: Decimal
    total: Decimal
    zone: DeliveryZone | None
    fee_pending: bool = False  # zones exist and none is chosen yet: the fee is not in the total


# -- session context -------------------------------------------------------------------------------


def session_list_set(*, company: Company, customer: Customer, entries: list[dict], now=None) -> None:
    """Remember the numbered list just shown ([{"n", "kind", "id", "name"}]) for SESSION_TTL."""
    now = now or timezone.now()
    # One INSERT ... ON CONFLICT DO UPDATE on the unique (company, customer): no lock-read-write
    # round trips and savepoints in the middle of a bot turn.
    SessionContext.objects.for_company(company).bulk_create(
        [SessionContext(company=company, customer=customer, last_list=entries, expires_at=now + SESSION_TTL)],
        update_conflicts=True,
        unique_fields=["company", "customer"],
        update_fields=["last_list", "expires_at", "updated_at"],
    )


def session_list_get(*, company: Company, customer: Customer, now=None) -> list[dict]:
    """The unexpired list last shown to the customer, or []."""
    now = now or timezone.now()
    context = SessionContext.objects.for_company(company).filter(customer=customer, expires_at__gt=now).first()
    return list(context.last_list) if context else []


# -- the open cart ---------------------------------------------------------------------------------


def cart_open_get(*, company: Company, customer: Customer) -> Cart | None:
    return (
        Cart.objects.for_company(company)
        .filter(customer=customer, source=Cart.Source.WHATSAPP, status__in=Cart.EDITABLE)
        .first()
    )


def _cart_lock(company: Company, customer: Customer, *, create: bool) -> Cart | None:
    """The customer's open cart, locked for this transaction; created when `create` (race-safe)."""
    carts = cart_qs_select_for_update(company=company)
    criteria = {"customer": customer, "source": Cart.Source.WHATSAPP, "status__in": Cart.EDITABLE}
    cart = carts.filter(**criteria).first()
    if cart is not None or not create:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.for_company(company).create(
                company=company, customer=customer, last_activity_at=timezone.now()
            )
    except IntegrityError:  # another worker created it first (partial unique constraint)
        return carts.filter(**criteria).get()


def _touch(cart: Cart) -> None:
    """Activity on the cart: idle timers restart and a reminded cart is open again. `reminded_at`
    stays: a reminded cart that is checked out later is a recovered one (the dashboard counts them)."""
    cart.last_activity_at = timezone.now()
    cart.status = Cart.Status.OPEN
    cart.save(update_fields=["last_activity_at", "status", "updated_at"])


def _add_product(cart: Cart, product: Product, quantity: int, max_quantity: int, note: str = "") -> CartItem:
    item = CartItem.objects.for_company(cart.company_id).filter(cart=cart, product=product).first()
    total = quantity + (item.quantity if item else 0)
    if not 1 <= total <= max_quantity:
        raise CartError(_("You can order at most %(max)s of each item.") % {"max": max_quantity})
    if product.stock is not None and product.stock <= 0:
        raise CartError(
            _("Sorry, %(name)s is sold out. Send *cardápio* to choose something else.") % {"name": product.name}
        )
    if product.stock is not None and product.stock < total:
        raise CartError(
            _("Sorry, we only have %(stock)s of %(name)s.") % {"stock": product.stock, "name": product.name}
        )
    if item:
        item.quantity = total
        item.save(update_fields=["quantity"])
        return item
    return CartItem.objects.for_company(cart.company_id).create(
        company_id=cart.company_id,
        cart=cart,
        product=product,
        name=product.name,
        unit_price=product.price,
        quantity=quantity,
        note=note,
    )


def cart_add_item(
    *,
    company: Company,
    customer: Customer,
    text: str = "",
    product: Product | None = None,
    quantity: int = 1,
    note: str = "",  # the note of an LLM-read line ("sem cebola")
) -> AddResult:
    """Add to the customer's open cart (created if needed) what `text` asks, or `product` x `quantity`.

    `text` is read as a pick from the last numbered list ("2", "quero o 2", "2x 3") when a product
    list is in the session, else as free text ("2x pizza de calabresa e uma coca") matched against
    the products for sale. Quantities per item are 1..company.max_item_quantity (merged lines
    included); stock is checked here as a courtesy and taken only at checkout. CartError when
    nothing can be added for a reason the customer must hear.
    """
    result = AddResult()
    picks: list[tuple[Product, int, str]] = []
    if product is not None:
        picks.append((product, quantity, note))
    else:
        picks, result.unmatched = _resolve_products(company, customer, text)
    if not picks:
        return result
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=True)
        for chosen, amount, note in picks:
            result.added.append(_add_product(cart, chosen, amount, company.max_item_quantity, note))
            result.quantities.append(amount)
        _touch(cart)
    return result


def _resolve_products(company: Company, customer: Customer, text: str) -> tuple[list, list[str]]:
    for_sale = {p.pk: p for p in products_for_sale(company=company)}
    pick = list_pick(text)
    if pick is not None:
        position, amount = pick
        entry = _list_entry(company, customer, "product", position)
        if entry is None or entry["id"] not in for_sale:
            raise CartError(
                _("There is no item number %(n)s in the list. Send *menu* to see it again.") % {"n": position}
            )
        return [(for_sale[entry["id"]], amount, "")], []
    catalog = [CatalogItem(product_id=p.pk, name=p.name, price=p.price) for p in for_sale.values()]
    parsed = parse_with_rules(text, catalog, max_quantity=company.max_item_quantity)
    return [(for_sale[line.product_id], line.quantity, line.note) for line in parsed.lines], list(parsed.unmatched)


def _list_entry(company: Company, customer: Customer, kind: str, position: int) -> dict | None:
    for entry in session_list_get(company=company, customer=customer):
        if entry.get("n") == position and entry.get("kind") == kind:
            return entry
    return None


def cart_remove_item(*, company: Company, customer: Customer, text: str) -> CartItem | None:
    """Remove the cart line `text` names: its number in the cart as last shown ("1") or its name.
    Returns the removed line (unsaved), or None when nothing matched."""
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=False)
        if cart is None:
            return None
        items = list(CartItem.objects.for_company(company).filter(cart=cart).order_by("id"))
        pick = list_pick(text)
        index = pick[0] - 1 if pick else best_name(text, [item.name for item in items])
        if index is None or not 0 <= index < len(items):
            return None
        removed = items[index]
        removed.delete()
        _touch(cart)
        return removed


def cart_view(*, company: Company, customer: Customer) -> CartView:
    """The open cart with subtotal, delivery fee (zone fee, else the company's default) and total."""
    cart = cart_open_get(company=company, customer=customer)
    items = list(CartItem.objects.for_company(company).filter(cart=cart).order_by("id")) if cart else []
    subtotal = sum((item.unit_price * item.quantity for item in items), Decimal("0.00"))
    zone = cart.delivery_zone if cart else None
    pending = bool(items) and zone is None and bool(zones_active(company=company))
    fee = zone.fee if zone else default_delivery_fee_get(company=company)
    fee = fee if items and not pending else Decimal("0.00")
    return CartView(
        cart=cart, items=items, subtotal=subtotal, fee=fee, total=subtotal + fee, zone=zone, fee_pending=pending
    )


def cart_remove_sold_out(*, company: Company, customer: Customer) -> list[str]:
    """Take out of the open cart the lines there is not enough stock for (down to what is left when
    some is); the names of the lines changed."""
    changed = []
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=False)
        if cart is None:
            return []
        for item in CartItem.objects.for_company(company).filter(cart=cart).select_related("product"):
            stock = item.product.stock if item.product is not None else None
            if stock is None or stock >= item.quantity:
                continue
            changed.append(item.name)
            if stock > 0:
                item.quantity = stock
                item.save(update_fields=["quantity"])
            else:
                item.delete()
        _touch(cart)
    return changed


def cart_set_zone(
    *, company: Company, customer: Customer, text: str = "", zone: DeliveryZone | None = None
) -> DeliveryZone:
    """Set the delivery zone by object, by number from the zone list shown, or by name (forgiving).
    CartError when no zone matches or there is no open cart."""
    if zone is None:
        zones = zones_active(company=company)
        pick = list_pick(text)
        if pick is not None:
            entry = _list_entry(company, customer, "zone", pick[0])
            zone = next((z for z in zones if entry and z.pk == entry["id"]), None)
        else:
            index = best_name(text, [z.neighbourhood for z in zones])
            zone = zones[index] if index is not None else None
    if zone is None:
        raise CartError(_("We do not deliver to that neighbourhood, or I did not understand it."))
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=False)
        if cart is None:
            raise CartError(_("Your cart is empty."))
        cart.delivery_zone = zone
        cart.save(update_fields=["delivery_zone", "updated_at"])
        _touch(cart)
    return zone


def cart_checkout(*, company: Company, customer: Customer, address: str, payment_method: str) -> Order:
    """Turn the open cart into a pending Order with its items, taking stock in the same transaction.

    All or nothing: OutOfStock (from catalog.services) leaves the cart open and the stock unchanged.
    The cart ends checked_out and linked to the order. CartError when there is nothing to check out.
    """
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=False)
        items = list(CartItem.objects.for_company(company).filter(cart=cart).select_related("product")) if cart else []
        if not items:
            raise CartError(_("Your cart is empty."))
        zone = cart.delivery_zone
        fee = zone.fee if zone else default_delivery_fee_get(company=company)
        order = order_place(
            company=company,
            customer=customer,
            lines=[OrderLine(i.product, i.name, i.quantity, i.unit_price, i.note) for i in items],
            payment_method=payment_method,
            address=address,
            delivery_zone=zone,
            delivery_fee=fee,
        )
        cart.status = Cart.Status.CHECKED_OUT
        cart.order = order
        cart.closed_at = timezone.now()
        cart.save(update_fields=["status", "order", "closed_at", "updated_at"])
    return order


def cart_repeat_last_order(*, company: Company, customer: Customer) -> AddResult:
    """Put the items of the customer's last order (within company.repeat_order_lookback_days) in the
    cart at today's prices; products no longer for sale are reported in `unmatched`."""
    order = order_last_for_repeat(company=company, customer=customer)
    if order is None:
        raise CartError(_("I found no recent order to repeat."))
    for_sale = {p.pk: p for p in products_for_sale(company=company)}
    result = AddResult()
    with transaction.atomic():
        cart = _cart_lock(company, customer, create=True)
        for item in OrderItem.objects.for_company(company).filter(order=order).order_by("id"):
            product = for_sale.get(item.product_id)
            if product is None:
                result.unmatched.append(item.name)
                continue
            try:
                result.added.append(_add_product(cart, product, item.quantity, company.max_item_quantity, item.note))
            except CartError:
                result.unmatched.append(item.name)
        _touch(cart)
    return result


def cart_cancel(*, cart: Cart, now=None) -> bool:
    """Cancel an open/reminded bot cart (customer's request or the sweep). False if not editable.
    Carts hold no stock (checkout takes it), so nothing is given back here."""
    now = now or timezone.now()
    updated = (
        Cart.objects.for_company(cart.company_id)
        .filter(pk=cart.pk, status__in=Cart.EDITABLE)
        .update(status=Cart.Status.CANCELLED, closed_at=now, updated_at=now)
    )
    return bool(updated)


def shopping_reset(*, company: Company, customer: Customer) -> None:
    """Start the customer's shopping over: cancel the open cart and forget the numbered list shown."""
    cart = cart_open_get(company=company, customer=customer)
    if cart is not None:
        cart_cancel(cart=cart)
    SessionContext.objects.for_company(company).filter(customer=customer).delete()
