"""The orders board: columns per status, only allowed moves offered, one-click moves through the
lifecycle service (the customer told at each step), refused moves explained, the kitchen ticket."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.board_admin import moves_of
from orders.models import Order, OrderItem, Payment, Source
from orders.services import ALLOWED_TRANSITIONS
from orders.tests.conftest import outbound_texts
from tenants.scoping import company_scope

BOARD = reverse("admin:orders_order_board")


def _order(company, customer=None, **fields):
    fields.setdefault("total", Decimal("50.00"))
    fields.setdefault("payment_method", Order.PaymentMethod.CASH)
    with company_scope(company):
        order = Order.objects.create(company=company, customer=customer, **fields)
        OrderItem.objects.create(
            company=company,
            order=order,
            name="Calabresa",
            quantity=2,
            unit_price=Decimal("25"),
            total=Decimal("50"),
            note="sem cebola",
        )
    return order


def _move(client, order, to):
    return client.post(reverse("admin:orders_order_move", args=[order.pk]), {"to": to}, follow=True)


def _status(company, order):
    with company_scope(company):
        return Order.objects.get(pk=order.pk).status


def _offered(html: str, order) -> list[str]:
    card = re.search(rf'data-order="{order.pk}".*?</article>', html, re.S).group(0)
    return re.findall(r'name="to" value="([a-z_]+)"', card)


@pytest.mark.parametrize("status", Order.Status.values)
def test_a_card_offers_exactly_the_allowed_moves(company_a, admin_client_a, status):
    order = _order(company_a, status=status)

    html = admin_client_a.get(BOARD).content.decode()

    assert f'data-column="{status}"' in html
    assert sorted(_offered(html, order)) == sorted(ALLOWED_TRANSITIONS[status])


def test_the_first_button_is_the_next_step(company_a):
    cash = Order(status=Order.Status.PENDING, payment_method=Order.PaymentMethod.CASH)
    pix = Order(status=Order.Status.PENDING, payment_method=Order.PaymentMethod.PIX)

    assert moves_of(cash)[0] == Order.Status.PREPARING  # cash and card skip the payment step
    assert moves_of(pix)[0] == Order.Status.AWAITING_PAYMENT
    assert moves_of(Order(status=Order.Status.PREPARING))[0] == Order.Status.OUT_FOR_DELIVERY
    assert moves_of(Order(status=Order.Status.COMPLETED)) == (None, [])


def test_moving_across_the_board_to_completed_tells_the_customer_each_step(
    company_a, admin_client_a, customer_a, conversation_a
):
    order = _order(company_a, customer_a, payment_method=Order.PaymentMethod.PIX)

    for target in ("awaiting_payment", "paid", "preparing", "out_for_delivery", "completed"):
        page = _move(admin_client_a, order, target)
        assert page.status_code == 200 and page.request["PATH_INFO"] == BOARD
        assert _status(company_a, order) == target

    texts = outbound_texts(company_a)  # paid, preparing, out for delivery, completed (awaiting payment says nothing)
    assert len(texts) == 4 and len(set(texts)) == 4
    assert all(f"{order.pk}" in text for text in texts)


def test_a_refused_move_says_why_and_changes_nothing(company_a, admin_client_a):
    order = _order(company_a, status=Order.Status.COMPLETED)

    page = _move(admin_client_a, order, "preparing")

    assert _status(company_a, order) == "completed"
    assert [str(m) for m in page.context["messages"]] == [
        f"O pedido #{order.pk} está «Concluído»: não pode ir para «Em preparo»."
    ]


def test_an_unknown_status_is_refused(company_a, admin_client_a):
    order = _order(company_a)

    page = _move(admin_client_a, order, "teleported")

    assert _status(company_a, order) == "pending"
    assert [str(m) for m in page.context["messages"]] == ["Situação desconhecida."]


def test_a_viewer_sees_the_board_but_no_moves(company_a, viewer_a, client):
    order = _order(company_a)
    client.force_login(viewer_a)

    html = client.get(BOARD).content.decode()
    refused = client.post(reverse("admin:orders_order_move", args=[order.pk]), {"to": "preparing"})

    assert _offered(html, order) == []
    assert refused.status_code == 403
    assert _status(company_a, order) == "pending"


def test_another_companys_order_is_not_on_the_board_and_cannot_be_moved(company_a, company_b, admin_client_a):
    theirs = _order(company_b)

    html = admin_client_a.get(BOARD).content.decode()
    moved = admin_client_a.post(reverse("admin:orders_order_move", args=[theirs.pk]), {"to": "preparing"})

    assert f'data-order="{theirs.pk}"' not in html
    assert moved.status_code == 404
    assert _status(company_b, theirs) == "pending"


def test_the_refresh_fragment_is_the_columns_alone(company_a, admin_client_a):
    order = _order(company_a)

    fragment = admin_client_a.get(BOARD, {"fragment": 1}).content.decode()

    assert f'data-order="{order.pk}"' in fragment
    assert "<html" not in fragment and 'class="board-columns"' in fragment


def test_board_queries_do_not_grow_with_orders(company_a, admin_client_a, customer_a):
    def queries():
        admin_client_a.get(BOARD)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            admin_client_a.get(BOARD)
        return len(captured)

    _order(company_a, customer_a)
    few = queries()
    for status in Order.Status.values * 4:
        order = _order(company_a, customer_a, status=status)
        with company_scope(company_a):
            Payment.objects.create(company=company_a, order=order, provider="static_pix", amount=order.total)

    assert queries() == few


def test_imported_orders_show_the_stores_number_and_date(company_a, admin_client_a):
    placed = datetime(2025, 3, 10, 21, 30, tzinfo=ZoneInfo("UTC"))
    order = _order(company_a, source=Source.WOOCOMMERCE, external_id="4512", placed_at=placed)

    board = admin_client_a.get(BOARD).content.decode()
    ticket = admin_client_a.get(reverse("admin:orders_order_ticket", args=[order.pk])).content.decode()

    assert "Woo #4512" in board and "Woo #4512" in ticket
    assert "10/03/2025 18:30" in ticket  # the store's date in the company's time zone (São Paulo)


def test_the_kitchen_ticket_lists_items_notes_and_delivery(company_a, admin_client_a, customer_a):
    order = _order(company_a, customer_a, address="Rua das Flores, 12", neighbourhood="Centro")

    page = admin_client_a.get(reverse("admin:orders_order_ticket", args=[order.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "2x" in html and "Calabresa" in html and "sem cebola" in html
    assert "Rua das Flores, 12 — Centro" in html and "R$ 50,00" in html


def test_the_order_page_links_the_conversation_and_shows_the_pix(company_a, admin_client_a, customer_a, conversation_a):
    order = _order(company_a, customer_a, payment_method=Order.PaymentMethod.PIX)
    with company_scope(company_a):
        payment = Payment.objects.create(
            company=company_a, order=order, provider="static_pix", amount=order.total, qr_payload="00020126PIXCODE"
        )

    html = admin_client_a.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert customer_a.phone in html
    assert reverse("admin:conversations_conversation_chat", args=[conversation_a.pk]) in html
    assert reverse("payment-qr", kwargs={"public_id": payment.public_id}) in html and "00020126PIXCODE" in html
    assert reverse("admin:orders_order_ticket", args=[order.pk]) in html


def test_the_erp_status_shows_on_the_card_and_on_the_order_page(company_a, admin_client_a):
    sent = _order(company_a, status=Order.Status.COMPLETED, erp_provider="tiny", erp_id="T-991")
    failed = _order(
        company_a, status=Order.Status.COMPLETED, erp_provider="tiny", erp_error="token inválido", erp_attempts=3
    )
    waiting = _order(company_a, status=Order.Status.COMPLETED, erp_provider="pontta", erp_attempts=1)
    plain = _order(company_a, status=Order.Status.PREPARING)

    board = admin_client_a.get(BOARD).content.decode()

    def card(order):
        return re.search(rf'data-order="{order.pk}".*?</article>', board, re.S).group(0)

    assert "ERP: enviado (T-991)" in card(sent)
    assert "ERP: falhou — token inválido" in card(failed) and "erp-failed" in card(failed)
    assert "ERP: aguardando envio" in card(waiting)
    assert "ERP" not in card(plain)
    page = admin_client_a.get(reverse("admin:orders_order_change", args=[failed.pk])).content.decode()
    assert "Situação no ERP" in page and "ERP: falhou — token inválido" in page
    plain_page = admin_client_a.get(reverse("admin:orders_order_change", args=[plain.pk])).content.decode()
    assert "Não enviado a um ERP." in plain_page
