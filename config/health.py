"""`GET /health/`: database, cache and broker status as JSON; 503 when the database is down."""

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery_app import app as celery_app
from conversations.selectors import INGEST_LAG_WARN_SECONDS, failed_event_count, ingest_lag_seconds

BROKER_TIMEOUT_SECONDS = 2


def _check(probe) -> dict:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - a health probe reports any failure, it must not raise
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


def _broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def _ingest() -> dict:
    """Webhook ingest lag: "answered 200 but nothing happened" shows here (conversations.selectors)."""
    try:
        lag = ingest_lag_seconds()
        failed = failed_event_count()
    except Exception as exc:  # noqa: BLE001 - a health probe reports any failure, it must not raise
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": lag < INGEST_LAG_WARN_SECONDS, "lag_seconds": round(lag, 1), "failed_events": failed}


@never_cache
@require_GET
def health(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker), "ingest": _ingest()}
    status = "ok" if all(c["ok"] for c in checks.values()) else ("down" if not checks["database"]["ok"] else "degraded")
    return JsonResponse({"status": status, **checks}, status=503 if status == "down" else 200)
