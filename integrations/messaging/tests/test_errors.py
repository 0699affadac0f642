"""Every HTTP-speaking provider maps failures the same way: 5xx/timeout retry, 4xx give up."""

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.messaging.base import ProviderCredentials
from integrations.messaging.registry import get_provider
from integrations.testing.fake_server import FakeServer

# provider, credentials (base_url filled in per test), path of send_text, path of fetch_status
CASES = [
    ("gosac", {"token": "a", "integration": "b"}, "/send-message", None),
    ("uazapi", {"token": "t"}, "/send/text", "/instance/status"),
    ("evolution", {"instance": "loja", "api_key": "k"}, "/message/sendText/loja", "/instance/connectionState/loja"),
    (
        "meta_cloud",
        {"phone_number_id": "42", "token": "t", "app_secret": "s", "verify_token": "v"},
        "/v23.0/42/messages",
        "/v23.0/42",
    ),
]
IDS = [case[0] for case in CASES]


def creds(server, values) -> ProviderCredentials:
    return ProviderCredentials(base_url=server.url, **values)


@pytest.mark.parametrize(("name", "values", "send_path", "status_path"), CASES, ids=IDS)
def test_server_error_is_retryable(name, values, send_path, status_path):
    with FakeServer() as server:
        server.add("POST", send_path, status=500, json={"error": "internal"})
        with pytest.raises(RetryableError):
            get_provider(name).send_text(creds(server, values), "5511987654321", "oi")
    assert len(server.requests) == 1


@pytest.mark.parametrize(("name", "values", "send_path", "status_path"), CASES, ids=IDS)
def test_client_error_is_permanent(name, values, send_path, status_path):
    with FakeServer() as server:
        server.add("POST", send_path, status=400, json={"error": {"message": "(#100) Invalid parameter"}})
        with pytest.raises(PermanentError) as caught:
            get_provider(name).send_text(creds(server, values), "5511987654321", "oi")
    assert caught.value.status == 400


@pytest.mark.parametrize(("name", "values", "send_path", "status_path"), CASES, ids=IDS)
def test_timeout_is_retryable(name, values, send_path, status_path, settings):
    settings.PROVIDER_TIMEOUT = 0.2
    with FakeServer() as server:
        server.add("POST", send_path, json={}, delay=0.6)
        with pytest.raises(RetryableError):
            get_provider(name).send_text(creds(server, values), "5511987654321", "oi")


@pytest.mark.parametrize(("name", "values", "send_path", "status_path"), CASES, ids=IDS)
def test_non_json_answer_is_permanent(name, values, send_path, status_path):
    with FakeServer() as server:
        server.add("POST", send_path, body=b"<html>proxy</html>", headers={"Content-Type": "text/html"})
        with pytest.raises(PermanentError):
            get_provider(name).send_text(creds(server, values), "5511987654321", "oi")


@pytest.mark.parametrize(("name", "values", "send_path", "status_path"), CASES[1:], ids=IDS[1:])
def test_fetch_status_errors(name, values, send_path, status_path, settings):
    settings.PROVIDER_TIMEOUT = 0.2
    with FakeServer() as server:
        server.add("GET", status_path, status=503, times=1)
        server.add("GET", status_path, status=401, times=1)
        server.add("GET", status_path, json={}, delay=0.6)
        provider = get_provider(name)
        with pytest.raises(RetryableError):
            provider.fetch_status(creds(server, values))
        with pytest.raises(PermanentError):
            provider.fetch_status(creds(server, values))
        with pytest.raises(RetryableError):
            provider.fetch_status(creds(server, values))


def test_unreachable_provider_is_retryable():
    with FakeServer() as server:
        url = server.url
    # the server is closed now: connection refused
    with pytest.raises(RetryableError):
        get_provider("uazapi").send_text(ProviderCredentials(base_url=url, token="t"), "1", "x")
