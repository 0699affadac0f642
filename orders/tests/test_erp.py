import json
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache
from django.db import connection
from kombu.exceptions import OperationalError

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from integrations.errors import RetryableError
from integrations.pontta import PonttaClient, PonttaCredentials
from integrations.testing.fake_server import FakeServer
from integrations.tests.test_pontta import EMAIL, PASSWORD, FakePontta
from integrations.tests.test_tiny import INCLUIR, FakeTiny
from orders.erp_tasks import order_erp_push_task
from orders.models import Order
from orders.services import OrderLine, order_place, order_transition
from tenants.services import company_setting_set
from tenants.tests.factories import CompanySettingFactory

SECRET = "secret"


pytestmark = pytest.mark.usefixtures("english")  # orders/tests/conftest.py


@pytest.fixture
def enqueued(monkeypatch):
    """The broker boundary: kwargs of every ERP push task sent."""
    sent = []
    monkeypatch.setattr(order_erp_push_task, "delay", lambda **kwargs: sent.append(kwargs))
    return sent


def _secret(company, key, value):
    company_setting_set(company=company, key=key, value=value, value_type=SECRET)


def _use_tiny(company, server):
    company_setting_set(company=company, key="erp_provider", value="tiny", value_type="string")
    _secret(company, "tiny_token", "tiny-token-123")
    company_setting_set(company=company, key="tiny_base_url", value=f"{server.url}/api2", value_type="string")


def _use_pontta(company, server, *, email=EMAIL):
    company_setting_set(company=company, key="erp_provider", value="pontta", value_type="string")
    _secret(company, "pontta_email", email)
    _secret(company, "pontta_password", PASSWORD)
    _secret(company, "pontta_business_unit", "bu-1")
    _secret(company, "pontta_base_url", f"{server.url}/api")


def _completed_order(company, customer, **kwargs) -> Order:
    product = Product.objects.for_company(company).filter(sku="PZ-CAL").first() or ProductFactory(
        company=company, name="Pizza Calabresa", price=Decimal("42.00"), sku="PZ-CAL", stock=None
    )
    order = order_place(
        company=company,
        customer=customer,
        lines=[OrderLine(product, product.name, 2, product.price, "sem cebola")],
        payment_method="pix",
        address="Rua A, 10",
        delivery_fee=Decimal("7.00"),
        **kwargs,
    )
    order_transition(order=order, to="preparing", notify=False)
    return order


def _complete(order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=order, to="completed", notify=False)


def test_completed_order_pushed_once_to_tiny_even_when_retried_after_timeout(
    company_a, customer_a, enqueued, settings, django_capture_on_commit_callbacks
):
    settings.PROVIDER_TIMEOUT = 0.3
    with FakeServer() as server:
        fake = FakeTiny(server, incluir_delay=1.0)  # Tiny stores the order, its answer arrives too late
        _use_tiny(company_a, server)
        order = _completed_order(company_a, customer_a)

        _complete(order, django_capture_on_commit_callbacks)
        assert enqueued == [{"company_id": company_a.pk, "order_id": order.pk}]
        with pytest.raises(RetryableError):
            order_erp_push_task(**enqueued[0])
        timed_out = Order.objects.for_company(company_a).get(pk=order.pk)
        erp_id = order_erp_push_task(**enqueued[0])  # Celery's retry
        order_erp_push_task(**enqueued[0])  # a duplicated delivery sends nothing

    assert timed_out.erp_id == ""
    assert timed_out.erp_attempts == 1
    assert "ReadTimeout" in timed_out.erp_error
    assert erp_id == "37644545"
    assert fake.orders == {f"BALCAO-{order.pk}": 37644545}
    assert len(server.requests_to("POST", INCLUIR)) == 1
    pushed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (pushed.erp_provider, pushed.erp_id, pushed.erp_error, pushed.erp_attempts) == ("tiny", "37644545", "", 2)
    assert pushed.erp_last_try_at is not None


