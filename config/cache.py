"""The cache (Redis in production) is a fast path, never the only place where work is kept.

`cache_or()` runs one cache call and, when the cache server is down or unreachable, logs the named
event and answers a default instead, so each caller states only what an outage means for it.
Anything else a cache call raises is a bug and propagates.
"""

from collections.abc import Callable
from typing import TypeVar

import structlog
from redis.exceptions import RedisError

logger = structlog.get_logger(__name__)

CACHE_OUTAGE_ERRORS = (RedisError, OSError)  # refused, timed out, connection dropped

T = TypeVar("T")


def cache_or(default: T, call: Callable[[], T], *, event: str, **context) -> T:
    """`call()`, or `default` (after a warning `event` with `context`) when the cache is down."""
    try:
        return call()
    except CACHE_OUTAGE_ERRORS:
        logger.warning(event, exc_info=True, **context)
        return default
