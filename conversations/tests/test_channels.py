"""Channel health check and its backoff, against a fake UAZAPI `GET /instance/status`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Channel, ChannelStatusChange
from conversations.services.channels import MAX_BACKOFF_SECONDS
from conversations.tasks import channel_check_task, channels_health_task
from conversations.tests.conftest import make_channel
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope

CONNECTED = {"instance": {"status": "connected", "owner": "5511999990000", "qrcode": ""}, "status": {"connected": True}}
CONNECTING = {
    "instance": {"id": "r1", "status": "connecting", "qrcode": "data:image/png;base64,AAA", "paircode": "7K2M-4X9P"},
    "status": {"connected": False, "loggedIn": False},
}


@pytest.fixture
def uazapi():
    with FakeServer() as server:
        yield server


def uazapi_channel(company, server, status="connecting"):
    return make_channel(
        company, provider="uazapi", name="uaz", base_url=server.url, credentials={"token": "tok"}, status=status
    )


def check(channel) -> str:
    return channel_check_task.apply(
        kwargs={"company_id": channel.company_id, "channel_id": channel.pk}, throw=True
    ).result


def reload(channel) -> Channel:
    return Channel.objects.for_company(channel.company_id).get(pk=channel.pk)


def history(channel) -> list[tuple[str, str]]:
    rows = ChannelStatusChange.objects.for_company(channel.company_id).filter(channel=channel).order_by("id")
    return list(rows.values_list("from_status", "to_status"))


def seconds_until_next_check(channel) -> float:
    return (reload(channel).next_check_at - timezone.now()).total_seconds()


def test_connected_channel_gets_its_phone_and_the_regular_interval(company_a, uazapi, settings):
    settings.CHANNEL_HEALTH_INTERVAL_SECONDS = 30
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = uazapi_channel(company_a, uazapi)

    assert check(channel) == "connected"

    row = reload(channel)
    assert (row.status, row.phone, row.qr_code, row.reconnect_attempts) == ("connected", "+5511999990000", "", 0)
    assert row.last_seen_at is not None
    assert 28 < seconds_until_next_check(channel) <= 30
    assert history(channel) == [("connecting", "connected")]
    assert uazapi.requests[0].headers["token"] == "tok"


def test_still_connected_writes_no_history(company_a, uazapi):
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = uazapi_channel(company_a, uazapi, status="connected")

    check(channel)
    check(channel)

    assert history(channel) == []
    assert reload(channel).reconnect_attempts == 0


def test_failing_provider_disconnects_and_backs_off_exponentially(company_a, uazapi, settings):
    settings.CHANNEL_HEALTH_INTERVAL_SECONDS = 30
    uazapi.add("GET", "/instance/status", status=503, json={"error": "down"})
    channel = uazapi_channel(company_a, uazapi, status="connected")

    delays = []
    for _ in range(3):
        assert check(channel) == "disconnected"
        delays.append(round(seconds_until_next_check(channel) / 10) * 10)

    row = reload(channel)
    assert (row.status, row.reconnect_attempts) == ("disconnected", 3)
    assert delays == [60, 120, 240]
    assert history(channel) == [("connected", "disconnected")]
    reason = ChannelStatusChange.objects.for_company(company_a).get().reason
    assert reason.startswith("health check:") and "503" in reason
    assert len(uazapi.requests) == 3


def test_backoff_is_capped_at_one_hour(company_a, uazapi, settings):
    settings.CHANNEL_HEALTH_INTERVAL_SECONDS = 30
    uazapi.add("GET", "/instance/status", status=500, json={})
    channel = uazapi_channel(company_a, uazapi, status="disconnected")
    Channel.objects.for_company(company_a).filter(pk=channel.pk).update(reconnect_attempts=20)

    check(channel)

    assert reload(channel).reconnect_attempts == 21
    assert MAX_BACKOFF_SECONDS - 2 < seconds_until_next_check(channel) <= MAX_BACKOFF_SECONDS


def test_recovery_resets_the_backoff(company_a, uazapi):
    uazapi.add("GET", "/instance/status", status=500, json={}, times=2)
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = uazapi_channel(company_a, uazapi, status="connected")

    assert [check(channel) for _ in range(3)] == ["disconnected", "disconnected", "connected"]

    row = reload(channel)
    assert (row.status, row.reconnect_attempts, row.phone) == ("connected", 0, "+5511999990000")
    assert history(channel) == [("connected", "disconnected"), ("disconnected", "connected")]


def test_qr_is_captured_while_connecting_and_cleared_once_connected(company_a, uazapi):
    uazapi.add("GET", "/instance/status", json=CONNECTING, times=1)
    uazapi.add("GET", "/instance/status", json=CONNECTED)
    channel = uazapi_channel(company_a, uazapi, status="disconnected")

    assert check(channel) == "connecting"
    connecting = reload(channel)
    assert check(channel) == "connected"

    assert (connecting.qr_code, connecting.reconnect_attempts) == ("data:image/png;base64,AAA", 1)
    assert reload(channel).qr_code == ""
    assert history(channel) == [("disconnected", "connecting"), ("connecting", "connected")]


def test_health_sweep_enqueues_due_channels_once_and_skips_the_rest(company_a, company_b, uazapi, enqueued):
    due_never_checked = make_channel(company_a, name="nunca")
    due_late = make_channel(company_a, name="atrasado", next_check_at=timezone.now() - timedelta(seconds=5))
    make_channel(company_a, name="em-dia", next_check_at=timezone.now() + timedelta(minutes=5))
    inactive = make_channel(company_b, name="inativa")
    company_b.active = False
    company_b.save(update_fields=["active"])

    first = channels_health_task.apply().result
    second = channels_health_task.apply().result

    assert (first, second) == (2, 0)
    assert sorted(kwargs["channel_id"] for kwargs in enqueued.of("channel_check_task")) == sorted(
        [due_never_checked.pk, due_late.pk]
    )
    assert inactive.pk not in [kwargs["channel_id"] for kwargs in enqueued.of("channel_check_task")]
    with company_scope(company_a):
        assert Channel.objects.filter(next_check_at__isnull=True).count() == 0
