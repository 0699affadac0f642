"""No company-supplied URL reaches inside: every client, every redirect hop, every DNS answer.

"Inside" is an InsideListener on 127.0.0.1 that records any connection. Private addresses are
refused (ALLOW_PRIVATE_PROVIDER_URLS off); a "public" provider is a fake server on 127.0.0.2, let
through by OUTBOUND_ALLOWED_NETWORKS=127.0.0.2/32, reached by name through a scripted resolver.
Fixtures `private_networks_refused`, `inside` and `resolver` are in the root conftest.
"""

import datetime
import ipaddress
import ssl

import pymysql
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.core.exceptions import ValidationError

from integrations import http, llm, mercadopago, tiny
from integrations.destinations import DestinationNotAllowed, address_allowed, validate_public_url
from integrations.errors import PermanentError, RetryableError
from integrations.google_sheets import export_rows, sheets_credentials
from integrations.messaging import get_provider
from integrations.messaging.base import ProviderCredentials
from integrations.pontta import PonttaClient, PonttaCredentials
from integrations.testing.fake_server import FakeServer
from integrations.testing.network import PUBLIC_STAND_IN, InsideListener
from integrations.tests.test_google_sheets import SERVICE_ACCOUNT, SHEET_ID
from integrations.wordpress.connection import SSHTunnelConfig, WordPressSource, open_connection, test_connection

PUBLIC = PUBLIC_STAND_IN

pytestmark = pytest.mark.usefixtures("private_networks_refused")


def inside_url(inside, path="") -> str:
    return f"http://127.0.0.1:{inside.port}{path}"


