"""Live progress of a running job (an import, a privacy request), kept in the cache (Redis in
production) so any process can read it. Each kind of job has its own `namespace` of keys.

Progress is a convenience: when the cache is down it is simply missing (reads give {}, writes are
dropped, each logged) and the job goes on; the job's row in the database is what counts.
"""

from dataclasses import dataclass

from django.core.cache import cache

from config.cache import cache_or

PROGRESS_TTL_SECONDS = 24 * 60 * 60
IMPORTS = "import"


def _key(run_id: int, namespace: str) -> str:
    return f"{namespace}-progress:{run_id}"


def progress_get(run_id: int, *, namespace: str = IMPORTS) -> dict:
    """{kind: {"done": n, "total": n}} for the run, empty when unknown or the cache is down."""
    return (
        cache_or({}, lambda: cache.get(_key(run_id, namespace)), event="import_progress_unavailable", run=run_id) or {}
    )


def progress_set(run_id: int, kind: str, *, done: int, total: int, namespace: str = IMPORTS) -> None:
    # Only the run's own worker writes its key, so read-modify-write is safe here.
    current = progress_get(run_id, namespace=namespace)
    current[kind] = {"done": done, "total": total}
    cache_or(
        None,
        lambda: cache.set(_key(run_id, namespace), current, PROGRESS_TTL_SECONDS),
        event="import_progress_unavailable",
        run=run_id,
    )


def progress_percent(run_id: int, *, namespace: str = IMPORTS) -> int:
    """Rows done of the rows counted so far, in % (0 while nothing is counted yet)."""
    return _percent(progress_get(run_id, namespace=namespace))


def _percent(progress: dict) -> int:
    total = sum(part["total"] for part in progress.values())
    return 0 if not total else min(100, round(100 * sum(part["done"] for part in progress.values()) / total))


@dataclass(frozen=True)
class RunProgress:
    """What an import run's progress bar shows: queued, running (the real %), done, or failed with the reason."""

    status: str  # ImportRun.Status value
    label: str
    percent: int | None  # None: not started (queued), or running with its rows not counted yet
    counts: dict
    reason: str = ""


def run_progress(run) -> RunProgress:
    counts = progress_get(run.pk) if run.status != "queued" else {}
    percent = None
    if run.status == "succeeded":
        percent = 100
    elif run.status == "running" and any(part["total"] for part in counts.values()):
        percent = _percent(counts)
    return RunProgress(
        run.status, run.get_status_display(), percent, counts, run.error if run.status == "failed" else ""
    )
