"""The cache (Redis in production) is a fast path, never the only place where work is kept.

`cache_or()` runs one cache call and, when the cache server is down or unreachable, logs the named
event and answers a default instead, so each caller states only what an outage means for it.
Anything else a cache call raises is a bug and propagates.

After an outage error the process skips the cache for OUTAGE_SKIP_SECONDS (a small per-process
breaker): a hung Redis then costs one socket timeout per process, not one per cache call of every
request (a webhook makes several).
"""

import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from redis.exceptions import RedisError

logger = structlog.get_logger(__name__)

CACHE_OUTAGE_ERRORS = (RedisError, OSError)  # refused, timed out, connection dropped
OUTAGE_SKIP_SECONDS = 5.0
_skip_until = 0.0  # monotonic time before which this process does not try the cache

T = TypeVar("T")


def cache_or(default: T, call: Callable[[], T], *, event: str, **context) -> T:
    """`call()`, or `default` (after a warning `event` with `context`) when the cache is down."""
    global _skip_until  # noqa: PLW0603 - the breaker is per process on purpose
    if time.monotonic() < _skip_until:
        logger.info(event, skipped=True, **context)
        return default
    try:
        return call()
    except CACHE_OUTAGE_ERRORS:
        _skip_until = time.monotonic() + OUTAGE_SKIP_SECONDS
        logger.warning(event, exc_info=True, **context)
        return default
