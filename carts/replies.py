"""The answer to the rating question, taken before the flow sees it (a conversations pre-handler).

The rating question goes out from a sweep (orders.sweeps.orders_request_ratings), long after the
flow that took the order has completed (and after its idle reset), so the flows engine cannot wait
for the answer. CartsConfig.ready() registers `rating_reply_take` with conversations.handlers. It
lives in carts, above orders, because telling a rating from a shopping answer ("2" may pick an item
of a list just shown) reads the customer's shopping session and cart.
"""

from django.utils import timezone

from carts.models import Cart, CartItem, SessionContext
from carts.services import SESSION_TTL
from conversations.models import Conversation, Message
from orders import notifications
from orders.models import Order
from orders.payments import static_pix_receipt_attach
from orders.services import RATING_ANSWER_WINDOW, order_rating_record, parse_rating

RECEIPT_KINDS = (Message.Kind.IMAGE, Message.Kind.DOCUMENT)


def receipt_reply_take(*, conversation: Conversation, text: str, message: Message | None = None) -> bool:
    """An image or document from a customer whose static Pix waits for staff is the payment's
    receipt: kept on the payment (shown on the order), thanked, not answered by the bot."""
    if message is None or message.kind not in RECEIPT_KINDS:
        return False
    payment = static_pix_receipt_attach(company=conversation.company, customer=conversation.customer, message=message)
    if payment is None:
        return False
    notifications.customer_notify(
        company_id=conversation.company_id,
        customer=conversation.customer,
        text=notifications.receipt_thanks_text(payment.order),
    )
    return True


def rating_reply_take(*, conversation: Conversation, text: str, message: Message | None = None, now=None) -> bool:
    """Record `text` as the rating the customer was asked for; True when it was taken (the thanks
    are queued and the bot must not answer it), False otherwise and nothing changed.

    A bare 1..5 answer ("5", "nota 4", "3 estrelas") is a rating only while the customer has an
    unanswered rating question (orders.services.RATING_ANSWER_WINDOW) and has not started a new
    order since it was asked: a numbered list shown or a cart touched after the question means
    "2" picks an item or a zone, or is part of an address.
    """
    if parse_rating(text) is None:
        return False
    company, customer = conversation.company, conversation.customer
    now = now or timezone.now()
    asked_at = (
        Order.objects.for_company(company)
        .filter(customer=customer, rating__isnull=True, rating_requested_at__gte=now - RATING_ANSWER_WINDOW)
        .order_by("-rating_requested_at")
        .values_list("rating_requested_at", flat=True)
        .first()
    )
    if asked_at is None or _shopping_since(company, customer, asked_at, now):
        return False
    return order_rating_record(company=company, customer=customer, text=text, now=now) is not None


def _shopping_since(company, customer, asked_at, now) -> bool:
    listed = SessionContext.objects.for_company(company).filter(
        customer=customer, expires_at__gt=max(now, asked_at + SESSION_TTL)
    )
    if listed.exists():
        return True
    return (
        CartItem.objects.for_company(company)
        .filter(
            cart__customer=customer,
            cart__source=Cart.Source.WHATSAPP,
            cart__status__in=Cart.EDITABLE,
            cart__last_activity_at__gt=asked_at,
        )
        .exists()
    )
