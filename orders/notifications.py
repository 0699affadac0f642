"""Telling a customer something on WhatsApp: the one boundary between commerce and the message pipeline.

Messages are written through `conversations.services.message_queue_outbound` (the outbox) in the
caller's transaction, so a rolled-back status change sends nothing and a committed one sends once.
"""

from django.utils.translation import gettext as _

from catalog.selectors import format_price
from conversations.models import Conversation
from conversations.services import message_queue_outbound
from customers.models import Customer


def customer_conversation(*, company_id: int, customer: Customer | None) -> Conversation | None:
    """The customer's most recently active conversation (the channel they last used), or None."""
    if customer is None:
        return None
    return (
        Conversation.objects.for_company(company_id)
        .select_related("channel", "customer", "company")
        .filter(customer=customer)
        .order_by("-updated_at", "-id")
        .first()
    )


def customer_notify(*, company_id: int, customer: Customer | None, text: str) -> bool:
    """Queue `text` to the customer on their latest conversation. False when it cannot be sent
    (no conversation, opted out, bot paused, handoff...: the pipeline's rules decide)."""
    conversation = customer_conversation(company_id=company_id, customer=customer)
    if conversation is None:
        return False
    return message_queue_outbound(conversation=conversation, text=text) is not None


def order_paid_text(order) -> str:
    return _("Payment received! Your order #%(id)s (%(total)s) is confirmed and will be prepared now.") % {
        "id": order.pk,
        "total": format_price(order.total),
    }


def order_status_text(order) -> str | None:
    texts = {
        "preparing": _("Your order #%(id)s is being prepared."),
        "out_for_delivery": _("Your order #%(id)s is on its way!"),
        "completed": _("Your order #%(id)s was delivered. Enjoy!"),
        "cancelled": _("Your order #%(id)s was cancelled."),
    }
    text = texts.get(order.status)
    return text % {"id": order.pk} if text else None


def rating_request_text(order) -> str:
    return _("How was your order #%(id)s? Reply with a score from 1 to 5.") % {"id": order.pk}


def rating_thanks_text(rating: int) -> str:
    return _("Thank you for your rating (%(rating)s/5)!") % {"rating": rating}


def payment_reminder_text(order) -> str:
    return _("Your order #%(id)s is waiting for the Pix payment (%(total)s). It is cancelled if not paid soon.") % {
        "id": order.pk,
        "total": format_price(order.total),
    }


def static_pix_question_text(order, *, receipt: bool) -> str:
    if receipt:
        return _("We are still checking the Pix of your order #%(id)s; our team will confirm it here shortly.") % {
            "id": order.pk
        }
    return _(
        "We have not confirmed the Pix of your order #%(id)s (%(total)s) yet. If you already paid, send the receipt here (a photo or PDF); if you need help, reply *atendente*."
    ) % {"id": order.pk, "total": format_price(order.total)}


def receipt_thanks_text(order) -> str:
    return _("Receipt received for order #%(id)s! Our team will check it and confirm here.") % {"id": order.pk}
