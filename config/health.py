"""`GET /health/`: database, cache, broker, ingest and outbound status as JSON, within about 2 s always.

503 ("down") when the database does not answer; 200 "degraded" with `reasons` when the cache or the
broker is broken, the ingest lags, or too many outbound messages failed (last hour) or are stuck.
The database probe runs under a deadline (config.deadline); the cache and broker probes run in
threads of their own, each bounded by its socket timeouts, and are given up on after
HEALTH_TIMEOUT_SECONDS, so a hung Redis makes the answer "degraded", never a hang.
"""

import threading
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery_app import app as celery_app
from config.deadline import DeadlineExceeded, deadline, drop_database_connections
from conversations.selectors import (
    INGEST_LAG_WARN_SECONDS,
    failed_event_count,
    ingest_lag_seconds,
    outbound_trouble_counts,
)

BROKER_TIMEOUT_SECONDS = 1


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
        conn.default_channel  # noqa: B018 - opening a channel talks to the server (a hung one times out)


def _in_threads(probes: dict, timeout: float) -> dict:
    """Run each probe in its own daemon thread; a probe still running after `timeout` is "timeout"."""
    results = {name: {"ok": False, "error": "timeout"} for name in probes}

    def run(name, probe):
        results[name] = _check(probe)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in probes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)  # they run together: the total wait is about `timeout`
    return dict(results)


def _pipeline() -> tuple[dict, dict]:
    """Ingest lag (webhooks answered but not applied) and outbound trouble (conversations.selectors)."""
    lag = ingest_lag_seconds()
    ingest = {"ok": lag < INGEST_LAG_WARN_SECONDS, "lag_seconds": round(lag, 1), "failed_events": failed_event_count()}
    failed, stuck = outbound_trouble_counts()
    outbound = {
        "ok": failed <= settings.HEALTH_OUTBOUND_FAILED_MAX and stuck <= settings.HEALTH_OUTBOUND_STUCK_MAX,
        "failed_last_hour": failed,
        "stuck": stuck,
    }
    return ingest, outbound


@never_cache
@require_GET
def health(request):
    budget = settings.HEALTH_TIMEOUT_SECONDS
    results: dict = {}
    waiting = threading.Thread(target=lambda: results.update(_in_threads({"cache": _cache, "broker": _broker}, budget)))
    waiting.start()
    checks = {"database": {"ok": False, "error": "timeout"}}
    ingest = outbound = {"ok": False, "error": "skipped"}
    try:
        with deadline(budget):
            checks["database"] = _check(_database)
            if checks["database"]["ok"]:
                ingest, outbound = _pipeline()
    except DeadlineExceeded:
        drop_database_connections()
    except Exception as exc:  # noqa: BLE001 - a health probe reports any failure, it must not raise
        ingest = outbound = {"ok": False, "error": exc.__class__.__name__}
    waiting.join(budget + 0.2)
    checks["cache"] = results.get("cache", {"ok": False, "error": "timeout"})
    checks["broker"] = results.get("broker", {"ok": False, "error": "timeout"})
    checks["ingest"], checks["outbound"] = ingest, outbound
    reasons = [name for name, check in checks.items() if not check["ok"]]
    status = "ok" if not reasons else ("down" if not checks["database"]["ok"] else "degraded")
    body = {"status": status, **checks}
    if reasons:
        body["reasons"] = reasons
    return JsonResponse(body, status=503 if status == "down" else 200)
