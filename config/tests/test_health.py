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
    assert set(body) == {"status", "database", "cache", "broker", "ingest"}


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
