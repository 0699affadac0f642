import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.testing.fake_server import FakeServer
from integrations.tiny import (
    TinyCredentials,
    TinyCustomer,
    TinyOrder,
    TinyOrderItem,
    TinyRateLimited,
    find_order_id,
    push_order,
)

FIXTURES = Path(__file__).parent / "fixtures" / "tiny"
TOKEN = "tiny-token-123"
INCLUIR = "/api2/pedido.incluir.php"
PESQUISA = "/api2/pedidos.pesquisa.php"
ORDER = TinyOrder(
    number="BALCAO-1001",
    order_date=date(2025, 3, 9),
    customer=TinyCustomer(
        name="Maria Souza",
        phone="11987654321",
        address="Rua das Flores",
        address_number="12",
        neighborhood="Centro",
        city="São Paulo",
        state="SP",
    ),
    items=(
        TinyOrderItem("Pizza Calabresa Grande", Decimal("2"), Decimal("59.9"), code="PZ-CAL-G"),
        TinyOrderItem("Coca-Cola 2L", Decimal("1"), Decimal("14")),
    ),
    shipping=Decimal("7"),
    payment_method="pix",
    notes="Pedido WhatsApp #1001",
)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def form(request) -> dict:
    return {key: values[0] for key, values in parse_qs(request.body.decode()).items()}


class FakeTiny:
    """pedido.incluir and pedidos.pesquisa over an in-memory order book, answering in Tiny's shapes."""

    def __init__(self, server, *, incluir_delay=0.0):
        self.orders: dict[str, int] = {}  # numero_pedido_ecommerce -> Tiny id
        server.add("POST", INCLUIR, handler=self.incluir, delay=incluir_delay)
        server.add("POST", PESQUISA, handler=self.pesquisa)

    def incluir(self, request):
        pedido = json.loads(form(request)["pedido"])["pedido"]
        number = pedido["numero_pedido_ecommerce"]
        if number in self.orders:
            return 200, {}, fixture("incluir_duplicate.json")
        self.orders[number] = 37644545 + len(self.orders)
        tiny_id = str(self.orders[number])
        ok = {"sequencia": "1", "status": "OK", "id": tiny_id, "numero": tiny_id}
        return 200, {}, {"retorno": {"status_processamento": 3, "status": "OK", "registros": {"registro": ok}}}

    def pesquisa(self, request):
        number = form(request).get("numeroEcommerce")
        if number not in self.orders:
            return 200, {}, fixture("pesquisa_empty.json")
        found = {"pedido": {"id": self.orders[number], "numero": 1, "numero_ecommerce": number, "situacao": "Aberto"}}
        retorno = {"status_processamento": 3, "status": "OK", "pagina": "1", "numero_paginas": "1", "pedidos": [found]}
        return 200, {}, {"retorno": retorno}


def creds(server) -> TinyCredentials:
    return TinyCredentials(TOKEN, base_url=f"{server.url}/api2")


def test_push_creates_order_with_tiny_layout():
    with FakeServer() as server:
        fake = FakeTiny(server)

        tiny_id = push_order(creds(server), ORDER)

    assert tiny_id == "37644545"
    assert fake.orders == {"BALCAO-1001": 37644545}
    search, create = server.requests
    assert form(search) == {"token": TOKEN, "formato": "json", "numeroEcommerce": "BALCAO-1001"}
    sent = form(create)
    assert sent["token"] == TOKEN
    assert sent["formato"] == "json"
    assert json.loads(sent["pedido"]) == {
        "pedido": {
            "data_pedido": "09/03/2025",
            "cliente": {
                "nome": "Maria Souza",
                "tipo_pessoa": "F",
                "cpf_cnpj": "",
                "endereco": "Rua das Flores",
                "numero": "12",
                "complemento": "",
                "bairro": "Centro",
                "cep": "",
                "cidade": "São Paulo",
                "uf": "SP",
                "fone": "11987654321",
                "email": "",
            },
            "itens": [
                {
                    "item": {
                        "codigo": "PZ-CAL-G",
                        "descricao": "Pizza Calabresa Grande",
                        "unidade": "UN",
                        "quantidade": "2",
                        "valor_unitario": "59.90",
                    }
                },
                {
                    "item": {
                        "codigo": "",
                        "descricao": "Coca-Cola 2L",
                        "unidade": "UN",
                        "quantidade": "1",
                        "valor_unitario": "14.00",
                    }
                },
            ],
            "valor_frete": "7.00",
            "valor_desconto": "0.00",
            "numero_pedido_ecommerce": "BALCAO-1001",
            "obs": "Pedido WhatsApp #1001",
            "forma_pagamento": "pix",
        }
    }


def test_second_push_finds_the_order_and_creates_nothing():
    with FakeServer() as server:
        fake = FakeTiny(server)

        first = push_order(creds(server), ORDER)
        second = push_order(creds(server), ORDER)

    assert first == second == "37644545"
    assert len(fake.orders) == 1
    assert len(server.requests_to("POST", INCLUIR)) == 1


