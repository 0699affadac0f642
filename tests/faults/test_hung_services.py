"""A cut or hung PostgreSQL and a hung Redis, seen by the real web process (gunicorn)."""

import time

import pytest
from django.db import connection

from conversations.models import InboundEvent
from conversations.tests.conftest import make_channel
from tests.faults.conftest import figure
from tests.faults.web import TcpProxy, Web

DEADLINE = 3  # WEBHOOK_DEADLINE_SECONDS of the web process under test


@pytest.fixture
def channel(transactional_db, company_a):
    return make_channel(company_a)


def stored(message_ids) -> set[str]:
    bodies = InboundEvent.objects.unscoped().values_list("body", flat=True)  # unscoped: the test's own rows
    return {mid for mid in message_ids for body in bodies if f'"{mid}"' in body}


def test_postgresql_cut_then_hung_is_503_within_seconds_and_recovers(postgres_only, channel, own_redis, tmp_path):
    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    web = Web(
        tmp_path / "web.log",
        redis_url=own_redis.url,
        database_port=proxy.port,
        WEBHOOK_DEADLINE_SECONDS=DEADLINE,
        DB_CONNECT_TIMEOUT=2,
    )
    answers: dict[str, list] = {}
    try:

        def burst(phase: str, n: int = 4):
            answers[phase] = [(f"{phase}-{i}", web.webhook(channel, f"{phase}-{i}")) for i in range(n)]

        burst("before")
        proxy.cut()
        burst("cut")
        proxy.hang()
        burst("hung")
        web_health = web.get("/health/", timeout=10)
        proxy.forward()
        time.sleep(0.5)
        burst("after")
    finally:
        web.stop()
        proxy.close()

    def summary(phase):
        got = answers[phase]
        return f"{phase}: {[a.status for _m, a in got]} in ≤{max(a.seconds for _m, a in got):.1f} s"

    figure(
        "\nFAULT PostgreSQL through a proxy: "
        + "; ".join(summary(phase) for phase in ("before", "cut", "hung", "after"))
        + f"; /health/ while hung: {web_health.status} in {web_health.seconds:.1f} s"
    )
    for phase in ("cut", "hung"):
        assert all(a.status == 503 for _m, a in answers[phase]), summary(phase)
        assert all(a.seconds < DEADLINE + 2.5 for _m, a in answers[phase]), summary(phase)
    assert web_health.status == 503 and web_health.seconds < 2.5
    assert all(a.status == 200 for _m, a in answers["before"] + answers["after"])
    ok = [mid for phase in answers for mid, a in answers[phase] if a.status == 200]
    assert stored(ok) == set(ok)  # no 200 without its event stored


def test_hung_redis_webhooks_answer_in_time_and_health_is_degraded(channel, own_redis, tmp_path):
    web = Web(tmp_path / "web.log", redis_url=own_redis.url, WEBHOOK_DEADLINE_SECONDS=5)
    try:
        before = web.webhook(channel, "r-0")
        own_redis.pause()  # SIGSTOP: connections are accepted by the kernel, nothing answers
        during = [web.webhook(channel, f"r-{n}") for n in range(1, 4)]
        health = web.get("/health/", timeout=10)
        own_redis.resume()
        after = web.webhook(channel, "r-9")
    finally:
        own_redis.resume()
        web.stop()
    figure(
        f"\nFAULT Redis hung (SIGSTOP): webhooks {[a.status for a in during]} in ≤{max(a.seconds for a in during):.1f} s; "
        f"/health/ {health.status} {health.body.get('status')} {health.body.get('reasons')} in {health.seconds:.1f} s"
    )
    assert before.status == after.status == 200
    assert all(a.status in (200, 503) and a.seconds < 6 for a in during)
    assert health.status == 200 and health.body["status"] == "degraded" and health.seconds < 2.5
    assert {"cache", "broker"} & set(health.body["reasons"])
    accepted = [f"r-{n}" for n, a in enumerate(during, 1) if a.status == 200] + ["r-0", "r-9"]
    assert stored(accepted) == set(accepted)  # every 200 was stored
