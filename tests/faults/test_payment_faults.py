"""Mercado Pago answering after the client's timeout: the real worker's charge task creates one charge."""

import json
import threading
import time
from decimal import Decimal

from catalog.tests.factories import ProductFactory
from conversations.tests.factories import ConversationFactory
from integrations.testing.fake_server import FakeServer
from orders.models import Payment
from orders.payments import pix_charge_create
from orders.services import OrderLine, order_place
from orders.tests.test_payments import FIXTURES, _configure_mp
from tenants.scoping import company_scope
from tests.faults.conftest import figure, wait_until


class SlowMercadoPago:
    """Creates the charge at once but answers only after `delay` (longer than the client waits);
    honours X-Idempotency-Key and answers the search by external_reference, as Mercado Pago does."""

    def __init__(self, created: dict, delay: float):
        self.created, self.delay = created, delay
        self.charges: dict[str, dict] = {}  # idempotency key -> payment
        self.creates = 0
        self.lock = threading.Lock()

    def create(self, recorded):
        body = json.loads(recorded.body)
        key = recorded.headers["X-Idempotency-Key"]
        with self.lock:
            self.creates += 1
            if key not in self.charges:
                self.charges[key] = {
                    **self.created,
                    "id": 9000 + len(self.charges),
                    "external_reference": body["external_reference"],
                    "transaction_amount": body["transaction_amount"],
                    "date_created": "2099-01-01T00:00:00.000-03:00",
                }
            payment = self.charges[key]
        time.sleep(self.delay)
        return 201, {"Content-Type": "application/json"}, json.dumps(payment).encode()

    def search(self, recorded):
        reference = recorded.query["external_reference"][0]
        results = [p for p in self.charges.values() if p["external_reference"] == reference]
        return 200, {"Content-Type": "application/json"}, json.dumps({"results": results}).encode()


def test_mercado_pago_answering_after_the_timeout_makes_one_charge(company_a, start_worker, settings):
    created = json.loads((FIXTURES / "payment_pix_created.json").read_text())
    mercadopago = SlowMercadoPago(created, delay=2.5)
    with FakeServer() as server:
        server.add("POST", "/v1/payments", handler=mercadopago.create)
        server.add("GET", "/v1/payments/search", handler=mercadopago.search)
        _configure_mp(company_a, settings, server)
        start_worker(PROVIDER_TIMEOUT=1, MERCADOPAGO_BASE_URL=server.url)
        customer = ConversationFactory(company=company_a, channel__status="connected").customer
        product = ProductFactory(company=company_a, price=Decimal("12.34"), stock=3)
        started = time.monotonic()
        with company_scope(company_a):
            order = order_place(
                company=company_a,
                customer=customer,
                lines=[OrderLine(product, "Pizza", 1, product.price)],
                payment_method="pix",
            )
            payment = pix_charge_create(order=order)  # the task goes out on commit (autocommit here)

        def charged():
            return Payment.objects.for_company(company_a).filter(pk=payment.pk).exclude(external_id="").first()

        recorded = wait_until(charged, 60, "the charge recorded")
        took = time.monotonic() - started
    searches = len([r for r in server.requests if r.path == "/v1/payments/search"])
    figure(
        f"\nFAULT Mercado Pago answers after the client's 1 s timeout (2.5 s): {len(mercadopago.charges)} charge, "
        f"{mercadopago.creates} create call(s), {searches} search(es), recorded after {took:.1f} s "
        f"(attempts {recorded.charge_attempts})"
    )
    assert len(mercadopago.charges) == 1
    assert recorded.external_id == "9000"
    assert Payment.objects.for_company(company_a).filter(order=order).count() == 1
