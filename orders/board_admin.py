"""The order admin's board: a column per status, one-click moves through the lifecycle service, a
printable kitchen ticket. Views stay thin: orders.selectors reads, orders.services.order_transition writes."""

import zoneinfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from catalog.selectors import format_price
from conversations.models import Message
from orders.erp_admin import erp_state
from orders.models import Order, OrderItem, Payment
from orders.notifications import customer_conversation
from orders.payments import (
    NothingToConfirm,
    confirm_static_pix,
    order_move_by_staff,
    static_pix_waiting,
    static_pix_waiting_ids,
)
from orders.selectors import BOARD_DONE_WINDOW, order_board
from orders.services import ALLOWED_TRANSITIONS, InvalidTransition

LIFECYCLE = Order.Status.values  # the board's columns, left to right
# What a button that moves an order to a status says (an action, not the status' name).
MOVE_LABELS = {
    Order.Status.PENDING: _lazy("Back to pending"),
    Order.Status.AWAITING_PAYMENT: _lazy("Wait for payment"),
    Order.Status.PAID: _lazy("Mark paid"),
    Order.Status.PREPARING: _lazy("Prepare"),
    Order.Status.OUT_FOR_DELIVERY: _lazy("Send out"),
    Order.Status.COMPLETED: _lazy("Complete"),
    Order.Status.CANCELLED: _lazy("Cancel"),
}
REFRESH_SECONDS = 20


def moves_of(order: Order) -> tuple[str | None, list[str]]:
    """(the next step forward, the other allowed moves) from the order's status: only these are offered."""
    allowed = ALLOWED_TRANSITIONS.get(order.status, ())
    position = LIFECYCLE.index(order.status)
    forward = [to for to in allowed if LIFECYCLE.index(to) > position and to != Order.Status.CANCELLED]
    if order.status == Order.Status.PENDING and order.payment_method != Order.PaymentMethod.PIX:
        forward.sort(key=lambda to: to != Order.Status.PREPARING)  # cash and card: no payment step
    primary = forward[0] if forward else None
    return primary, [to for to in allowed if to != primary]


