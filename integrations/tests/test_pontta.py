import base64
import json
import threading
import time
import uuid

import pytest
from django.core.cache import cache

from integrations.errors import PermanentError, RetryableError
from integrations.pontta import PonttaAuthError, PonttaClient, PonttaCredentials, PonttaTicket
from integrations.testing.fake_server import FakeServer

PASSWORD = "s3cret-pass"
EMAIL = "bot@pizzaria.example"
TICKETS = [{"id": 41, "contact_id": 7, "subject": "Pedido", "message": "Cadê meu pedido?", "status": "open"}]


def jwt(exp: float, serial: int) -> str:
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'bot', 'n': serial, 'exp': int(exp)})}.c2ln"


class FakePontta:
    """Pontta's login and tickets: tokens are numbered; `accepted` decides which the API honours."""

    def __init__(self, server, *, lifetime=3600, accepted=lambda serial: True, login_delay=0.0, clock=time.time):
        self.issued: list[str] = []
        self.clock = clock
        self.lifetime = lifetime
        self.accepted = accepted
        server.add("POST", "/api/auth/login", handler=self.login, delay=login_delay)
        server.add("GET", "/api/tickets", handler=self.tickets)
        server.add("POST", "/api/tickets", handler=self.create)

    def login(self, request):
        if request.json != {"email": EMAIL, "password": PASSWORD} or request.headers.get("Businessunit") != "bu-1":
            return 401, {}, {"message": "Invalid credentials"}
        self.issued.append(jwt(self.clock() + self.lifetime, len(self.issued) + 1))
        return 200, {}, {"token": self.issued[-1]}

    def _authorized(self, request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in self.issued and self.accepted(self.issued.index(token) + 1)

    def tickets(self, request):
        return (200, {}, TICKETS) if self._authorized(request) else (401, {}, {"message": "Unauthorized"})

    def create(self, request):
        if not self._authorized(request):
            return 401, {}, {"message": "Unauthorized"}
        return 201, {}, {"id": 42, **request.json}


def client_for(server, *, company_key=None, password=PASSWORD, clock=time.time) -> PonttaClient:
    creds = PonttaCredentials(f"{server.url}/api", EMAIL, password, "bu-1")
    return PonttaClient(creds, cache=cache, company_key=company_key or uuid.uuid4().hex, clock=clock)


def logins(server) -> int:
    return len(server.requests_to("POST", "/api/auth/login"))


def test_login_then_token_reused():
    with FakeServer() as server:
        FakePontta(server)
        client = client_for(server)

        first = client.list_tickets(contact_id=7)
        second = client.list_tickets(contact_id=7)

    expected = [PonttaTicket("41", "7", "Pedido", "Cadê meu pedido?", "open")]
    assert first == second == expected
    assert logins(server) == 1
    gets = server.requests_to("GET", "/api/tickets")
    assert len(gets) == 2
    assert gets[0].query == {"contact_id": ["7"]}
    assert gets[0].headers["Businessunit"] == "bu-1"
    assert gets[0].headers["Authorization"] == f"Bearer {gets[1].headers['Authorization'].removeprefix('Bearer ')}"


def test_token_shared_by_workers_of_the_same_company():
    with FakeServer() as server:
        FakePontta(server)
        company = uuid.uuid4().hex

        client_for(server, company_key=company).list_tickets()
        client_for(server, company_key=company).list_tickets()
        client_for(server).list_tickets()  # another company logs in on its own

    assert logins(server) == 2


def test_expiring_token_is_renewed():
    now = [time.time()]
    with FakeServer() as server:
        fake = FakePontta(server, lifetime=3600, clock=lambda: now[0])
        client = client_for(server, clock=lambda: now[0])

        client.list_tickets()
        now[0] += 3600 - 30  # inside the renewal margin
        client.list_tickets()

    assert logins(server) == 2
    gets = server.requests_to("GET", "/api/tickets")
    assert [g.headers["Authorization"] for g in gets] == [f"Bearer {t}" for t in fake.issued]


def test_token_without_exp_uses_expires_in():
    now = [time.time()]
    with FakeServer() as server:
        server.add("POST", "/api/auth/login", json={"token": "opaque-token", "expires_in": 600})
        server.add("GET", "/api/tickets", json=[])
        client = client_for(server, clock=lambda: now[0])

        client.list_tickets()
        now[0] += 500
        client.list_tickets()
        now[0] += 60
        client.list_tickets()

    assert logins(server) == 2


def test_401_renews_and_retries_once():
    with FakeServer() as server:
        FakePontta(server, accepted=lambda serial: serial >= 2)  # the first token is revoked
        client = client_for(server)

        tickets = client.list_tickets()

    assert [t.id for t in tickets] == ["41"]
    assert logins(server) == 2
    assert len(server.requests_to("GET", "/api/tickets")) == 2


def test_second_401_is_permanent():
    with FakeServer() as server:
        FakePontta(server, accepted=lambda serial: False)
        client = client_for(server)

        with pytest.raises(PermanentError) as raised:
            client.list_tickets()

    assert raised.value.status == 401
    assert logins(server) == 2
    assert len(server.requests_to("GET", "/api/tickets")) == 2


def test_concurrent_calls_with_expired_token_log_in_once():
    now = [time.time()]
    with FakeServer() as server:
        FakePontta(server, login_delay=0.3, clock=lambda: now[0])
        company = uuid.uuid4().hex
        client_for(server, company_key=company, clock=lambda: now[0]).list_tickets()
        now[0] += 7200  # the cached token is now expired for everyone
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            client = client_for(server, company_key=company, clock=lambda: now[0])
            barrier.wait()
            try:
                results.append(client.list_tickets())
            except Exception as exc:  # noqa: BLE001 - surfaced by the assert below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert errors == []
    assert len(results) == 2
    assert logins(server) == 2  # the first login above, then exactly one renewal for both threads
    assert len(server.requests_to("GET", "/api/tickets")) == 3


def test_bad_credentials_raise_clear_error_without_secrets():
    with FakeServer() as server:
        FakePontta(server)
        client = client_for(server, password="wrong-password")

        with pytest.raises(PonttaAuthError) as raised:
            client.list_tickets()

    message = str(raised.value)
    assert message == "Pontta login refused (HTTP 401): check the email, password and business unit"
    assert "wrong-password" not in message and EMAIL not in message
    assert server.requests_to("GET", "/api/tickets") == []
    assert cache.get(client.token_key) is None


def test_create_ticket():
    with FakeServer() as server:
        FakePontta(server)
        client = client_for(server)

        ticket = client.create_ticket(7, "Troca", "Quero trocar o tamanho")

    assert ticket == PonttaTicket("42", "7", "Troca", "Quero trocar o tamanho", "open")
    sent = server.requests_to("POST", "/api/tickets")[0]
    assert sent.json == {"contact_id": 7, "subject": "Troca", "message": "Quero trocar o tamanho", "status": "open"}
    assert sent.headers["Businessunit"] == "bu-1"


def test_password_not_in_repr():
    assert PASSWORD not in repr(PonttaCredentials("https://api.pontta.com/api", EMAIL, PASSWORD, "bu-1"))


def test_login_timeout_is_retryable_and_leaves_no_token_or_lock(settings):
    settings.PROVIDER_TIMEOUT = 0.2
    with FakeServer() as server:
        server.add("POST", "/api/auth/login", json={"token": jwt(time.time() + 3600, 1)}, delay=1.0, times=1)
        FakePontta(server)  # answers in time from the second login on
        client = client_for(server)

        with pytest.raises(RetryableError):
            client.list_tickets()
        assert cache.get(client.token_key) is None
        assert cache.get(client.lock_key) is None  # the next worker does not wait for a dead login

        assert [t.id for t in client.list_tickets()] == ["41"]

    assert logins(server) == 2


@pytest.mark.parametrize(
    ("route", "error"),
    [
        ({"status": 503, "json": {"message": "Service Unavailable"}}, RetryableError),
        ({"status": 429, "json": {"message": "Too Many Requests"}}, RetryableError),
        ({"status": 200, "json": {"token": "x"}, "delay": 1.0}, RetryableError),  # tickets answer too late
        ({"status": 422, "json": {"message": "contact_id is required"}}, PermanentError),
        ({"status": 200, "body": b"<html>maintenance</html>"}, PermanentError),
    ],
)
def test_ticket_errors_and_timeouts(settings, route, error):
    settings.PROVIDER_TIMEOUT = 0.2
    with FakeServer() as server:
        server.add("POST", "/api/auth/login", json={"token": jwt(time.time() + 3600, 1)})
        server.add("GET", "/api/tickets", **route)
        client = client_for(server)

        with pytest.raises(error):
            client.list_tickets(contact_id=7)

    assert logins(server) == 1  # not an authentication problem: the token is kept


def test_login_answer_without_token_is_permanent():
    with FakeServer() as server:
        server.add("POST", "/api/auth/login", json={"message": "ok"})
        client = client_for(server)

        with pytest.raises(PermanentError, match="no token"):
            client.create_ticket(7, "Pedido", "texto")

    assert server.requests_to("POST", "/api/tickets") == []
