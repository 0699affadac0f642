"""deploy/probe.py: the container health checks and the wait for PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from deploy import probe
from integrations.testing.fake_server import FakeServer


@pytest.mark.parametrize(
    "allowed, expected",
    [
        (["balcao.example.com", "www.example.com"], "balcao.example.com"),
        ([".example.com"], "example.com"),
        (["*"], "localhost"),
        ([], "localhost"),
    ],
)
def test_health_host_is_one_django_accepts(allowed, expected):
    assert probe.health_host(allowed) == expected


def test_web_is_healthy_on_200_and_sends_the_allowed_host():
    with FakeServer() as server:
        server.add("GET", "/health/", json={"status": "degraded"})

        problem = probe.check_web(f"{server.url}/health/", host="balcao.example.com", timeout=2)

        assert problem is None
        assert server.requests[0].headers["Host"] == "balcao.example.com"


def test_web_is_unhealthy_when_the_database_is_down():
    with FakeServer() as server:
        server.add("GET", "/health/", status=503, json={"status": "down"})

        problem = probe.check_web(f"{server.url}/health/", host="localhost", timeout=2)

    assert problem == f"GET {server.url.split('//')[1]}: HTTP 503"


def test_web_is_unhealthy_when_redirected():
    with FakeServer() as server:
        server.add("GET", "/health/", status=301, headers={"Location": "https://balcao.example.com/health/"})

        problem = probe.check_web(f"{server.url}/health/", host="localhost", timeout=2)

    assert problem == f"GET {server.url}/health/: HTTP 301"


def test_web_is_unhealthy_when_nothing_listens():
    with FakeServer() as server:
        url = f"{server.url}/health/"

    problem = probe.check_web(url, host="localhost", timeout=2)

    assert problem == f"GET {url.split('//')[1].split('/')[0]}: ConnectionError"


def test_beat_freshness_window():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    assert probe.beat_is_fresh(None, now=now, max_silence_seconds=600)
    assert probe.beat_is_fresh(now - timedelta(seconds=600), now=now, max_silence_seconds=600)
    assert not probe.beat_is_fresh(now - timedelta(seconds=601), now=now, max_silence_seconds=600)


def periodic_task(name: str, last_run_at, enabled: bool = True) -> PeriodicTask:
    every, _ = IntervalSchedule.objects.get_or_create(every=30, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(
        name=name,
        task="tenants.tasks.sessions_clear_expired_task",
        interval=every,
        last_run_at=last_run_at,
        enabled=enabled,
    )


@pytest.mark.django_db
def test_beat_is_healthy_when_an_enabled_task_ran_recently():
    periodic_task("probe-old", timezone.now() - timedelta(hours=2))
    periodic_task("probe-recent", timezone.now() - timedelta(seconds=90))

    assert probe.check_beat(max_silence_seconds=600) is None


@pytest.mark.django_db
def test_beat_is_unhealthy_when_nothing_enabled_ran_lately():
    stale = timezone.now() - timedelta(hours=2)
    periodic_task("probe-stale", stale)
    periodic_task("probe-paused", timezone.now(), enabled=False)

    problem = probe.check_beat(max_silence_seconds=600)

    assert problem == f"celery beat has recorded no run since {stale.isoformat()}"


def test_wait_for_database_retries_until_postgres_answers():
    attempts = []

    class Connection:
        def close(self):
            attempts.append("closed")

    def connect(url, connect_timeout):
        attempts.append((url, connect_timeout))
        if len(attempts) < 3:
            raise OSError("connection refused")
        return Connection()

    problem = probe.wait_for_database(
        "postgres://balcao:pw@postgres:5432/balcao", timeout_seconds=30, connect=connect, sleep=lambda s: None
    )

    assert problem is None
    assert attempts == [("postgres://balcao:pw@postgres:5432/balcao", 3)] * 3 + ["closed"]


def test_wait_for_database_gives_up_after_the_timeout():
    def connect(url, connect_timeout):
        raise OSError("connection refused")

    problem = probe.wait_for_database(
        "postgresql://db/balcao", timeout_seconds=0, connect=connect, sleep=lambda s: None
    )

    assert problem == "PostgreSQL not reachable after 0s: OSError"


@pytest.mark.parametrize("url", [None, "", "sqlite:///var/balcao.sqlite3"])
def test_wait_for_database_has_nothing_to_wait_for_without_postgres(url):
    def connect(url, connect_timeout):
        raise AssertionError("must not connect")

    assert probe.wait_for_database(url, connect=connect) is None


def test_main_rejects_an_unknown_probe(capsys):
    with pytest.raises(SystemExit) as exit_info:
        probe.main(["worker"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'worker'" in capsys.readouterr().err
