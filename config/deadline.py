"""Fail fast when a service hangs: a wall-clock deadline for a block, and a 503 instead of a hung request.

A hung PostgreSQL (or a proxy in front of it that stops forwarding) leaves the client blocked in a
socket read that no server-side timeout can end: `statement_timeout` needs a live server, and
`connect_timeout` only covers connecting. `deadline(seconds)` arms a real-time timer (SIGALRM) that
raises `DeadlineExceeded` inside the blocked call; psycopg's waits are interruptible, so the request
gets control back and answers 503 (the provider retries the webhook later) instead of holding a
web worker until gunicorn kills it.

Signals reach only the main thread: off it (a threaded server, a test's live server) `deadline()`
does nothing, and the request falls back on the socket timeouts. gunicorn's sync workers serve each
request on their main thread.

`FastFailMiddleware` puts the webhooks (settings.FAST_FAIL_PATHS) under WEBHOOK_DEADLINE_SECONDS
and turns a database that cannot be reached into a 503 with Retry-After on every path.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import JsonResponse

logger = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 5


class DeadlineExceeded(Exception):
    """The block ran past its deadline (a service did not answer)."""


def _can_use_signals() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class Timer:
    fired = False  # the deadline passed (even if the code it interrupted caught the exception)


@contextmanager
def deadline(seconds: float) -> Iterator[Timer]:
    """Raise DeadlineExceeded in the block after `seconds` (wall clock). Nested deadlines: the inner
    one is armed only when it ends sooner, and the outer one is restored after it."""
    timer = Timer()
    if not seconds or seconds <= 0 or not _can_use_signals():
        yield timer
        return
    remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
    if remaining and remaining <= seconds:
        yield timer  # an outer deadline ends first
        return

    def expired(signum, frame):
        timer.fired = True
        raise DeadlineExceeded(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield timer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)  # the outer deadline, roughly where it was


def drop_database_connections() -> None:
    """Forget connections a deadline interrupted mid-protocol: they cannot be reused."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            pass
        conn.connection = None
        conn.in_atomic_block = False
        conn.atomic_blocks = []
        conn.savepoint_ids = []
        conn.needs_rollback = False


def unavailable(reason: str) -> JsonResponse:
    response = JsonResponse({"error": "service unavailable", "reason": reason}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class FastFailMiddleware:
    """503 (with Retry-After) instead of a hang or a 500 when the database is unreachable or hung."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.WEBHOOK_DEADLINE_SECONDS if _under_deadline(request.path) else 0
        try:
            with deadline(seconds) as timer:
                response = self.get_response(request)
        except DeadlineExceeded:
            timer.fired = True
        if timer.fired:  # also when Django already turned the interruption into a 500
            drop_database_connections()
            logger.warning("request_deadline_exceeded", path=request.path, seconds=seconds)
            return unavailable("timeout")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DeadlineExceeded):
            return unavailable("timeout")  # __call__ drops the connections it interrupted
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("database_unavailable", path=request.path, error=exception.__class__.__name__)
            return unavailable("database")
        return None


def _under_deadline(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.FAST_FAIL_PATHS)
