"""Whole customer conversations with the demo shop (issue 20). Each asserts (through `Shop.say`) that
every customer message got a pt-BR reply, and how the conversation ended: an order, a handoff or an
explicit goodbye."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.models import Cart, CartItem
from carts.services import cart_cancel
from carts.sweeps import carts_sweep_abandoned
from catalog.models import DeliveryZone, Product
from flows import actions as engine_actions
from integrations.pix import parse_brcode
from integrations.testing.fake_server import FakeServer
from orders.models import Order, OrderItem, Payment
from orders.payments import confirm_static_pix
from orders.services import order_transition
from orders.sweeps import orders_request_ratings, orders_sweep_unpaid
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tenants.services import company_setting_set

MP_FIXTURES = Path(__file__).resolve().parents[2] / "integrations" / "tests" / "fixtures" / "mercadopago"
WEBHOOK_SECRET = "whsec-conversations"


def to_payment(shop, items="2x calabresa e 1 coca", zone="1", address="Rua das Flores, 123"):
    shop.say("oi")
    shop.say(items)
    shop.say(zone)
    return shop.say(address)


def place(shop, method="dinheiro", **kwargs):
    to_payment(shop, **kwargs)
    recap = shop.say(method)
    assert recap[0] == "Confira seu pedido:"
    assert recap[-1].startswith("Posso fazer o pedido?")
    return shop.say("sim")


def set_stock(shop, name, stock):
    with company_scope(shop.company):
        Product.objects.filter(name=name).update(stock=stock)


# -- orders ---------------------------------------------------------------------------------------


def test_cash_order_from_greeting_to_thanks(shop):
    greeting = shop.say("oi")
    assert greeting[0] == f"Olá! 🍕 Bem-vindo à {shop.company.name}."  # the company's own name
    added = shop.say("2x calabresa e 1 coca")
    assert added[0] == "Adicionado: 2x Pizza de Calabresa, 1x Coca-Cola 2L."
    assert "Entrega: calculada quando você escolher o bairro." in added[2]
    assert "Total sem a entrega: R$ 96,00" in added[2]
    shop.say("1")
    shop.say("Rua das Flores, 123")
    recap = shop.say("dinheiro")
    assert recap[1] == (
        "2x Pizza de Calabresa — R$ 84,00\n1x Coca-Cola 2L — R$ 12,00\n\nEntrega (Centro): R$ 5,00\n"
        "Endereço: Rua das Flores, 123\nPagamento: dinheiro\nTotal: R$ 101,00"
    )
    placed = shop.say("sim")
    order = shop.ended_in_an_order("pending")
    assert placed[0] == f"Pedido nº {order.pk} feito! Total R$ 101,00."
    assert (order.total, order.payment_method, order.address) == (Decimal("101.00"), "cash", "Rua das Flores, 123")
    shop.ended_in_a_goodbye()


def test_card_order_with_the_neighbourhood_by_name(shop):
    place(shop, method="cartão", items="1 margherita", zone="jardim america", address="Rua B, 2")
    order = shop.ended_in_an_order()
    assert (order.payment_method, order.delivery_fee, order.total) == ("card", Decimal("7.00"), Decimal("52.00"))


@pytest.mark.parametrize(
    ("typed_key", "stored"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("+55 11 98765 4321", "+5511987654321"),
        ("123.456.789-09", "12345678909"),
        ("11.222.333/0001-81", "11222333000181"),
        ("PIX@Pizzaria.com.BR", "pix@pizzaria.com.br"),
        ("123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
    ],
)
def test_static_pix_with_an_unusual_key_spelling(shop, typed_key, stored):
    company_setting_set(company=shop.company, key="pix_key", value=typed_key)
    replies = place(shop, method="pix")
    shop.ended_in_an_order("awaiting_payment")
    assert parse_brcode(replies[2])["key"] == stored
    assert replies[-2].startswith("Depois de pagar, envie o comprovante")
    assert not shop.bot_errors()


def test_static_pix_receipt_then_staff_confirm_with_one_click(shop, manager_a):
    place(shop, method="pix")
    thanks = shop.send_file(kind="document", name="comprovante.pdf", mime="application/pdf")
    order = shop.ended_in_an_order("awaiting_payment")
    assert thanks == [f"Comprovante do pedido nº {order.pk} recebido! Nossa equipe vai conferir e confirmar por aqui."]
    with company_scope(shop.company):
        assert Payment.objects.get().receipt_message is not None
        with shop.capture(execute=True):
            confirm_static_pix(order, manager_a)
    shop.worker.drain()
    assert shop.received()[-1].startswith("Pagamento recebido!")
    shop.ended_in_an_order("paid")


def test_a_photo_of_the_receipt_is_taken_and_thanked(shop):
    """Images reach the bot (issue 17): a photo of the Pix receipt is kept on the payment like a PDF."""
    place(shop, method="pix")
    thanks = shop.send_file(kind="image", name="comprovante.jpg", mime="image/jpeg")
    order = shop.ended_in_an_order("awaiting_payment")
    assert thanks == [f"Comprovante do pedido nº {order.pk} recebido! Nossa equipe vai conferir e confirmar por aqui."]
    with company_scope(shop.company):
        assert Payment.objects.get().receipt_message.kind == "image"


def test_static_pix_never_cancelled_silently(shop):
    place(shop, method="pix")
    order = shop.ended_in_an_order("awaiting_payment")
    with company_scope(shop.company):
        past = timezone.now() - timedelta(hours=3)
        Order.objects.filter(pk=order.pk).update(placed_at=past)
        Payment.objects.filter(order=order).update(created_at=past)
    with shop.capture(execute=True):
        orders_sweep_unpaid()
    shop.worker.drain()
    assert shop.received()[-1].startswith(f"Ainda não confirmamos o Pix do seu pedido nº {order.pk}")
    shop.ended_in_an_order("awaiting_payment")
    assert shop.say("atendente")  # the way out the question offers
    shop.ended_in_a_handoff()


def _notify(shop, payment_id, *, body_id=None):
    ts, request_id = str(int(time.time())), "conv-req"
    manifest = f"id:{payment_id};request-id:{request_id};ts:{ts};"
    signature = hmac.new(WEBHOOK_SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    url = reverse("mercadopago-webhook", args=[shop.company.webhook_key]) + f"?data.id={payment_id}&type=payment"
    body = {"action": "payment.updated", "type": "payment", "data": {"id": str(body_id or payment_id)}}
    with shop.capture(execute=True):
        return shop.client.post(
            url,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_SIGNATURE=f"ts={ts},v1={signature}",
            HTTP_X_REQUEST_ID=request_id,
        )


def test_mercado_pago_pix_is_confirmed_by_its_signed_notification(shop, settings):
    created = json.loads((MP_FIXTURES / "payment_pix_created.json").read_text())
    approved = json.loads((MP_FIXTURES / "payment_pix_approved.json").read_text())
    approved.update(id=created["id"], status="approved", transaction_amount=101.0)
    with FakeServer() as server:
        server.add("POST", "/v1/payments", json=created, status=201)
        server.add("GET", f"/v1/payments/{created['id']}", json=approved)
        settings.MERCADOPAGO_BASE_URL = server.url
        secret = CompanySetting.ValueType.SECRET
        company_setting_set(company=shop.company, key="mercadopago_access_token", value="APP_USR-x", value_type=secret)
        company_setting_set(
            company=shop.company, key="mercadopago_webhook_secret", value=WEBHOOK_SECRET, value_type=secret
        )
        replies = place(shop, method="pix")
        # the charge is its own task after the order's commit: the code follows the flow's last words
        assert created["point_of_interaction"]["transaction_data"]["qr_code"] in replies
        assert _notify(shop, created["id"], body_id="999").status_code == 401  # signed A, body B: refused
        assert _notify(shop, created["id"]).json() == {"result": "applied"}
        shop.worker.drain()
    assert shop.received()[-1].startswith("Pagamento recebido!")
    shop.ended_in_an_order("paid")


# -- changes of mind ------------------------------------------------------------------------------


def test_remove_an_item_then_add_another(shop):
    shop.say("oi")
    shop.say("2 calabresa e 1 coca")
    asked = shop.say("remover")
    assert asked[-1].startswith("Qual item quer tirar?")
    removed = shop.say("2")
    assert removed[0] == "Removido: Coca-Cola 2L."
    shop.say("cardápio")
    shop.say("1 guaraná")
    shop.say("centro")
    shop.say("Rua C, 3")
    shop.say("pix")
    shop.say("sim")
    order = shop.ended_in_an_order()
    with company_scope(shop.company):
        assert sorted(OrderItem.objects.filter(order=order).values_list("name", flat=True)) == [
            "Guaraná Antarctica 2L",
            "Pizza de Calabresa",
        ]


def test_change_the_payment_at_the_recap(shop):
    to_payment(shop)
    shop.say("pix")
    changed = shop.say("não")
    assert "*cardápio*" in changed[0] and "*sim*" in changed[0]
    again = shop.say("melhor dinheiro")
    assert "Pagamento: dinheiro" in again[0]
    shop.say("sim")
    assert shop.ended_in_an_order().payment_method == "cash"


def test_cancel_at_the_recap_says_goodbye(shop):
    to_payment(shop)
    shop.say("cartão")
    bye = shop.say("desistir")
    assert bye == ["Pedido cancelado. Quando quiser, é só mandar *oi*. Até logo! 👋"]
    shop.ended_in_a_goodbye()
    with company_scope(shop.company):
        assert Cart.objects.get().status == "cancelled"
        assert not Order.objects.exists()


def test_restart_after_a_cancellation(shop):
    shop.say("oi")
    shop.say("1 portuguesa")
    shop.say("desistir")
    greeting = shop.say("oi")
    assert greeting[0].startswith("Olá!")
    place_again = [shop.say("1 margherita"), shop.say("2"), shop.say("Rua D, 4"), shop.say("dinheiro"), shop.say("sim")]
    assert place_again[-1][0].startswith("Pedido nº")
    shop.ended_in_an_order()


def test_oi_restarts_after_the_cart_was_cancelled_by_the_sweep(shop):
    shop.say("oi")
    shop.say("1 portuguesa")
    with company_scope(shop.company):
        cart_cancel(cart=Cart.objects.get())
    greeting = shop.say("oi")
    assert greeting[0].startswith("Olá!") and "carrinho está vazio" not in " ".join(greeting)
    shop.say("1 calabresa")
    shop.say("1")
    shop.say("Rua E")
    shop.say("cartão")
    shop.say("sim")
    shop.ended_in_an_order()


def test_menu_in_the_middle_of_the_address_shows_the_menu(shop):
    shop.say("oi")
    shop.say("1 calabresa")
    shop.say("1")
    menu = shop.say("menu")
    assert "*Pizzas*" in menu[1]
    shop.say("1 coca")
    shop.say("1")
    shop.say("Rua F, 6")
    shop.say("dinheiro")
    shop.say("sim")
    assert shop.ended_in_an_order().total == Decimal("59.00")


def test_the_abandoned_cart_reminder_word_finalizar_works(shop):
    shop.say("oi")
    shop.say("1 calabresa")
    with company_scope(shop.company):
        Cart.objects.update(last_activity_at=timezone.now() - timedelta(hours=2))
    with shop.capture(execute=True):
        carts_sweep_abandoned()
    shop.worker.drain()
    assert "*finalizar*" in shop.received()[-1]
    answer = shop.say("finalizar")
    assert "Em qual bairro é a entrega?" in answer
    shop.say("2")
    shop.say("Rua G, 7")
    shop.say("dinheiro")
    shop.say("sim")
    shop.ended_in_an_order()


def test_cart_keyword_then_go_on(shop):
    shop.say("oi")
    shop.say("1 quatro queijos")
    cart = shop.say("carrinho")
    assert "1x Pizza Quatro Queijos" in cart[1]
    place_rest = [shop.say("3"), shop.say("Rua H"), shop.say("pix"), shop.say("sim")]
    assert place_rest[-1][0].startswith("Pedido nº")
    shop.ended_in_an_order()


def test_repeat_the_last_order(shop):
    place(shop, items="1 portuguesa")
    shop.say("oi")
    repeated = shop.say("repetir")
    assert "1x Pizza Portuguesa" in repeated[1]
    shop.say("1")
    shop.say("Rua I")
    shop.say("dinheiro")
    shop.say("sim")
    assert len(shop.orders()) == 2


def test_asking_for_a_person(shop):
    shop.say("oi")
    shop.say("1 calabresa")
    answer = shop.say("quero falar com um atendente")
    assert answer[-1] == "Alguém da nossa equipe vai falar com você em breve."
    shop.ended_in_a_handoff()


# -- typos and free text --------------------------------------------------------------------------


def test_typos_everywhere(shop):
    shop.say("oii")
    added = shop.say("2 calabreza e 1 guarana")
    assert added[0] == "Adicionado: 2x Pizza de Calabresa, 1x Guaraná Antarctica 2L."
    wrong = shop.say("centr")
    assert "Centro" in " ".join(wrong)
    shop.say("Rua J, 9")
    unclear = shop.say("fiado")
    assert unclear == ["Como vai pagar: *Pix*, *dinheiro* ou *cartão*?"]
    shop.say("dinheiro")
    shop.say("s")
    shop.ended_in_an_order()


def test_digits_for_number_words_and_prefixes(shop):
    shop.say("oi")
    assert shop.say("2 4 queijos e 1 marg")[0] == "Adicionado: 2x Pizza Quatro Queijos, 1x Pizza Margherita."
    shop.say("1")
    shop.say("Rua K")
    shop.say("cartao")
    shop.say("sim")
    shop.ended_in_an_order()


def test_descriptive_words_and_a_note_stay_on_the_item(shop):
    shop.say("oi")
    assert shop.say("1 portuguesa sem cebola e 1 coca gelada")[0] == (
        "Adicionado: 1x Pizza Portuguesa, 1x Coca-Cola 2L."
    )
    with company_scope(shop.company):
        assert CartItem.objects.get(name="Pizza Portuguesa").note == "sem cebola"
    shop.say("1")
    shop.say("Rua L")
    shop.say("dinheiro")
    shop.say("sim")
    order = shop.ended_in_an_order()
    with company_scope(shop.company):
        assert OrderItem.objects.get(order=order, name="Pizza Portuguesa").note == "sem cebola"


def test_added_reports_the_item_just_added(shop):
    shop.say("oi")
    shop.say("1 calabresa")
    assert shop.say("cardápio")
    assert shop.say("2 calabresa")[0] == "Adicionado: 2x Pizza de Calabresa."  # not the line's 3
    shop.say("1")
    shop.say("Rua M")
    recap = shop.say("dinheiro")
    assert "3x Pizza de Calabresa" in recap[1]
    shop.say("sim")
    shop.ended_in_an_order()


def test_gibberish_and_emojis_are_answered(shop):
    assert shop.say("👍")[0].startswith("Olá!")
    assert shop.say("asdfgh")  # not understood: said, with the way on
    assert shop.say("😀😀")
    shop.say("1 calabresa")
    shop.say("1")
    shop.say("Rua N")
    shop.say("dinheiro")
    shop.say("sim")
    shop.ended_in_an_order()


def test_a_wrong_neighbourhood_number_is_asked_again(shop):
    shop.say("oi")
    shop.say("1 calabresa")
    again = shop.say("9")
    assert any("Vila Nova" in reply for reply in again)
    shop.say("3")
    shop.say("Rua O")
    shop.say("pix")
    shop.say("sim")
    assert shop.ended_in_an_order().delivery_fee == Decimal("9.00")


# -- out of stock ---------------------------------------------------------------------------------


def test_sold_out_item_is_refused_when_added(shop):
    set_stock(shop, "Pizza de Calabresa", 0)
    shop.say("oi")
    refused = shop.say("1 calabresa")
    assert refused[0] == "Desculpe, Pizza de Calabresa esgotou. Envie *cardápio* para escolher outra coisa."
    shop.say("1 margherita")
    shop.say("1")
    shop.say("Rua P")
    shop.say("dinheiro")
    shop.say("sim")
    shop.ended_in_an_order()


def test_sold_out_at_checkout_offers_a_way_out(shop):
    to_payment(shop, items="2 calabresa")
    shop.say("dinheiro")
    set_stock(shop, "Pizza de Calabresa", 1)
    sold_out = shop.say("sim")
    assert sold_out[0] == "Desculpe, acabou: Pizza de Calabresa. Tirei do seu carrinho."
    assert "1x Pizza de Calabresa" in sold_out[1]
    placed = shop.say("sim")
    assert placed[0].startswith("Pedido nº")
    order = shop.ended_in_an_order()
    with company_scope(shop.company):
        assert OrderItem.objects.get(order=order).quantity == 1


def test_everything_sold_out_then_swap(shop):
    to_payment(shop, items="1 calabresa")
    shop.say("pix")
    set_stock(shop, "Pizza de Calabresa", 0)
    empty = shop.say("sim")
    assert "Seu carrinho ficou vazio" in " ".join(empty)
    shop.say("cardápio")
    shop.say("1 portuguesa")
    shop.say("1")
    shop.say("Rua Q")
    shop.say("pix")
    shop.say("sim")
    shop.ended_in_an_order()


# -- no zones ---------------------------------------------------------------------------------------


def test_without_zones_the_neighbourhood_is_not_asked(shop):
    with company_scope(shop.company):
        DeliveryZone.objects.all().delete()
    shop.say("oi")
    added = shop.say("1 calabresa")
    assert not any("bairro" in reply for reply in added)
    assert added[-1] == "Qual o endereço (rua, número e complemento)?"
    assert "Entrega: R$ 10,00" in added[2]  # no zones: the default fee is the fee
    shop.say("Rua R, 10")
    shop.say("dinheiro")
    shop.say("sim")
    order = shop.ended_in_an_order()
    assert (order.delivery_fee, order.total) == (Decimal("10.00"), Decimal("52.00"))


# -- ratings in every form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "rating"),
    [("5", 5), ("cinco", 5), ("⭐⭐⭐⭐", 4), ("nota três", 3), ("2 estrelas", 2), ("⭐️⭐️⭐️⭐️⭐️", 5)],
)
def test_rating_in_every_form(shop, answer, rating):
    place(shop)
    order = shop.ended_in_an_order()
    with company_scope(shop.company), shop.capture(execute=True):
        for step in ("preparing", "completed"):
            order_transition(order=order, to=step)
        Order.objects.filter(pk=order.pk).update(completed_at=timezone.now() - timedelta(hours=1))
        orders_request_ratings()
    shop.worker.drain()
    assert shop.received()[-1] == f"O que achou do seu pedido nº {order.pk}? Responda com uma nota de 1 a 5."
    thanks = shop.say(answer)
    assert thanks == [f"Obrigado pela sua avaliação ({rating}/5)!"]
    order.refresh_from_db()
    assert order.rating == rating
    shop.ended_in_a_goodbye()


# -- failures become a handoff ----------------------------------------------------------------------


def test_pix_without_any_configuration_hands_over(shop):
    with company_scope(shop.company):
        CompanySetting.objects.filter(key__startswith="pix_").delete()
    replies = place(shop, method="pix")
    assert "um atendente vai te ajudar" in " ".join(replies)
    shop.ended_in_a_handoff()


def test_a_bad_pix_key_stored_before_validation_hands_over(shop):
    with company_scope(shop.company):
        CompanySetting.objects.filter(key="pix_key").update(value="chave errada")
    replies = place(shop, method="pix")
    assert "um atendente vai te ajudar" in " ".join(replies)
    shop.ended_in_a_handoff()
    assert shop.say("dinheiro então", expect_reply=False) == []  # a person has it now: the bot is silent


def test_an_exception_in_an_action_hands_over_politely(shop, monkeypatch):
    def broken(ctx):
        raise RuntimeError("catalog backend down")

    monkeypatch.setitem(engine_actions._hooks, "show_catalog", broken)
    answer = shop.say("oi")
    assert answer[-1].startswith("Desculpe, tive um problema")
    shop.ended_in_a_handoff()
    assert shop.bot_errors() == ["RuntimeError: catalog backend down"]
