import hashlib
import hmac
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from catalog.tests.concurrency import race
from catalog.tests.factories import ProductFactory
from integrations.pix import parse_brcode
from integrations.testing.fake_server import FakeServer
from orders.models import Order, Payment
from orders.payments import pix_charge_create, pix_charge_run, pix_idempotency_key
from orders.services import OrderLine, order_place
from orders.tests.conftest import outbound_texts
from orders.tests.factories import PaymentFactory
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tenants.services import company_setting_set

FIXTURES = Path(__file__).resolve().parents[2] / "integrations" / "tests" / "fixtures" / "mercadopago"
SECRET = "whsec-test"
SECRET_T = CompanySetting.ValueType.SECRET
TEXT_T = CompanySetting.ValueType.STRING


def _order(company, customer, total="12.34"):
    product = ProductFactory(company=company, price=Decimal(total), stock=3)
    return order_place(
        company=company, customer=customer, lines=[OrderLine(product, "Pizza", 1, product.price)], payment_method="pix"
    )


def _configure_mp(company, settings, server):
    settings.MERCADOPAGO_BASE_URL = server.url
    company_setting_set(company=company, key="mercadopago_access_token", value="APP_USR-token", value_type=SECRET_T)
    company_setting_set(company=company, key="mercadopago_webhook_secret", value=SECRET, value_type=SECRET_T)


def _payment_json(status="approved", payment_id=1327410519, amount=12.34):
    body = json.loads((FIXTURES / "payment_pix_approved.json").read_text())
    body.update(id=payment_id, status=status, transaction_amount=amount)
    return body


def _signed_post(client, company, payment_id, *, secret=SECRET, ts=None, signed_id=None, webhook_key=None, sign=True):
    ts = str(int(time.time())) if ts is None else ts
    request_id = "req-1"
    manifest = f"id:{signed_id or payment_id};request-id:{request_id};ts:{ts};"
    signature = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    key = webhook_key or company.webhook_key
    url = reverse("mercadopago-webhook", args=[key]) + f"?data.id={payment_id}&type=payment"
    body = {"action": "payment.updated", "type": "payment", "data": {"id": str(payment_id)}}
    headers = {"HTTP_X_SIGNATURE": f"ts={ts},v1={signature}"} if sign else {}
    return client.post(
        url, data=json.dumps(body), content_type="application/json", HTTP_X_REQUEST_ID=request_id, **headers
    )


def test_static_pix_charge(company_a, customer_a):
    company_setting_set(company=company_a, key="pix_key", value="pizzaria@example.com", value_type=TEXT_T)
    company_setting_set(company=company_a, key="pix_merchant_name", value="Pizzaria São João", value_type=TEXT_T)
    company_setting_set(company=company_a, key="pix_merchant_city", value="São Paulo", value_type=TEXT_T)
    order = _order(company_a, customer_a, total="45.90")

    payment = pix_charge_create(order=order)

    fields = parse_brcode(payment.qr_payload)
    assert (fields["key"], fields["amount"], fields["merchant_city"]) == (
        "pizzaria@example.com",
        Decimal("45.90"),
        "SAO PAULO",
    )
    assert fields["txid"] == f"PED{order.pk}"
    assert Order.objects.for_company(company_a).get(pk=order.pk).status == "awaiting_payment"
    assert pix_charge_create(order=order).pk == payment.pk


