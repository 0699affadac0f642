"""The channel page: QR refreshing while connecting, "Testar / atualizar", the inbound URL for the
address staff use, masked credentials, the status history in pt-BR and the company's time zone."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Channel, ChannelStatusChange
from conversations.tests.conftest import make_channel
from conversations.tests.test_channels import CONNECTED, CONNECTING, reload
from integrations.testing.fake_server import FakeServer

TOKEN = "tok-abcdefghijkl-9876"


@pytest.fixture
def uazapi():
    with FakeServer() as server:
        yield server


def _uazapi_channel(company, server, **fields):
    fields.setdefault("status", Channel.Status.CONNECTING)
    return make_channel(
        company, provider="uazapi", name="uaz", base_url=server.url, credentials={"token": TOKEN}, **fields
    )


def _page(client, channel, **extra):
    return client.get(reverse("admin:conversations_channel_change", args=[channel.pk]), **extra)


def test_the_inbound_url_uses_the_address_staff_opened_the_page_on(company_a, admin_client_a, settings):
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["loja.example"]
    channel = make_channel(company_a)

    page = _page(admin_client_a, channel, SERVER_NAME="loja.example", SERVER_PORT="8443", secure=True)

    assert page.context["inbound_url"] == f"https://loja.example:8443/webhook/{channel.inbound_key}/"


def test_the_inbound_url_uses_public_base_url_when_set(company_a, admin_client_a, settings):
    settings.PUBLIC_BASE_URL = "https://balcao.example.com/"
    channel = make_channel(company_a)

    page = _page(admin_client_a, channel)

    assert page.context["inbound_url"] == f"https://balcao.example.com/webhook/{channel.inbound_key}/"


def test_credentials_are_masked_without_escape_codes(company_a, admin_client_a, uazapi):
    channel = _uazapi_channel(company_a, uazapi, status=Channel.Status.CONNECTED)

    html = _page(admin_client_a, channel).content.decode()

    assert "<code>token</code>: ••••••9876" in html
    assert TOKEN not in html and "\\u2022" not in html


def test_the_status_history_is_in_portuguese_and_the_companys_time(company_a, admin_client_a):
    channel = make_channel(company_a)
    change = ChannelStatusChange.objects.for_company(company_a).create(
        company=company_a, channel=channel, from_status="connecting", to_status="connected", reason="ready"
    )
    ChannelStatusChange.objects.for_company(company_a).filter(pk=change.pk).update(
        created_at=datetime(2025, 3, 10, 15, 5, tzinfo=UTC)
    )

    html = _page(admin_client_a, channel).content.decode()

    assert "<time>10/03/2025 12:05</time> Conectando → <strong>Conectado</strong>" in html


def test_the_qr_refreshes_from_the_provider_while_connecting(company_a, admin_client_a, uazapi):
    uazapi.add("GET", "/instance/status", json=CONNECTING, times=1)
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = _uazapi_channel(company_a, uazapi, qr_code="old-qr")
    url = reverse("admin:conversations_channel_qr", args=[channel.pk])

    first = admin_client_a.get(url).json()
    again = admin_client_a.get(url).json()  # asked a moment ago: no second call to the provider
    Channel.objects.for_company(company_a).filter(pk=channel.pk).update(
        last_seen_at=timezone.now() - timedelta(minutes=1)
    )
    connected = admin_client_a.get(url).json()
    after = admin_client_a.get(url).json()  # connected: the provider is not asked any more

    assert (first["status"], first["qr"]) == ("connecting", "data:image/png;base64,AAA")
    assert again == first
    assert (connected["status"], connected["qr"], connected["phone"]) == ("connected", "", "+5511999990000")
    assert after == connected
    assert len(uazapi.requests) == 2


def test_testar_asks_the_provider_now_and_says_what_it_answered(company_a, admin_client_a, uazapi):
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = _uazapi_channel(company_a, uazapi)

    page = admin_client_a.post(reverse("admin:conversations_channel_refresh", args=[channel.pk]), follow=True)

    assert reload(channel).status == "connected"
    assert [str(m) for m in page.context["messages"]] == ["O provedor respondeu: conectado (+5511999990000)."]


def test_a_viewer_sees_the_page_but_cannot_ask_the_provider(company_a, viewer_a, client, uazapi):
    channel = _uazapi_channel(company_a, uazapi)
    client.force_login(viewer_a)

    page = _page(client, channel)
    refused = client.post(reverse("admin:conversations_channel_refresh", args=[channel.pk]))
    qr = client.get(reverse("admin:conversations_channel_qr", args=[channel.pk]))

    assert page.status_code == 200 and "channel-refresh-button" not in page.content.decode()
    assert refused.status_code == 403
    assert qr.status_code == 200 and uazapi.requests == []


def _act(client, channel, action):
    url = reverse("admin:conversations_channel_connection", args=[channel.pk])
    return client.post(url, {"action": action}, follow=True)


def test_uazapi_connects_and_disconnects_but_offers_no_restart(company_a, admin_client_a, uazapi):
    uazapi.add("POST", "/instance/connect", json=CONNECTING)
    uazapi.add("GET", "/instance/status", json=CONNECTING)
    uazapi.add("POST", "/instance/disconnect", json={"response": "Disconnected"})
    channel = _uazapi_channel(company_a, uazapi, status=Channel.Status.DISCONNECTED)

    page = _page(admin_client_a, channel).content.decode()
    connected = _act(admin_client_a, channel, "connect")
    connecting = reload(channel)
    restart = _act(admin_client_a, channel, "restart")
    disconnected = _act(admin_client_a, channel, "disconnect")

    assert "channel-connect-button" in page and "channel-disconnect-button" in page
    assert "channel-restart-button" not in page
    assert (connecting.status, connecting.qr_code) == ("connecting", "data:image/png;base64,AAA")
    assert [str(m) for m in connected.context["messages"]] == ["Feito. O canal agora está: Conectando."]
    assert [str(m) for m in restart.context["messages"]] == ["Este provedor não faz isso."]
    assert reload(channel).status == "disconnected"
    assert [str(m) for m in disconnected.context["messages"]] == ["Feito. O canal agora está: Desconectado."]
    assert [(r.method, r.path) for r in uazapi.requests] == [
        ("POST", "/instance/connect"),
        ("GET", "/instance/status"),
        ("POST", "/instance/disconnect"),
    ]
    assert all(r.headers["token"] == TOKEN for r in uazapi.requests)
    history = ChannelStatusChange.objects.for_company(company_a).filter(channel=channel).first()
    assert history.reason == "desconectado pela equipe"


def test_evolution_restarts_and_a_refusal_is_said(company_a, admin_client_a):
    with FakeServer() as evolution:
        evolution.add("POST", "/instance/restart/loja", json={"instance": {"instanceName": "loja", "state": "open"}})
        evolution.add("GET", "/instance/connectionState/loja", json={"instance": {"state": "open"}})
        evolution.add("DELETE", "/instance/logout/loja", status=401, json={"error": "Unauthorized"})
        channel = make_channel(
            company_a, provider="evolution", base_url=evolution.url, credentials={"api_key": "k-1", "instance": "loja"}
        )

        restarted = _act(admin_client_a, channel, "restart")
        refused = _act(admin_client_a, channel, "disconnect")

    assert [str(m) for m in restarted.context["messages"]] == ["Feito. O canal agora está: Conectado."]
    assert str(list(refused.context["messages"])[0]).startswith("O provedor recusou:")
    assert reload(channel).status == "connected"
    assert evolution.requests[0].headers["apikey"] == "k-1"


def test_a_viewer_cannot_connect_or_disconnect(company_a, viewer_a, client, uazapi):
    channel = _uazapi_channel(company_a, uazapi)
    client.force_login(viewer_a)

    refused = client.post(
        reverse("admin:conversations_channel_connection", args=[channel.pk]), {"action": "disconnect"}
    )

    assert refused.status_code == 403 and uazapi.requests == []