def test_tiny_payload_carries_the_order(company_a, customer_a, enqueued):
    with FakeServer() as server:
        FakeTiny(server)
        _use_tiny(company_a, server)
        order = _completed_order(company_a, customer_a)
        order_transition(order=order, to="completed", notify=False)

        order_erp_push_task(company_id=company_a.pk, order_id=order.pk)

    sent = json.loads(parse_qs(server.requests_to("POST", INCLUIR)[0].body.decode())["pedido"][0])["pedido"]
    assert sent["itens"] == [
        {
            "item": {
                "codigo": "PZ-CAL",
                "descricao": "Pizza Calabresa",
                "unidade": "UN",
                "quantidade": "2",
                "valor_unitario": "42.00",
            }
        }
    ]
    assert (sent["valor_frete"], sent["forma_pagamento"], sent["numero_pedido_ecommerce"]) == (
        "7.00",
        "pix",
        f"BALCAO-{order.pk}",
    )
    assert sent["cliente"]["nome"] == customer_a.name


def test_rejected_push_is_recorded_and_not_retried(company_a, customer_a, enqueued):
    with FakeServer() as server:
        server.add(
            "POST",
            "/api2/pedidos.pesquisa.php",
            json={"retorno": {"status": "Erro", "codigo_erro": 2, "erros": [{"erro": "token invalido"}]}},
        )
        _use_tiny(company_a, server)
        order = _completed_order(company_a, customer_a)
        order_transition(order=order, to="completed", notify=False)

        result = order_erp_push_task(company_id=company_a.pk, order_id=order.pk)

    assert result is None
    failed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (failed.erp_id, failed.erp_error, failed.erp_attempts) == (
        "",
        "Tiny pedidos.pesquisa error 2: token invalido",
        1,
    )
    assert len(server.requests_to("POST", INCLUIR)) == 0


def test_missing_credential_is_an_error_on_the_order(company_a, customer_a, enqueued):
    company_setting_set(company=company_a, key="erp_provider", value="tiny", value_type="string")
    order = _completed_order(company_a, customer_a)
    order_transition(order=order, to="completed", notify=False)

    assert order_erp_push_task(company_id=company_a.pk, order_id=order.pk) is None

    failed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert failed.erp_error == "ERP credential missing in the company settings: tiny_token"
    assert failed.erp_attempts == 1


def test_no_erp_configured_enqueues_nothing(company_a, customer_a, enqueued, django_capture_on_commit_callbacks):
    order = _completed_order(company_a, customer_a)

    _complete(order, django_capture_on_commit_callbacks)

    assert enqueued == []
    untouched = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (untouched.erp_provider, untouched.erp_attempts, untouched.erp_last_try_at) == ("", 0, None)


def test_other_transitions_enqueue_nothing(company_a, customer_a, enqueued, django_capture_on_commit_callbacks):
    company_setting_set(company=company_a, key="erp_provider", value="tiny", value_type="string")
    order = _completed_order(company_a, customer_a)

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=order, to="out_for_delivery", notify=False)
        order_transition(order=order, to="cancelled", notify=False)

    assert enqueued == []


def test_pontta_ticket_for_the_order(company_a, customer_a, enqueued):
    customer_a.provider_contact_ids = {"gosac": "24914"}
    customer_a.save()
    with FakeServer() as server:
        FakePontta(server)
        _use_pontta(company_a, server)
        order = _completed_order(company_a, customer_a)
        order_transition(order=order, to="completed", notify=False)

        erp_id = order_erp_push_task(company_id=company_a.pk, order_id=order.pk)

    assert erp_id == "42"
    (created,) = server.requests_to("POST", "/api/tickets")
    assert created.json == {
        "contact_id": "24914",
        "subject": f"Order #{order.pk}",
        "message": "2x Pizza Calabresa — 84.00\nDelivery: 7.00\nTotal: 91.00\nPayment: Pix\nAddress: Rua A, 10",
        "status": "open",
    }
    assert Order.objects.for_company(company_a).get(pk=order.pk).erp_id == "42"