def test_qr_png_by_public_id_only(company_a, customer_a, client):
    order = _order(company_a, customer_a)
    payment = PaymentFactory(order=order, provider="static_pix", qr_payload="00020101021226")

    response = client.get(reverse("payment-qr", args=[payment.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/payments/qr/{payment.pk}.png").status_code == 404
    assert client.get("/payments/qr/8b5f6f7e-0000-4000-8000-000000000000.png").status_code == 404


def test_mercadopago_charge_then_approved_notification(company_a, customer_a, conversation_a, settings, client):
    order = _order(company_a, customer_a)
    created = json.loads((FIXTURES / "payment_pix_created.json").read_text())
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        server.add("POST", "/v1/payments", json=created, status=201)
        server.add("GET", f"/v1/payments/{created['id']}", json=_payment_json(payment_id=created["id"], amount=12.34))

        with company_scope(company_a):  # as the charge task runs
            payment = pix_charge_run(payment_id=pix_charge_create(order=order).pk)
        first = _signed_post(client, company_a, created["id"])
        second = _signed_post(client, company_a, created["id"])

    assert server.requests_to("POST", "/v1/payments")[0].headers["X-Idempotency-Key"] == pix_idempotency_key(payment)
    assert (first.status_code, first.json()) == (200, {"result": "applied"})
    assert (second.status_code, second.json()) == (200, {"result": "unchanged"})
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.for_company(company_a).get().status == "approved"
    assert len(outbound_texts(company_a)) == 4  # the code (3 messages), then "payment received"


def test_bad_signature_is_refused_and_changes_nothing(company_a, customer_a, conversation_a, settings, client):
    order = _order(company_a, customer_a)
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        PaymentFactory(order=order, external_id="555")
        server.add("GET", "/v1/payments/555", json=_payment_json(payment_id=555))

        response = _signed_post(client, company_a, 555, secret="wrong")

    assert response.status_code == 401
    assert server.requests == []
    assert Order.objects.for_company(company_a).get(pk=order.pk).status == "pending"
    assert outbound_texts(company_a) == []


def test_unknown_company_key_is_404(client, db):
    assert client.post("/webhook/mercadopago/nope/", data="{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize(
    ("forgery", "status"),
    [
        ({"sign": False}, 401),  # no x-signature at all
        ({"secret": "not-the-company-secret"}, 401),  # signed with another key
        ({"ts": str(int(time.time()) - 3600)}, 401),  # a genuine signature replayed an hour later
        ({"signed_id": "999"}, 401),  # the signature of another payment, pasted on this one
        ({"webhook_key": "another-company-token"}, 404),  # the per-company token in the URL is wrong
    ],
)
def test_forged_notifications_are_refused_and_change_nothing(
    company_a, customer_a, conversation_a, settings, client, forgery, status
):
    order = _order(company_a, customer_a)
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        payment = PaymentFactory(order=order, external_id="555")
        server.add("GET", "/v1/payments/555", json=_payment_json(payment_id=555))

        response = _signed_post(client, company_a, 555, **forgery)

    assert response.status_code == status
    assert server.requests == []  # Mercado Pago was not even asked
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.approved_at, order.status, order.paid_at) == ("pending", None, "pending", None)
    assert outbound_texts(company_a) == []


def test_notification_for_a_company_without_webhook_secret_is_refused(
    company_a, company_b, customer_a, conversation_a, settings, client
):
    order = _order(company_a, customer_a)
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        CompanySetting.objects.for_company(company_a).filter(key="mercadopago_webhook_secret").delete()
        PaymentFactory(order=order, external_id="555")
        server.add("GET", "/v1/payments/555", json=_payment_json(payment_id=555))

        refused = _signed_post(client, company_a, 555, secret="")
        # Company B's valid token and secret do not reach company A's payment either.
        _configure_mp(company_b, settings, server)
        elsewhere = _signed_post(client, company_b, 555)

    assert refused.status_code == 401
    assert (elsewhere.status_code, elsewhere.json()) == (200, {"result": "ignored"})
    assert server.requests == []
    assert Order.objects.for_company(company_a).get(pk=order.pk).status == "pending"
    assert outbound_texts(company_a) == []


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_notifications_change_the_order_once(
    postgres_only, company_a, customer_a, conversation_a, settings
):
    order = _order(company_a, customer_a)
    PaymentFactory(order=order, external_id="777")
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        server.add("GET", "/v1/payments/777", json=_payment_json(payment_id=777))
        codes = race(lambda _: _signed_post(Client(), company_a, 777).json()["result"], range(5))

    assert sorted(codes) == ["applied", "unchanged", "unchanged", "unchanged", "unchanged"]
    assert len(server.requests_to("GET", "/v1/payments/777")) == 5  # each delivery read the payment
    paid = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (paid.status, paid.paid_at is not None) == ("paid", True)
    assert Payment.objects.for_company(company_a).get().status == "approved"
    assert len(outbound_texts(company_a)) == 1  # "payment received", once


def test_notification_url_without_the_final_slash_is_served_not_redirected(db, client):
    response = client.post(
        "/webhook/mercadopago/no-such-key?data.id=1&type=payment", data="{}", content_type="application/json"
    )

    assert response.status_code == 404  # answered by the webhook view (unknown company key), not a 301