# --- The rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.10", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "::", "224.0.0.1", "240.0.0.1", "fd00::1", "fe80::1", "::ffff:127.0.0.1",
        "2002:7f00:1::", "64:ff9b::a00:5",
    ],
)  # fmt: skip
def test_private_local_and_special_addresses_are_refused(address):
    assert address_allowed(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", PUBLIC])
def test_public_addresses_and_listed_networks_are_allowed(address):
    assert address_allowed(ipaddress.ip_address(address)) is True


def test_the_private_switch_opens_private_ranges_but_never_metadata_or_unspecified(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True

    allowed = {a: address_allowed(ipaddress.ip_address(a)) for a in ("10.0.0.5", "127.0.0.1", "fd00::1", "100.64.0.1")}
    refused = {a: address_allowed(ipaddress.ip_address(a)) for a in ("169.254.169.254", "0.0.0.0", "224.0.0.1")}

    assert all(allowed.values()) and not any(refused.values())


def test_an_operator_can_list_exactly_the_network_it_needs(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.8.0.0/24", "169.254.169.254/32"]

    assert address_allowed(ipaddress.ip_address("10.8.0.7")) is True
    assert address_allowed(ipaddress.ip_address("169.254.169.254")) is True
    assert address_allowed(ipaddress.ip_address("10.8.1.7")) is False


def test_a_name_with_one_private_answer_among_public_ones_is_refused(resolver):
    resolver.answers["mixed.test"] = [[PUBLIC, "127.0.0.1"]]

    with pytest.raises(ValidationError):
        validate_public_url("https://mixed.test/api")


def test_the_listener_does_record_a_connection_that_gets_through(settings, inside):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True

    response = http.request("GET", inside_url(inside, "/"))

    assert response.text == "inside"
    assert len(inside.connections) == 1


# --- Every client that carries a company-supplied URL ---------------------------------------------


def _messaging(provider, base_url):
    credentials = ProviderCredentials.from_mapping(
        {"base_url": base_url, "token": "t0k3n", "api_key": "k3y", "integration": "i", "instance": "loja",
         "phone_number_id": "1", "app_secret": "s", "verify_token": "v"}
    )  # fmt: skip
    return lambda: get_provider(provider).send_text(credentials, "5511987654321", "oi")


CLIENTS = {
    "uazapi credentials base_url": lambda url: _messaging("uazapi", url),
    "evolution credentials base_url": lambda url: _messaging("evolution", url),
    "gosac credentials base_url": lambda url: _messaging("gosac", url),
    "meta_cloud credentials base_url": lambda url: _messaging("meta_cloud", url),
    "tiny": lambda url: lambda: tiny.find_order_id(tiny.TinyCredentials(token="t", base_url=url), "BALCAO-1"),
    "pontta": lambda url: lambda: PonttaClient(
        PonttaCredentials(base_url=url, email="a@b.c", password="p", business_unit="1"), cache=cache, company_key="1"
    ).list_tickets(),
    "google token_uri": lambda url: lambda: export_rows(
        sheets_credentials({**SERVICE_ACCOUNT, "token_uri": f"{url}/token"}), SHEET_ID, ["A"], [["1"]]
    ),
    "llm": lambda url: lambda: llm.chat_completion(llm.LlmCredentials(api_key="k", base_url=url), []),
    "mercado pago": lambda url: lambda: mercadopago.get_payment(
        mercadopago.MercadoPagoCredentials(access_token="t", base_url=url), "123"
    ),
}


@pytest.mark.parametrize("client", CLIENTS.values(), ids=CLIENTS.keys())
def test_every_client_refuses_an_inside_url_and_the_listener_hears_nothing(inside, client):
    call = client(inside_url(inside))

    with pytest.raises(DestinationNotAllowed, match="private or local"):
        call()

    assert inside.connections == []


@pytest.mark.parametrize("client", CLIENTS.values(), ids=CLIENTS.keys())
def test_every_client_refuses_a_name_that_resolves_inside(inside, resolver, client):
    resolver.answers["api.provider.test"] = [["127.0.0.1"]]
    call = client(f"http://api.provider.test:{inside.port}")

    with pytest.raises(DestinationNotAllowed):
        call()

    assert inside.connections == []


# --- Redirects --------------------------------------------------------------------------------------


def test_a_public_hop_redirecting_inside_is_refused(inside, resolver):
    resolver.answers["cdn.provider.test"] = [[PUBLIC]]
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/media/1", status=302, headers={"Location": inside_url(inside, "/latest/meta-data")})

        with pytest.raises(DestinationNotAllowed):
            http.request("GET", f"http://cdn.provider.test:{public.url.rsplit(':', 1)[1]}/media/1")

    assert [r.path for r in public.requests] == ["/media/1"]
    assert inside.connections == []


def test_a_redirect_to_a_name_that_resolves_inside_is_refused(inside, resolver):
    resolver.answers["internal.test"] = [["127.0.0.1"]]
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/status", status=301, headers={"Location": f"http://internal.test:{inside.port}/admin"})

        with pytest.raises(DestinationNotAllowed):
            http.request("GET", f"{public.url}/status")

    assert inside.connections == []


def test_redirect_hops_are_capped(settings):
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/loop", status=302, headers={"Location": "/loop"})

        with pytest.raises(PermanentError, match="TooManyRedirects"):
            http.request("GET", f"{public.url}/loop")

    assert len(public.requests) == http.MAX_REDIRECTS + 1


SECRETS = {"Authorization": "Bearer s3cr3t", "apikey": "k3y", "token": "t0k3n", "Cookie": "session=abc"}


def test_credentials_follow_a_redirect_on_the_same_origin_only(resolver):
    resolver.answers["api.provider.test"] = [[PUBLIC]]
    resolver.answers["cdn.other.test"] = [[PUBLIC]]
    with FakeServer(host=PUBLIC) as public:
        port = public.url.rsplit(":", 1)[1]
        public.add("GET", "/a", status=302, headers={"Location": "/b"})
        public.add("GET", "/b", status=302, headers={"Location": f"http://cdn.other.test:{port}/c"})
        public.add("GET", "/c", body=b"file")

        response = http.request("GET", f"http://api.provider.test:{port}/a", headers={**SECRETS, "Accept": "*/*"})

    assert response.content == b"file"
    first, same_origin, other_origin = public.requests
    assert {name: same_origin.headers.get(name) for name in SECRETS} == SECRETS
    assert [name for name in SECRETS if name in other_origin.headers] == []
    assert other_origin.headers["Host"] == f"cdn.other.test:{port}"
    assert other_origin.headers["Accept"] == "*/*"


def test_a_body_is_never_resent_to_another_origin(resolver):
    resolver.answers["elsewhere.test"] = [[PUBLIC]]
    with FakeServer(host=PUBLIC) as public, FakeServer(host=PUBLIC) as elsewhere:
        port = elsewhere.url.rsplit(":", 1)[1]
        public.add("POST", "/pedido.incluir.php", status=307, headers={"Location": f"http://elsewhere.test:{port}/"})

        with pytest.raises(PermanentError, match="re-send the request body"):
            http.request("POST", f"{public.url}/pedido.incluir.php", data={"token": "tiny-token"})

    assert elsewhere.requests == []


def test_a_post_redirected_with_303_becomes_a_get_without_the_body():
    with FakeServer(host=PUBLIC) as public:
        public.add("POST", "/pay", status=303, headers={"Location": "/status"})
        public.add("GET", "/status", json={"ok": True})

        http.request("POST", f"{public.url}/pay", json={"amount": 1})

    assert [(r.method, r.path, r.body) for r in public.requests] == [
        ("POST", "/pay", b'{"amount": 1}'),
        ("GET", "/status", b""),
    ]


# --- DNS: one lookup, and the connection goes to what it answered ----------------------------------


def test_dns_rebinding_never_reaches_inside(resolver):
    """First answer public (the check passes), every later one 127.0.0.1: a client that looked the
    name up again to connect would land on the listener, which sits on the same port."""
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/instance/status", json={"status": "connected"})
        port = int(public.url.rsplit(":", 1)[1])
        with InsideListener(port=port) as inside:
            resolver.answers["rebind.test"] = [[PUBLIC], ["127.0.0.1"]]

            response = http.request("GET", f"http://rebind.test:{port}/instance/status")

    assert response.json() == {"status": "connected"}
    assert resolver.lookups["rebind.test"] == 1
    assert inside.connections == []
    assert public.requests[0].headers["Host"] == f"rebind.test:{port}"


def test_dns_rebinding_on_a_later_request_is_checked_again(resolver):
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/a", json={})
        port = int(public.url.rsplit(":", 1)[1])
        with InsideListener(port=port) as inside:
            resolver.answers["rebind.test"] = [[PUBLIC], ["127.0.0.1"]]
            session = http.new_session()
            http.request("GET", f"http://rebind.test:{port}/a", session=session)

            with pytest.raises(DestinationNotAllowed):
                http.request("GET", f"http://rebind.test:{port}/a", session=session)

    assert inside.connections == []


def test_the_next_checked_address_is_tried_when_the_first_refuses_the_connection(settings, resolver):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/31"]  # 127.0.0.2 and 127.0.0.3
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/", json={"ok": True})
        resolver.answers["two.test"] = [["127.0.0.3", PUBLIC]]  # nothing listens on 127.0.0.3

        response = http.request("GET", f"http://two.test:{public.url.rsplit(':', 1)[1]}/")

    assert response.json() == {"ok": True}
    assert resolver.lookups["two.test"] == 1


def test_an_unresolvable_host_is_retryable(resolver):
    with pytest.raises(RetryableError):
        http.request("GET", "http://no-such-host.invalid/")


# --- TLS keeps the host name while connecting to the pinned address ---------------------------------


def _certificate(name: str, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _certificate("secure.test", tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    with FakeServer(host=PUBLIC) as server:
        server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
        server.add("GET", "/v1/payments/1", json={"id": 1})
        server.port, server.ca, server.server_names = int(server.url.rsplit(":", 1)[1]), cert, server_names
        yield server


def test_tls_names_and_verifies_the_host_while_connecting_to_the_checked_address(resolver, tls_server):
    resolver.answers["secure.test"] = [[PUBLIC]]

    response = http.request("GET", f"https://secure.test:{tls_server.port}/v1/payments/1", verify=tls_server.ca)

    assert response.json() == {"id": 1}
    assert tls_server.server_names == ["secure.test"]
    assert tls_server.requests[0].headers["Host"] == f"secure.test:{tls_server.port}"


def test_tls_refuses_a_certificate_for_another_name(resolver, tls_server):
    resolver.answers["impostor.test"] = [[PUBLIC]]

    with pytest.raises(RetryableError, match="SSLError"):
        http.request("GET", f"https://impostor.test:{tls_server.port}/v1/payments/1", verify=tls_server.ca)

    assert tls_server.requests == []


# --- The WordPress database and its SSH gateway -----------------------------------------------------


@pytest.mark.parametrize("through_ssh", [False, True], ids=["database", "ssh gateway"])
def test_wordpress_host_inside_is_refused_and_never_contacted(inside, through_ssh):
    if through_ssh:  # behind SSH the database host is the gateway's own business: the gateway is checked
        ssh = SSHTunnelConfig(host="127.0.0.1", port=inside.port, user="deploy", password="x")
        source = WordPressSource(host="127.0.0.1", database="shop", user="u", ssh=ssh)
    else:
        source = WordPressSource(host="127.0.0.1", port=inside.port, database="shop", user="u", password="p")

    with pytest.raises(DestinationNotAllowed):
        with open_connection(source):
            pass
    check = test_connection(source)

    assert (check.ok, check.stage) == (False, "blocked")
    assert inside.connections == []


def test_wordpress_connects_to_the_address_it_checked(resolver, monkeypatch):
    resolver.answers["db.shop.test"] = [[PUBLIC], ["127.0.0.1"]]
    connected_to = []

    def fake_connect(**kwargs):
        connected_to.append(kwargs["host"])
        raise pymysql.err.OperationalError(2003, "stop here")

    monkeypatch.setattr(pymysql, "connect", fake_connect)

    with pytest.raises(RetryableError):
        with open_connection(WordPressSource(host="db.shop.test", database="shop", user="u")):
            pass

    assert connected_to == [PUBLIC]
    assert resolver.lookups["db.shop.test"] == 1
