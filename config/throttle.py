"""Fixed-window attempt counters in the cache (admin logins, connection tests), and the client's
address as our own proxies report it.

A window starts at the first attempt under a key and lasts `Limit.seconds`. The counters are a
brake on guessing and on hammering a company's server, not an exact quota. When the cache is down
they let the attempt through (logged): locking every member out during an outage is worse.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from config.cache import cache_or


@dataclass(frozen=True)
class Limit:
    attempts: int
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, -(-self.seconds // 60))


def throttle_key(scope: str, value: str) -> str:
    """A cache key for `value` (a username, an address) that does not store the value itself."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def limit_reached(key: str, limit: Limit) -> bool:
    """Whether `key` has used up its attempts in the current window (counts nothing)."""
    count = cache_or(0, lambda: cache.get(key, 0), event="throttle_cache_unavailable", key=key)
    return count >= limit.attempts


def attempt_record(key: str, limit: Limit) -> int:
    """Count one attempt under `key`; the number of attempts in the window so far."""
    return cache_or(0, lambda: _increment(key, limit.seconds), event="throttle_cache_unavailable", key=key)


def attempt_allowed(key: str, limit: Limit) -> bool:
    """Count one attempt under `key`; False once it goes past the limit."""
    return attempt_record(key, limit) <= limit.attempts


def attempts_reset(key: str) -> None:
    cache_or(None, lambda: cache.delete(key), event="throttle_cache_unavailable", key=key)


def _increment(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry our TRUSTED_PROXY_COUNT proxies appended to
    X-Forwarded-For (anything further left was written by the client and is not trusted)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
