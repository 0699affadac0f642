import json
import os
import subprocess
import sys

from django.conf import settings


def test_health_reports_each_service(client, db):
    response = client.get("/health/")

    body = response.json()
    assert response.status_code == 200
    assert body["database"] == {"ok": True}
    assert body["cache"] == {"ok": True}
    assert body["ingest"] == {"ok": True, "lag_seconds": 0.0, "failed_events": 0}
    assert body["outbound"] == {"ok": True, "failed_last_hour": 0, "stuck": 0}
    assert set(body) == {"status", "database", "cache", "broker", "ingest", "outbound"}


def test_health_is_503_when_the_database_is_down(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DIRECT_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
        BALCAO_VAR_DIR=str(tmp_path),
        LOG_LEVEL="CRITICAL",
    )
    probe = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='127.0.0.1').get('/health/'); print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )

    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    assert outcome["body"]["status"] == "down"
    assert outcome["body"]["database"]["ok"] is False


def test_failed_and_stuck_outbound_messages_make_it_degraded(client, company_a, settings):
    from datetime import timedelta

    from django.utils import timezone

    from conversations.tests.factories import ConversationFactory, MessageFactory

    settings.HEALTH_OUTBOUND_FAILED_MAX = 2
    settings.HEALTH_OUTBOUND_STUCK_MAX = 0
    conversation = ConversationFactory(company=company_a)
    now = timezone.now()
    for _ in range(3):
        MessageFactory(conversation=conversation, direction="out", status="failed", failed_at=now)
    MessageFactory(conversation=conversation, direction="out", status="failed", failed_at=now - timedelta(hours=2))
    MessageFactory(
        conversation=conversation, direction="out", status="sending", attempt_started_at=now - timedelta(minutes=10)
    )
    MessageFactory(conversation=conversation, direction="out", status="queued", send_after=now)  # due now: fine

    body = client.get("/health/").json()

    assert body["status"] == "degraded"
    assert body["outbound"] == {"ok": False, "failed_last_hour": 3, "stuck": 1}
    assert body["reasons"] == ["outbound"]


def test_a_hung_cache_makes_it_degraded_within_two_seconds(client, db, settings):
    import socket
    import time

    from django.core.cache import caches

    # A listener that accepts and never answers: what a SIGSTOPped Redis looks like to a client.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},  # slower than the health budget
        }
    }
    try:
        caches._settings = None
        started = time.monotonic()
        response = client.get("/health/")
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    body = response.json()
    print(f"hung cache: /health/ answered {response.status_code} {body['status']} in {elapsed:.2f} s")
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["cache"] == {"ok": False, "error": "timeout"}
    assert elapsed < 2.0
