"""Live progress of a running import, kept in the cache (Redis in production) so any process can read it.

Progress is a convenience: when the cache is down it is simply missing (reads give {}, writes are
dropped, each logged) and the import goes on; the ImportRun's summary in the database is what counts.
"""

import structlog
from django.core.cache import cache

logger = structlog.get_logger(__name__)

PROGRESS_TTL_SECONDS = 24 * 60 * 60


def _key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def progress_get(run_id: int) -> dict:
    """{kind: {"done": n, "total": n}} for the run, empty when unknown or the cache is down."""
    try:
        return cache.get(_key(run_id)) or {}
    except Exception:  # noqa: BLE001 - any cache outage: no live progress, never a failed page or import
        logger.warning("import_progress_unavailable", run=run_id, exc_info=True)
        return {}


def progress_set(run_id: int, kind: str, *, done: int, total: int) -> None:
    # Only the run's own worker writes its key, so read-modify-write is safe here.
    current = progress_get(run_id)
    current[kind] = {"done": done, "total": total}
    try:
        cache.set(_key(run_id), current, PROGRESS_TTL_SECONDS)
    except Exception:  # noqa: BLE001 - any cache outage: the progress is lost, the import goes on
        logger.warning("import_progress_unavailable", run=run_id, exc_info=True)


def progress_percent(run_id: int) -> int:
    parts = progress_get(run_id).values()
    total = sum(p["total"] for p in parts)
    return 100 if not total else min(100, round(100 * sum(p["done"] for p in parts) / total))
