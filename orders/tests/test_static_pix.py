"""Static Pix is confirmed by people (issue 20): one click on the board or the order page, a receipt the
customer sends kept for staff, an alert (never a silent cancellation) when nobody confirmed in time."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.replies import receipt_reply_take
from catalog.tests.factories import ProductFactory
from conversations.tests.factories import MessageFactory
from orders.models import Order, Payment
from orders.payments import NothingToConfirm, confirm_static_pix
from orders.services import OrderLine, order_place
from orders.sweeps import orders_sweep_unpaid
from orders.tests.conftest import outbound_texts, static_pix_order_place
from tenants.scoping import company_scope
from tenants.services import company_setting_set


@pytest.fixture
def static_order(company_a, customer_a, conversation_a):
    return static_pix_order_place(company_a, customer_a, price=Decimal("40.00"), merchant_name="Pizzaria A")


def _age(order, minutes):
    past = timezone.now() - timedelta(minutes=minutes)
    Order.objects.for_company(order.company_id).filter(pk=order.pk).update(placed_at=past)
    Payment.objects.for_company(order.company_id).filter(order=order).update(created_at=past)


def test_a_static_pix_order_is_never_cancelled_by_the_clock_staff_are_alerted_and_the_customer_asked(
    company_a, static_order, english
):
    company_a.cart_abandoned_cancel_min = 15
    company_a.save(update_fields=["cart_abandoned_cancel_min"])
    company_setting_set(company=company_a, key="static_pix_alert_min", value=20)
    _age(static_order, 16)
    assert orders_sweep_unpaid() == {"reminded": 0, "cancelled": 0, "alerted": 0}
    _age(static_order, 21)

    assert orders_sweep_unpaid()["alerted"] == 1
    assert orders_sweep_unpaid()["alerted"] == 0  # once
    static_order.refresh_from_db()
    assert static_order.status == "awaiting_payment"
    (asked,) = outbound_texts(company_a)
    assert asked.startswith(f"We have not confirmed the Pix of your order #{static_order.pk}")
    assert Payment.objects.for_company(company_a).get().alerted_at is not None


def test_mercado_pago_orders_are_still_cancelled_when_unpaid(company_a, customer_a, conversation_a):
    product = ProductFactory(company=company_a, price=Decimal("10.00"), stock=5)
    order = order_place(
        company=company_a,
        customer=customer_a,
        lines=[OrderLine(product, "Pizza", 1, product.price)],
        payment_method="pix",
    )
    Payment.objects.for_company(company_a).create(
        company=company_a, order=order, provider="mercadopago", amount=order.total, external_id="55"
    )
    Order.objects.for_company(company_a).filter(pk=order.pk).update(status="awaiting_payment")
    _age(order, 24 * 60)
    assert orders_sweep_unpaid()["cancelled"] == 1


def test_confirm_static_pix_pays_the_order_once_and_records_who(company_a, static_order, manager_a, english):
    payment = confirm_static_pix(static_order, manager_a)

    static_order.refresh_from_db()
    assert (static_order.status, payment.status, payment.confirmed_by) == ("paid", "approved", manager_a)
    assert outbound_texts(company_a)[-1].startswith("Payment received!")
    with pytest.raises(NothingToConfirm):
        confirm_static_pix(static_order, manager_a)


def test_one_click_on_the_board_and_on_the_order_page(company_a, static_order, admin_client_a):
    board = admin_client_a.get(reverse("admin:orders_order_board"))
    confirm_url = reverse("admin:orders_order_confirm_pix", args=[static_order.pk])
    assert confirm_url in board.content.decode()
    # The only way to paid is "Pix received" (which approves the payment), not a bare "Mark paid" beside it.
    card = board.content.decode().split(f'data-order="{static_order.pk}"')[1].split("</article>")[0]
    assert 'value="paid"' not in card
    page = admin_client_a.get(reverse("admin:orders_order_change", args=[static_order.pk]))
    assert confirm_url in page.content.decode()

    answer = admin_client_a.post(confirm_url, {"next": "order"})

    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:orders_order_change", args=[static_order.pk])
    static_order.refresh_from_db()
    assert static_order.status == "paid"
    again = admin_client_a.post(confirm_url)
    assert again.status_code == 302  # nothing left to confirm: said, not a 500
    assert admin_client_a.get(confirm_url).status_code == 405


def test_a_move_to_paid_on_the_board_confirms_the_waiting_static_pix(company_a, static_order, admin_client_a):
    """The mechanism, not only the hidden button: a POSTed move to paid approves the payment too."""
    move_url = reverse("admin:orders_order_move", args=[static_order.pk])

    assert admin_client_a.post(move_url, {"to": "paid"}).status_code == 302

    static_order.refresh_from_db()
    payment = Payment.objects.for_company(company_a).get(order=static_order)
    assert (static_order.status, payment.status) == ("paid", "approved")
    assert payment.confirmed_by is not None


def test_a_receipt_image_is_kept_on_the_payment_and_thanked(company_a, static_order, conversation_a, english):
    with company_scope(company_a):
        image = MessageFactory(
            conversation=conversation_a,
            kind="image",
            text="",
            media_url="https://example.com/comprovante.jpg",
            status="processed",
        )
        assert receipt_reply_take(conversation=conversation_a, text="", message=image) is True

    payment = Payment.objects.for_company(company_a).get()
    assert (payment.receipt_message, payment.receipt_received_at is not None) == (image, True)
    assert (
        outbound_texts(company_a)[-1]
        == f"Receipt received for order #{static_order.pk}! Our team will check it and confirm here."
    )


def test_a_file_without_a_waiting_pix_is_left_to_the_bot(company_a, conversation_a):
    with company_scope(company_a):
        image = MessageFactory(conversation=conversation_a, kind="image", text="", status="processed")
        assert receipt_reply_take(conversation=conversation_a, text="", message=image) is False


def test_a_photo_sent_after_the_code_is_shown_on_the_order_page(
    company_a, static_order, conversation_a, admin_client_a
):
    """Photos reach staff, not the bot: the order page shows the latest one as the receipt."""
    with company_scope(company_a):
        MessageFactory(
            conversation=conversation_a,
            kind="image",
            text="",
            media_url="https://files.example/foto-comprovante.jpg",
            status="ignored",
            reason="kind:image",
        )
    page = admin_client_a.get(reverse("admin:orders_order_change", args=[static_order.pk])).content.decode()
    assert "https://files.example/foto-comprovante.jpg" in page
