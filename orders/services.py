"""Writes of orders: placing one (stock taken), the status lifecycle (one service), ratings."""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import DeliveryZone, Product, StockMovement
from catalog.services import stock_move
from customers.models import Customer
from integrations.text import fold
from orders import erp, notifications
from orders.lock_objects import order_qs_select_for_update
from orders.models import Order, OrderItem, Payment, Source
from tenants.models import Company

S = Order.Status
# The lifecycle: pending -> awaiting_payment -> paid -> preparing -> out_for_delivery -> completed,
# with shortcuts staff need (cash/card orders skip payment; pickup skips delivery) and cancel from any
# open state. Completed and cancelled are final.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PENDING: (S.AWAITING_PAYMENT, S.PAID, S.PREPARING, S.CANCELLED),
    S.AWAITING_PAYMENT: (S.PENDING, S.PAID, S.CANCELLED),
    S.PAID: (S.PREPARING, S.CANCELLED),
    S.PREPARING: (S.OUT_FOR_DELIVERY, S.COMPLETED, S.CANCELLED),
    S.OUT_FOR_DELIVERY: (S.COMPLETED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (),
}
_TIMESTAMPS = {S.PAID: "paid_at", S.COMPLETED: "completed_at", S.CANCELLED: "cancelled_at"}
RATING_ANSWER_WINDOW = timedelta(days=7)  # a bare "5" a week after the question is not a rating
_RATING = re.compile(r"^\D{0,20}?([1-5])(?:\s*(?:/\s*5|estrelas?|de 5))?\D{0,20}$", re.IGNORECASE)
_STARS = ("⭐", "★", "🌟")
_EMOJI_JOINERS = ("\ufe0f", "\u200d")
_RATING_WORDS = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5}
# A number word alone, or with "nota"/"dou" before and "estrelas"/"de cinco" after: "nota quatro".
_RATING_WORD = re.compile(
    r"^(?:(?:nota|dou|da|de|e)\s+)*(um|uma|dois|duas|tres|quatro|cinco)(?:\s+(?:estrelas?|de cinco|/\s*5))?$"
)


class InvalidTransition(Exception):
    """The order cannot go from its current status to the one asked."""


class OrderError(Exception):
    """An order cannot be placed as asked (message is for the customer)."""


@dataclass(frozen=True)
class OrderLine:
    product: Product | None
    name: str
    quantity: int
    unit_price: Decimal
    note: str = ""


@transaction.atomic
def order_place(
    *,
    company: Company,
    customer: Customer | None,
    lines: list[OrderLine],
    payment_method: str,
    address: str = "",
    delivery_zone: DeliveryZone | None = None,
    neighbourhood: str = "",
    delivery_fee: Decimal = Decimal("0"),
) -> Order:
    """Create a pending order with its items and take their stock, all or nothing.

    Stock is taken with `stock_move` in this transaction, products locked in id order (no deadlock
    between two carts holding the same products); OutOfStock propagates and nothing is written.
    """
    if not lines:
        raise OrderError(_("The cart is empty."))
    if payment_method not in Order.PaymentMethod.values:
        raise OrderError(_("Unknown payment method."))
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    order = Order.objects.for_company(company).create(
        company=company,
        customer=customer,
        source=Source.WHATSAPP,
        status=S.PENDING,
        delivery_zone=delivery_zone,
        neighbourhood=neighbourhood or (delivery_zone.neighbourhood if delivery_zone else ""),
        address=address,
        delivery_fee=delivery_fee,
        subtotal=subtotal,
        total=subtotal + delivery_fee,
        payment_method=payment_method,
        placed_at=timezone.now(),
    )
    OrderItem.objects.for_company(company).bulk_create(
        [
            OrderItem(
                company=company,
                order=order,
                product=line.product,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=line.unit_price * line.quantity,
                note=line.note,
            )
            for line in lines
        ]
    )
    for line in sorted((line for line in lines if line.product is not None), key=lambda line: line.product.pk):
        stock_move(
            product=line.product, delta=-line.quantity, reason=StockMovement.Reason.SALE, reference=f"order:{order.pk}"
        )
    return order


