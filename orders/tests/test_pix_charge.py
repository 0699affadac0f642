"""The Mercado Pago charge: its own task after the order commits, once, even when an answer is lost."""

import json
from decimal import Decimal

import pytest
from django.db import transaction

from catalog.tests.factories import ProductFactory
from integrations.errors import RetryableError
from integrations.testing.fake_server import FakeServer
from orders.models import Order, Payment
from orders.payment_tasks import pix_charge_task
from orders.payments import pix_charge_create, pix_charge_run, pix_idempotency_key
from orders.services import OrderLine, order_place
from orders.tests.conftest import outbound_texts
from orders.tests.test_payments import FIXTURES, _configure_mp
from tenants.scoping import company_scope


@pytest.fixture
def created():
    return json.loads((FIXTURES / "payment_pix_created.json").read_text())


@pytest.fixture
def mercadopago(company_a, settings):
    with FakeServer() as server:
        _configure_mp(company_a, settings, server)
        yield server


def _order(company, customer):
    product = ProductFactory(company=company, price=Decimal("12.34"), stock=3)
    return order_place(
        company=company, customer=customer, lines=[OrderLine(product, "Pizza", 1, product.price)], payment_method="pix"
    )


def test_the_charge_is_its_own_task_after_the_order_commits(
    company_a, customer_a, conversation_a, mercadopago, created, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(pix_charge_task, "delay", lambda **kwargs: published.append(kwargs))
    mercadopago.add("POST", "/v1/payments", json=created, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            order = _order(company_a, customer_a)
            payment = pix_charge_create(order=order)
            assert (payment.qr_payload, published, mercadopago.requests) == ("", [], [])  # nothing before commit

    assert published == [{"company_id": company_a.pk, "payment_id": payment.pk}]
    with company_scope(company_a):
        pix_charge_task.apply(kwargs=published[0], throw=True)
        pix_charge_task.apply(kwargs=published[0], throw=True)  # a redelivery: nothing more

    (charge,) = mercadopago.requests_to("POST", "/v1/payments")
    assert charge.headers["X-Idempotency-Key"] == f"balcao-order-{order.pk}-payment-{payment.pk}"
    payment.refresh_from_db()
    assert (payment.external_id, payment.charge_attempts) == (str(created["id"]), 1)
    assert outbound_texts(company_a)[-3:-1] == ["Código Pix copia e cola:", payment.qr_payload]
    assert Order.objects.for_company(company_a).get(pk=order.pk).status == "awaiting_payment"


def test_a_rolled_back_order_creates_no_charge(
    company_a, customer_a, conversation_a, mercadopago, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(pix_charge_task, "delay", lambda **kwargs: published.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            pix_charge_create(order=_order(company_a, customer_a))
            raise RuntimeError("the turn failed")

    assert published == [] and mercadopago.requests == []
    assert not Payment.objects.for_company(company_a).exists()


def test_an_answer_lost_to_the_timeout_is_found_not_charged_twice(
    company_a, customer_a, conversation_a, mercadopago, created, settings
):
    settings.PROVIDER_TIMEOUT = 0.5
    mercadopago.add("POST", "/v1/payments", json=created, status=201, delay=1.5)  # answers after we gave up
    created_at = "2099-01-01T00:00:00.000-03:00"  # after our row, whatever the fixture says
    mercadopago.add(
        "GET", "/v1/payments/search", json={"results": [{**created, "date_created": created_at}], "paging": {}}
    )
    order = _order(company_a, customer_a)
    with company_scope(company_a):
        payment = pix_charge_create(order=order)

        with pytest.raises(RetryableError):
            pix_charge_run(payment_id=payment.pk)
        found = pix_charge_run(payment_id=payment.pk)

    assert len(mercadopago.requests_to("POST", "/v1/payments")) == 1
    (search,) = mercadopago.requests_to("GET", "/v1/payments/search")
    assert search.query["external_reference"] == [f"order:{order.pk}"]
    assert (found.external_id, found.charge_attempts) == (str(created["id"]), 1)
    assert pix_idempotency_key(found) == f"balcao-order-{order.pk}-payment-{payment.pk}"


def test_a_refused_charge_is_recorded_and_the_customer_told(company_a, customer_a, conversation_a, mercadopago):
    mercadopago.add("POST", "/v1/payments", json={"message": "invalid"}, status=400)
    order = _order(company_a, customer_a)
    with company_scope(company_a):
        payment = pix_charge_create(order=order)
        assert pix_charge_task.apply(kwargs={"company_id": company_a.pk, "payment_id": payment.pk}).result == "failed"

    payment.refresh_from_db()
    assert "HTTP 400" in payment.charge_error
    assert outbound_texts(company_a)[-1] == "Não conseguimos gerar o Pix agora; nossa equipe vai entrar em contato."