@pytest.mark.django_db(transaction=True)
def test_concurrent_pontta_pushes_with_expired_token_log_in_once(postgres_only, company_a, customer_a):
    with FakeServer() as server:
        FakePontta(server, login_delay=0.3)
        _use_pontta(company_a, server, email=EMAIL)
        orders = [_completed_order(company_a, customer_a) for _ in range(2)]
        for order in orders:
            order_transition(order=order, to="completed", notify=False)
        # The token both workers find in the shared cache has expired.
        expired = PonttaClient(
            PonttaCredentials(f"{server.url}/api", EMAIL, PASSWORD, "bu-1"), cache=cache, company_key=str(company_a.pk)
        )
        cache.set(expired.token_key, {"token": "old", "expires_at": time.time() - 10}, timeout=60)
        results, errors = {}, []

        def worker(order_id):
            try:
                results[order_id] = order_erp_push_task(company_id=company_a.pk, order_id=order_id)
            except Exception as exc:  # noqa: BLE001 - surfaced by the assert below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(order.pk,)) for order in orders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len(server.requests_to("POST", "/api/auth/login")) == 1
    assert len(server.requests_to("POST", "/api/tickets")) == 2
    assert sorted(results.values()) == ["42", "42"]
    cache.delete(expired.token_key)


def test_push_again_action_requeues_failed_orders(
    company_a, customer_a, admin_client_a, enqueued, django_capture_on_commit_callbacks
):
    company_setting_set(company=company_a, key="erp_provider", value="tiny", value_type="string")
    failed = _completed_order(company_a, customer_a)
    order_transition(order=failed, to="completed", notify=False)
    Order.objects.for_company(company_a).filter(pk=failed.pk).update(erp_error="boom", erp_attempts=3)
    open_order = _completed_order(company_a, customer_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_a.post(
            "/admin/orders/order/",
            {"action": "erp_push_again_action", "_selected_action": [failed.pk, open_order.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    assert enqueued == [{"company_id": company_a.pk, "order_id": failed.pk}]
    assert Order.objects.for_company(company_a).get(pk=failed.pk).erp_error == ""
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "1 order(s) queued for the ERP.",
        "1 order(s) skipped: not completed, or already in the ERP.",
    ]


def test_order_admin_shows_the_erp_result(company_a, customer_a, admin_client_a):
    order = _completed_order(company_a, customer_a)
    Order.objects.for_company(company_a).filter(pk=order.pk).update(
        erp_provider="tiny", erp_error="Tiny pedido.incluir error 31: cliente invalido", erp_attempts=2
    )

    response = admin_client_a.get(f"/admin/orders/order/{order.pk}/change/")

    assert response.status_code == 200
    assert "Tiny pedido.incluir error 31: cliente invalido" in response.content.decode()


def test_pontta_retry_after_timeout_finds_the_ticket_instead_of_opening_another(company_a, customer_a, settings):
    settings.PROVIDER_TIMEOUT = 0.3
    order = _completed_order(company_a, customer_a)
    order_transition(order=order, to="completed", notify=False)
    tickets = []

    def create(request):
        tickets.append({"id": 77, **request.json})
        return 201, {}, tickets[-1]

    with FakeServer() as server:
        server.add("POST", "/api/auth/login", json={"token": "opaque", "expires_in": 3600})
        server.add("POST", "/api/tickets", handler=create, delay=1.0)  # stored, answered too late
        server.add("GET", "/api/tickets", handler=lambda request: (200, {}, {"data": tickets}))
        _use_pontta(company_a, server)

        with pytest.raises(RetryableError):
            order_erp_push_task(company_id=company_a.pk, order_id=order.pk)
        erp_id = order_erp_push_task(company_id=company_a.pk, order_id=order.pk)

    assert erp_id == "77"
    assert len(tickets) == 1
    assert len(server.requests_to("POST", "/api/tickets")) == 1
    assert server.requests_to("GET", "/api/tickets")[0].query == {"contact_id": [customer_a.phone]}
    assert Order.objects.for_company(company_a).get(pk=order.pk).erp_attempts == 2


def test_push_task_retries_through_celery_until_the_erp_answers(company_a, customer_a):
    with FakeServer() as server:
        server.add("POST", "/api2/pedidos.pesquisa.php", status=503, body=b"down for maintenance", times=2)
        fake = FakeTiny(server)
        _use_tiny(company_a, server)
        order = _completed_order(company_a, customer_a)
        order_transition(order=order, to="completed", notify=False)

        # Celery runs the retries inline under apply(); a worker would wait 2, 4... seconds between them.
        result = order_erp_push_task.apply(kwargs={"company_id": company_a.pk, "order_id": order.pk})

    assert (result.successful(), result.get()) == (True, "37644545")
    assert fake.orders == {f"BALCAO-{order.pk}": 37644545}
    pushed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (pushed.erp_id, pushed.erp_error, pushed.erp_attempts) == ("37644545", "", 3)


def test_push_task_gives_up_after_its_retries_with_the_error_on_the_order(company_a, customer_a, monkeypatch):
    monkeypatch.setattr(order_erp_push_task, "max_retries", 2)
    with FakeServer() as server:
        server.add("POST", "/api2/pedidos.pesquisa.php", status=503, body=b"down")
        _use_tiny(company_a, server)
        order = _completed_order(company_a, customer_a)
        order_transition(order=order, to="completed", notify=False)

        result = order_erp_push_task.apply(kwargs={"company_id": company_a.pk, "order_id": order.pk})

    assert result.failed() and isinstance(result.result, RetryableError)
    failed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert (failed.erp_id, failed.erp_attempts) == ("", 3)
    assert "HTTP 503" in failed.erp_error


@pytest.mark.parametrize(("choice", "pushed"), [("", False), ("bling", False), (" Tiny ", True), ("PONTTA", True)])
def test_the_company_chooses_its_erp(
    company_a, customer_a, enqueued, django_capture_on_commit_callbacks, choice, pushed
):
    if choice:  # as stored before values were checked (saving them now is refused): read leniently
        CompanySettingFactory(company=company_a, key="erp_provider", value=choice)
    order = _completed_order(company_a, customer_a)

    _complete(order, django_capture_on_commit_callbacks)

    assert enqueued == ([{"company_id": company_a.pk, "order_id": order.pk}] if pushed else [])


def test_order_admin_shows_the_erp_id_of_a_pushed_order(company_a, customer_a, admin_client_a):
    order = _completed_order(company_a, customer_a)
    Order.objects.for_company(company_a).filter(pk=order.pk).update(
        erp_provider="tiny", erp_id="37644545", erp_attempts=1
    )

    page = admin_client_a.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "37644545" in page
    assert 'class="form-row field-erp_id"' in page


def test_erp_credentials_are_stored_encrypted(company_a):
    with FakeServer() as server:
        _use_pontta(company_a, server)
        _use_tiny(company_a, server)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tenants_companysetting WHERE company_id = %s", [company_a.pk])
        stored = repr(cursor.fetchall())

    assert "pontta_password" in stored and "tiny_token" in stored
    assert PASSWORD not in stored and EMAIL not in stored and "tiny-token-123" not in stored


def test_a_push_the_broker_refuses_is_visible_on_the_order(
    company_a, customer_a, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(**kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(order_erp_push_task, "delay", refuse)
    company_setting_set(company=company_a, key="erp_provider", value="tiny", value_type="string")
    order = _completed_order(company_a, customer_a)

    _complete(order, django_capture_on_commit_callbacks)  # no exception reaches the caller

    stored = Order.objects.for_company(company_a).get(pk=order.pk)
    assert stored.status == "completed"
    assert stored.erp_error.startswith("The ERP push could not be queued")