class OrderBoardAdminMixin:
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("board/", view(self.board_view), name="orders_order_board"),
            path("<int:pk>/move/", view(require_POST(self.move_view)), name="orders_order_move"),
            path("<int:pk>/ticket/", view(self.ticket_view), name="orders_order_ticket"),
            path("<int:pk>/confirm-pix/", view(require_POST(self.confirm_pix_view)), name="orders_order_confirm_pix"),
            *super().get_urls(),
        ]

    def board_view(self, request):
        if not self.has_view_permission(request) or request.company is None:
            raise PermissionDenied
        board = order_board(request.company)
        now = timezone.now()
        labels = dict(Order.Status.choices)
        payment_labels = dict(Payment.Status.choices)
        can_move = self.has_change_permission(request)
        waiting_pix = static_pix_waiting_ids(request.company) if can_move else {}
        columns = []
        for status in LIFECYCLE:
            cards = []
            for order in board[status]["orders"]:
                primary, others = moves_of(order) if can_move else (None, [])
                if order.pk in waiting_pix:  # "Pix received" is how it gets paid: the payment is approved too
                    primary = None if primary == Order.Status.PAID else primary
                    others = [to for to in others if to != Order.Status.PAID]
                cards.append(
                    {
                        "order": order,
                        "total": format_price(order.total),
                        "payment": payment_labels.get(order.payment_status, ""),
                        "erp": erp_state(order),
                        "age": timesince(order.placed_or_created_at, now, depth=1),
                        "primary": (primary, MOVE_LABELS[primary]) if primary else None,
                        "others": [(to, MOVE_LABELS[to]) for to in others],
                        "confirm_pix": waiting_pix.get(order.pk),  # a static Pix staff confirm here
                    }
                )
            columns.append(
                {
                    "status": status,
                    "label": labels[status],
                    "count": board[status]["count"],
                    "cards": cards,
                    "hidden": board[status]["count"] - len(cards),
                    "list_url": reverse("admin:orders_order_changelist") + f"?status__exact={status}",
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Orders board"),
            "is_nav_sidebar_enabled": False,  # seven columns need the width
            "opts": self.model._meta,
            "columns": columns,
            "refresh_seconds": REFRESH_SECONDS,
            "done_hours": int(BOARD_DONE_WINDOW.total_seconds() // 3600),
        }
        template = (
            "admin/orders/order/board_columns.html" if request.GET.get("fragment") else "admin/orders/order/board.html"
        )
        return TemplateResponse(request, template, context)

    def move_view(self, request, pk):
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        target = request.POST.get("to", "")
        labels = dict(Order.Status.choices)
        if target not in labels:
            messages.error(request, _("Unknown status."))
        else:
            try:
                order_move_by_staff(order, target, request.user)
            except InvalidTransition:
                order.refresh_from_db(fields=["status"])
                messages.error(
                    request,
                    _("Order %(number)s is %(current)s: it cannot go to %(target)s.")
                    % {"number": order.number, "current": labels[order.status], "target": labels[target]},
                )
            else:
                messages.success(
                    request,
                    _("Order %(number)s is now %(status)s.") % {"number": order.number, "status": labels[target]},
                )
        return HttpResponseRedirect(reverse("admin:orders_order_board"))

    def confirm_pix_view(self, request, pk):
        """One click: the static Pix of the order was received (orders.payments.confirm_static_pix)."""
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        try:
            confirm_static_pix(order, request.user)
        except NothingToConfirm:
            messages.error(
                request, _("Order %(number)s has no Pix waiting for confirmation.") % {"number": order.number}
            )
        else:
            messages.success(
                request, _("Pix of order %(number)s confirmed: the customer was told.") % {"number": order.number}
            )
        back = request.POST.get("next", "")
        return HttpResponseRedirect(
            reverse("admin:orders_order_change", args=[order.pk])
            if back == "order"
            else reverse("admin:orders_order_board")
        )

    def ticket_view(self, request, pk):
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        items = OrderItem.objects.for_company(order.company_id).filter(order=order).order_by("id")
        context = {
            "order": order,
            "items": items,
            "company": order.company,
            "placed_at": timezone.localtime(order.placed_or_created_at, zoneinfo.ZoneInfo(order.company.timezone)),
            "total": format_price(order.total),
            "delivery_fee": format_price(order.delivery_fee),
        }
        return TemplateResponse(request, "admin/orders/order/ticket.html", context)


def order_static_pix_html(order: Order):
    """A static Pix waiting for staff: the receipt the customer sent (if any) and the one-click
    confirmation (a button of the order's form posting to the confirm URL)."""
    payment = static_pix_waiting(order) if order.pk else None
    if payment is None:
        return "-"
    parts = []
    message = payment.receipt_message if payment.receipt_message_id else static_pix_receipt_candidate(payment)
    if message is not None:
        link = message.media_url or reverse("admin:conversations_conversation_change", args=[message.conversation_id])
        parts.append(
            format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a> ({})',
                link,
                _("Receipt sent by the customer"),
                timezone.localtime(payment.receipt_received_at or message.created_at).strftime("%d/%m/%Y %H:%M"),
            )
        )
    else:
        parts.append(format_html("{}", _("No receipt received yet.")))
    if payment.alerted_at:
        parts.append(
            format_html('<strong class="errornote">{}</strong>', _("Not confirmed in time: the customer was asked."))
        )
    parts.append(
        format_html(
            '<button type="submit" class="button" name="next" value="order" formaction="{}" formnovalidate>{}</button>',
            reverse("admin:orders_order_confirm_pix", args=[order.pk]),
            _("Pix received: confirm payment"),
        )
    )
    return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))


def static_pix_receipt_candidate(payment: Payment):
    """A photo the customer sent after the Pix code (photos reach staff, not the bot): the latest
    image or document of theirs since the payment was created, or None."""
    customer_id = payment.order.customer_id
    if customer_id is None:
        return None
    return (
        Message.objects.for_company(payment.company_id)
        .filter(
            conversation__customer_id=customer_id,
            direction=Message.Direction.INBOUND,
            kind__in=(Message.Kind.IMAGE, Message.Kind.DOCUMENT),
            created_at__gte=payment.created_at,
        )
        .order_by("-created_at")
        .first()
    )


def order_contact_html(order: Order):
    """The customer's phone, linked to their latest conversation (where staff answer them)."""
    if order.customer is None:
        return "-"
    conversation = customer_conversation(company_id=order.company_id, customer=order.customer)
    phone = order.customer.phone or "-"
    if conversation is None:
        return phone
    url = reverse("admin:conversations_conversation_chat", args=[conversation.pk])  # the inbox's chat
    return format_html('{} · <a href="{}">{}</a>', phone, url, _("open the conversation"))


def order_pix_html(order: Order):
    """The latest Pix charge: copy-and-paste code and QR image (payment history is the table below)."""
    if order.pk is None:
        return "-"
    payment = (
        Payment.objects.for_company(order.company_id)
        .filter(order=order)
        .exclude(qr_payload="")
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        return "-"
    qr = reverse("payment-qr", kwargs={"public_id": payment.public_id})
    return format_html(
        '<div class="pix"><img src="{}" alt="QR Pix" width="160" height="160"><br>'
        '<textarea readonly rows="3" cols="60" aria-label="{}">{}</textarea><br>{}</div>',
        qr,
        _("Pix copy-and-paste code"),
        payment.qr_payload,
        payment.get_status_display(),
    )
