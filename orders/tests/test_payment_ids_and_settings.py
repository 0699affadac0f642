"""Issue 20: the signed Mercado Pago id is the only one used, the payer e-mail, and the Pix settings
validated (and normalised) when saved."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from integrations.testing.fake_server import FakeServer
from orders.models import Payment
from orders.payments import pix_charge_create, pix_charge_run
from orders.tests.test_payments import FIXTURES, SECRET, _configure_mp, _order, _payment_json
from tenants.scoping import company_scope
from tenants.services import company_setting_get, company_setting_set


def _post(client, company, *, query_id, body_id):
    ts, request_id = str(int(time.time())), "req-ab"
    manifest = f"id:{query_id};request-id:{request_id};ts:{ts};"
    signature = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    url = reverse("mercadopago-webhook", args=[company.webhook_key]) + f"?data.id={query_id}&type=payment"
    body = {"action": "payment.updated", "type": "payment", "data": {"id": str(body_id)}}
    return client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_REQUEST_ID=request_id,
        HTTP_X_SIGNATURE=f"ts={ts},v1={signature}",
    )


def test_signed_query_id_a_with_body_id_b_is_refused(company_a, customer_a, conversation_a, settings, client):
    order_a, order_b = _order(company_a, customer_a), _order(company_a, customer_a)
    created = json.loads((FIXTURES / "payment_pix_created.json").read_text())
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        server.add("POST", "/v1/payments", json=created, status=201)
        payment_a = pix_charge_create(order=order_a)
        payment_b = Payment.objects.for_company(company_a).create(
            company=company_a, order=order_b, provider="mercadopago", amount=order_b.total, external_id="777"
        )
        server.add("GET", "/v1/payments/777", json=_payment_json(payment_id=777, amount=12.34))
        server.add("GET", f"/v1/payments/{created['id']}", json=_payment_json(payment_id=created["id"]))
        answer = _post(client, company_a, query_id=created["id"], body_id="777")
        assert server.requests_to("GET", "/v1/payments/777") == []

    assert answer.status_code == 401
    payment_a.refresh_from_db()
    payment_b.refresh_from_db()
    assert (payment_a.status, payment_b.status) == ("pending", "pending")
    order_b.refresh_from_db()
    assert order_b.status != "paid"


def _charge(order):
    """Create the Payment row, then run the charge task's work (it runs after the order's commit)."""
    payment = pix_charge_create(order=order)
    with company_scope(order.company_id):  # as the company task runs it
        pix_charge_run(payment_id=payment.pk)


def test_payer_email_is_the_customers_own_when_known(company_a, customer_a, settings):
    customer_a.email = "cliente@example.com"
    customer_a.save(update_fields=["email"])
    created = json.loads((FIXTURES / "payment_pix_created.json").read_text())
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        server.add("POST", "/v1/payments", json=created, status=201)
        _charge(_order(company_a, customer_a))
        charge = server.requests_to("POST", "/v1/payments")[0]
    assert charge.json["payer"]["email"] == "cliente@example.com"


def test_payer_email_falls_back_to_the_configured_one(company_a, customer_a, settings):
    settings.MERCADOPAGO_PAYER_EMAIL = "pagamentos@pizzaria.example"
    emails = []
    for n, configured in enumerate(["", "loja@pizzaria.example"]):
        if configured:
            company_setting_set(company=company_a, key="mercadopago_payer_email", value=configured)
        created = json.loads((FIXTURES / "payment_pix_created.json").read_text())
        created["id"] += n
        with FakeServer() as server:
            _configure_mp(company_a, settings, server)
            server.add("POST", "/v1/payments", json=created, status=201)
            _charge(_order(company_a, customer_a))
            emails += [r.json["payer"]["email"] for r in server.requests_to("POST", "/v1/payments")]
    assert emails == ["pagamentos@pizzaria.example", "loja@pizzaria.example"]
    assert "webmaster@localhost" not in emails


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("11 98765-4321", "+5511987654321"),
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("55 11 98765 4321", "+5511987654321"),
        ("(11) 3456-7890", "+551134567890"),
        ("123.456.789-09", "12345678909"),
        ("12345678909", "12345678909"),
        ("11.222.333/0001-81", "11222333000181"),
        ("  Pix@Pizzaria.COM.br ", "pix@pizzaria.com.br"),
        ("123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
    ],
)
def test_pix_key_is_stored_normalised(company_a, typed, stored):
    company_setting_set(company=company_a, key="pix_key", value=typed)
    assert company_setting_get(company=company_a, key="pix_key") == stored


@pytest.mark.parametrize("typed", ["123.456.789-00", "11.222.333/0001-00", "pix@", "98765", "0800 123 4567", "chave"])
def test_invalid_pix_key_is_refused_in_portuguese(company_a, typed):
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        company_setting_set(company=company_a, key="pix_key", value=typed)
    assert "chave Pix" in " ".join(refused.value.messages)
    assert company_setting_get(company=company_a, key="pix_key") is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pix_merchant_name", "🍕 🍕"),
        ("pix_merchant_name", "🍕🍕"),
        ("pix_merchant_city", "   "),
        ("pix_merchant_city", "12345"),
        ("mercadopago_payer_email", "not-an-email"),
    ],
)
def test_merchant_name_city_and_payer_email_are_checked(company_a, key, value):
    with pytest.raises(ValidationError):
        company_setting_set(company=company_a, key=key, value=value)


def test_the_settings_page_refuses_a_bad_key_and_stores_the_normalised_one(company_a, admin_client_a):
    url = reverse("admin:tenants_companysetting_integration", args=["pix"])
    refused = admin_client_a.post(
        url, {"pix_key": "(11) 9876", "pix_merchant_name": "Pizzaria", "pix_merchant_city": "Sao Paulo"}
    )
    assert refused.status_code == 200
    assert company_setting_get(company=company_a, key="pix_key") is None
    saved = admin_client_a.post(
        url, {"pix_key": "(11) 98765-4321", "pix_merchant_name": "Pizzaria", "pix_merchant_city": "Sao Paulo"}
    )
    assert saved.status_code == 302
    assert company_setting_get(company=company_a, key="pix_key") == "+5511987654321"


def test_delivery_zone_fee_and_name_are_checked(company_a):
    from catalog.models import DeliveryZone

    zone = DeliveryZone(company=company_a, neighbourhood="  12 ", fee="1500.00")
    with pytest.raises(ValidationError) as refused:
        zone.full_clean()
    assert set(refused.value.message_dict) == {"neighbourhood", "fee"}