def test_retry_after_timeout_that_created_the_order_makes_one_order():
    with FakeServer() as server:
        fake = FakeTiny(server, incluir_delay=1.0)  # Tiny stores the order, the answer comes too late

        with pytest.raises(RetryableError):
            push_order(creds(server), ORDER, timeout=0.3)
        retried = push_order(creds(server), ORDER, timeout=0.3)

    assert retried == "37644545"
    assert fake.orders == {"BALCAO-1001": 37644545}
    assert len(server.requests_to("POST", INCLUIR)) == 1


def test_duplicate_error_is_success_with_the_existing_id():
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("pesquisa_empty.json"), times=1)  # search index lagging
        fake = FakeTiny(server)
        fake.orders["BALCAO-1001"] = 555

        tiny_id = push_order(creds(server), ORDER)

    assert tiny_id == "555"
    assert fake.orders == {"BALCAO-1001": 555}
    assert [r.path for r in server.requests] == [PESQUISA, INCLUIR, PESQUISA]


def test_success_answer_from_docs_fixture():
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("pesquisa_empty.json"))
        server.add("POST", INCLUIR, json=fixture("incluir_ok.json"))

        assert push_order(creds(server), ORDER) == "37644545"


def test_invalid_token_is_permanent_and_keeps_token_out():
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("token_invalid.json"))

        with pytest.raises(PermanentError) as raised:
            push_order(creds(server), ORDER)

    assert not isinstance(raised.value, RetryableError)
    assert str(raised.value) == "Tiny pedidos.pesquisa error 2: token invalido"
    assert TOKEN not in str(raised.value)
    assert server.requests_to("POST", INCLUIR) == []


def test_api_blocked_is_retryable():
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("rate_limited.json"))

        with pytest.raises(TinyRateLimited, match="API Bloqueada"):
            push_order(creds(server), ORDER)

    assert server.requests_to("POST", INCLUIR) == []


def test_maintenance_is_retryable():
    maintenance = {"retorno": {"status_processamento": 1, "status": "Erro", "codigo_erro": 99, "erros": []}}
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("pesquisa_empty.json"))
        server.add("POST", INCLUIR, json=maintenance)

        with pytest.raises(RetryableError, match="error 99"):
            push_order(creds(server), ORDER)


def test_validation_error_on_record_is_permanent():
    invalid = {
        "retorno": {
            "status_processamento": 2,
            "status": "Erro",
            "registros": [
                {
                    "registro": {
                        "sequencia": "1",
                        "status": "Erro",
                        "codigo_erro": "31",
                        "erros": [{"erro": "O campo nome do cliente deve ser informado"}],
                    }
                }
            ],
        }
    }
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("pesquisa_empty.json"))
        server.add("POST", INCLUIR, json=invalid)

        with pytest.raises(PermanentError) as raised:
            push_order(creds(server), ORDER)

    assert not isinstance(raised.value, RetryableError)
    assert str(raised.value) == "Tiny pedido.incluir error 31: O campo nome do cliente deve ser informado"


def test_find_matches_the_exact_number_only():
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("pesquisa_ok.json"))

        assert find_order_id(creds(server), "15") == "123457"
        assert find_order_id(creds(server), "1") is None


def test_token_not_in_repr():
    assert TOKEN not in repr(TinyCredentials(TOKEN))


@pytest.mark.parametrize(
    ("route", "error"),
    [
        ({"status": 503, "body": b"Service Temporarily Unavailable"}, RetryableError),
        ({"status": 502, "body": b"Bad Gateway"}, RetryableError),
        ({"status": 200, "json": {"retorno": {"status": "OK"}}, "delay": 1.0}, RetryableError),  # timeout
        ({"status": 200, "body": b"<html>Tiny</html>"}, PermanentError),
        ({"status": 200, "json": {"erro": "sem retorno"}}, PermanentError),
    ],
)
def test_http_errors_timeouts_and_unusable_answers_create_nothing(route, error):
    with FakeServer() as server:
        server.add("POST", PESQUISA, **route)
        fake = FakeTiny(server)

        with pytest.raises(error):
            push_order(creds(server), ORDER, timeout=0.3)

    assert server.requests_to("POST", INCLUIR) == []
    assert fake.orders == {}


def test_push_retried_until_it_works_creates_one_order():
    """Rate limit, then Tiny down, then a lost answer: four tries, one order in Tiny."""
    with FakeServer() as server:
        server.add("POST", PESQUISA, json=fixture("rate_limited.json"), times=1)
        server.add("POST", PESQUISA, status=503, body=b"unavailable", times=1)
        fake = FakeTiny(server, incluir_delay=1.0)
        errors = []
        for _attempt in range(3):
            try:
                push_order(creds(server), ORDER, timeout=0.3)
            except RetryableError as exc:
                errors.append(type(exc).__name__)
        tiny_id = push_order(creds(server), ORDER, timeout=0.3)

    assert errors == ["TinyRateLimited", "RetryableError", "RetryableError"]
    assert tiny_id == "37644545"
    assert fake.orders == {"BALCAO-1001": 37644545}
    assert len(server.requests_to("POST", INCLUIR)) == 1