def order_transition(*, order: Order, to: str, notify: bool = True) -> bool:
    """Move `order` to status `to`; the only way an order's status changes.

    Idempotent: already in `to` -> False, nothing written. Not allowed -> InvalidTransition.
    Locks the order row, so concurrent callers change it once. Cancelling gives back the stock a
    bot order took (once) and cancels its pending payments. The customer is told (outbox, same
    transaction) when `notify`.
    """
    with transaction.atomic():
        locked = order_qs_select_for_update(company=order.company_id).get(pk=order.pk)
        if locked.status == to:
            _refresh(order, locked)
            return False
        if to not in ALLOWED_TRANSITIONS.get(locked.status, ()):
            raise InvalidTransition(f"{locked.status} -> {to}")
        now = timezone.now()
        locked.status = to
        changed = ["status", "updated_at"]
        if to in _TIMESTAMPS:
            setattr(locked, _TIMESTAMPS[to], now)
            changed.append(_TIMESTAMPS[to])
        locked.save(update_fields=changed)
        if to == S.CANCELLED:
            _return_stock(locked)
            Payment.objects.for_company(locked.company_id).filter(order=locked, status=Payment.Status.PENDING).update(
                status=Payment.Status.CANCELLED, updated_at=now
            )
        if to == S.COMPLETED:
            erp.erp_push_on_commit(locked)  # ERP push enqueued after commit, if the company has an ERP
        if notify:
            text = notifications.order_paid_text(locked) if to == S.PAID else notifications.order_status_text(locked)
            if text:
                notifications.customer_notify(company_id=locked.company_id, customer=locked.customer, text=text)
        _refresh(order, locked)
        return True


def _refresh(order: Order, locked: Order) -> None:
    for field in ("status", "paid_at", "completed_at", "cancelled_at", "updated_at"):
        setattr(order, field, getattr(locked, field))


def _return_stock(order: Order) -> None:
    if order.source != Source.WHATSAPP:
        return  # imported orders never took our stock
    items = (
        OrderItem.objects.for_company(order.company_id)
        .filter(order=order, product__isnull=False)
        .select_related("product")
        .order_by("product_id")
    )
    for item in items:
        stock_move(
            product=item.product, delta=item.quantity, reason=StockMovement.Reason.RETURN, reference=f"order:{order.pk}"
        )


def parse_rating(text: str) -> int | None:
    """1..5 from an answer such as "5", "nota 4", "3 estrelas", "cinco", "nota quatro", "⭐⭐⭐⭐⭐"
    (stars counted); None otherwise."""
    text = (text or "").strip()
    match = _RATING.match(text)
    if match:
        return int(match.group(1))
    stars = sum(text.count(star) for star in _STARS)
    if stars:
        rest = "".join(ch for ch in text if ch not in _STARS and ch not in _EMOJI_JOINERS)
        return stars if stars <= 5 and len(rest.strip()) <= 25 and not any(ch.isdigit() for ch in rest) else None
    match = _RATING_WORD.match(fold(text))
    return _RATING_WORDS[match.group(1)] if match else None


def order_rating_record(*, company: Company, customer: Customer, text: str, now=None) -> Order | None:
    """Record `text` as the rating of the customer's latest order that was asked and not yet rated.

    Returns the order when the text was a 1..5 rating for such an order (thanks are queued), else
    None and nothing changes. Safe to call on every inbound message.
    """
    rating = parse_rating(text)
    if rating is None:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            order_qs_select_for_update(company=company)
            .filter(
                customer=customer,
                rating__isnull=True,
                rating_requested_at__gte=now - RATING_ANSWER_WINDOW,
            )
            .order_by("-rating_requested_at")
            .first()
        )
        if order is None:
            return None
        order.rating = rating
        order.rated_at = now
        order.save(update_fields=["rating", "rated_at", "updated_at"])
        notifications.customer_notify(
            company_id=company.pk, customer=customer, text=notifications.rating_thanks_text(rating)
        )
        return order


def order_last_for_repeat(*, company: Company, customer: Customer, now=None) -> Order | None:
    """The customer's latest non-cancelled bot order within company.repeat_order_lookback_days."""
    now = now or timezone.now()
    return (
        Order.objects.for_company(company)
        .filter(
            customer=customer,
            source=Source.WHATSAPP,
            created_at__gte=now - timedelta(days=company.repeat_order_lookback_days),
        )
        .exclude(status=S.CANCELLED)
        .order_by("-created_at", "-id")
        .first()
    )
