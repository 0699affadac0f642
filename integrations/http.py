"""One way to make outbound HTTP calls: a timeout always, errors mapped to Retryable/Permanent, and no
way for a company-supplied URL to reach inside.

`request()` sends through an `OutboundSession`, a requests Session that:
- resolves each host once, refuses addresses `integrations.destinations` does not allow
  (DestinationNotAllowed, a PermanentError) and connects to exactly the checked address (no second
  lookup, so DNS rebinding cannot redirect it); the TLS name (SNI, certificate check) and the Host
  header stay the URL's host name;
- follows redirects itself (at most MAX_REDIRECTS), checking every hop again; credential headers,
  cookies and auth go only to the origin the caller named, and a body is never re-sent to another;
- ignores proxies, .netrc and CA settings from the environment (each connection is ours to check).

Clients call `request()` and never see a `requests` exception. Retrying is the caller's job (a
Celery task with backoff), so this layer does not retry on its own. `new_session()` hands the same
guarded session to libraries that take one (google-auth's transport).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import structlog
from django.conf import settings
from django.db import connections
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from integrations.destinations import DEFAULT_PORTS, allowed_addresses
from integrations.errors import PermanentError, RetryableError

logger = structlog.get_logger(__name__)

USER_AGENT = "Balcao/1.0"
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_RETRY_AFTER_SECONDS = 3600.0  # a provider asking for more is treated as asking for an hour
_idempotency_key: ContextVar[str] = ContextVar("idempotency_key", default="")
# Headers that may follow a redirect to another origin; everything else (Authorization, apikey,
# token, Cookie, provider-specific keys) stays with the origin the caller named.
CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-encoding", "accept-language", "user-agent"})
BODY_KWARGS = ("data", "json", "files")


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to an address checked by one lookup, never to whatever the host resolves to later.

    Uses requests' documented subclass hook `build_connection_pool_key_attributes` and urllib3's
    `server_hostname`/`assert_hostname` pool keys: the pool is opened to the IP while TLS still
    names and verifies the host. Addresses are tried in resolver order; the next one only when the
    connection to the previous could not be opened (nothing was sent).
    """

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        try:
            addresses = allowed_addresses(parts.hostname or "", port)
        except (OSError, UnicodeError) as exc:
            raise requests.ConnectionError(f"cannot resolve {parts.hostname}", request=request) from exc
        if "Host" not in request.headers:
            request.headers["Host"] = _host_header(parts)
        failure = None
        for address in addresses:
            request.pinned_address = address
            try:
                return super().send(request, **kwargs)
            except requests.ConnectionError as exc:
                if not _not_connected(exc):
                    raise
                failure = exc
        raise failure

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host_params["host"]
            pool_kwargs["assert_hostname"] = host_params["host"]
        host_params["host"] = request.pinned_address  # set by send(): no request leaves unchecked
        return host_params, pool_kwargs


class CallInsideTransaction(AssertionError):
    """A provider call was made while a database transaction was open (test-mode guard)."""


def open_transactions() -> list[str]:
    """Aliases of the database connections with a transaction of ours open (a test case's own
    wrapping atomic blocks do not count: in production they do not exist)."""
    return [
        conn.alias
        for conn in connections.all(initialized_only=True)
        if conn.in_atomic_block and any(not block._from_testcase for block in conn.atomic_blocks)
    ]


def _guard_no_transaction(method: str, url: str) -> None:
    """Under HTTP_ASSERT_NO_TRANSACTION (the whole test suite), a network call inside a transaction
    fails loudly: it would hold row locks for as long as the provider takes, and a rollback after
    the call would forget what the provider already did."""
    if getattr(settings, "HTTP_ASSERT_NO_TRANSACTION", False):
        if aliases := open_transactions():
            raise CallInsideTransaction(f"{method} {_host(url)} called inside a transaction on {', '.join(aliases)}")


class OutboundSession(requests.Session):
    """A requests Session for URLs a company can set (see the module docstring)."""

    def __init__(self, *, max_redirects: int = MAX_REDIRECTS):
        super().__init__()
        self.trust_env = False
        self.headers["User-Agent"] = USER_AGENT
        self.verify = getattr(settings, "HTTP_VERIFY_TLS", True)
        self.max_redirects = max_redirects
        adapter = PinnedAddressAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp):
        return None  # requests' own redirect handling never runs: request() follows hops itself

    def request(self, method, url, **kwargs):
        _guard_no_transaction(method, url)
        follow = kwargs.pop("allow_redirects", True)
        response = super().request(method, url, allow_redirects=False, **kwargs)
        hops = 0
        while follow and response.is_redirect:
            response.close()
            if hops == self.max_redirects:
                raise requests.TooManyRedirects(f"more than {self.max_redirects} redirects", response=response)
            target = urljoin(response.url, super().get_redirect_target(response))
            method, kwargs = _next_hop(response.status_code, method, response.url, target, kwargs)
            url = target
            response = super().request(method, url, allow_redirects=False, **kwargs)
            hops += 1
        return response


def new_session() -> OutboundSession:
    return OutboundSession()


@contextmanager
def idempotency_key(key: str) -> Iterator[None]:
    """Requests sent inside the block carry `Idempotency-Key: key` (unless the caller set one), so a
    provider that honours it answers a repeated call (after a crash, a lost answer) with the first
    result instead of doing it twice. Derive `key` from the row the call is about, never at random."""
    token = _idempotency_key.set(key)
    try:
        yield
    finally:
        _idempotency_key.reset(token)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def request(
    method: str,
    url: str,
    *,
    timeout: float | None = None,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; return the response for 2xx/3xx, raise RetryableError or PermanentError otherwise.

    DestinationNotAllowed (a PermanentError) when the URL or a redirect hop resolves to an address
    that is not allowed. `session` defaults to a new OutboundSession; only an operator-fixed URL
    (the deploy probe's own loopback) may pass another.
    """
    timeout = timeout if timeout is not None else settings.PROVIDER_TIMEOUT
    http = session or new_session()
    if key := _idempotency_key.get():
        headers = dict(kwargs.get("headers") or {})
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = key
        kwargs["headers"] = headers
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        logger.warning("http_unreachable", method=method, host=_host(url), error=exc.__class__.__name__)
        raise RetryableError(f"{method} {_host(url)}: {exc.__class__.__name__}") from exc
    except requests.RequestException as exc:
        raise PermanentError(f"{method} {_host(url)}: {exc.__class__.__name__}") from exc
    if response.status_code in RETRYABLE_STATUSES:
        raise RetryableError(
            f"{method} {_host(url)}: HTTP {response.status_code}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if response.status_code >= 400:
        raise PermanentError(f"{method} {_host(url)}: HTTP {response.status_code}", status=response.status_code)
    return response


def _next_hop(status: int, method: str, url: str, target: str, kwargs: dict) -> tuple[str, dict]:
    """Method and arguments of the request a redirect from `url` to `target` asks for.

    Browser rules, as requests applies them: 307/308 repeat the request, the others become a GET
    without body (HEAD stays HEAD). Query `params` belonged to the first URL only.
    """
    keeps_body = status in (307, 308)
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    kwargs = {key: value for key, value in kwargs.items() if key != "params" and (keeps_body or key not in BODY_KWARGS)}
    if _origin(target) != _origin(url):
        if keeps_body and any(kwargs.get(key) is not None for key in BODY_KWARGS):
            raise PermanentError(f"HTTP {status} to another origin would re-send the request body: not followed")
        kwargs.pop("auth", None)
        kwargs.pop("cookies", None)
        headers = kwargs.get("headers") or {}
        kwargs["headers"] = {name: value for name, value in headers.items() if name.lower() in CROSS_ORIGIN_HEADERS}
    return method, kwargs


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 0)


def _host_header(parts) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{parts.port}"


def _not_connected(exc: requests.ConnectionError) -> bool:
    """True when the TCP/TLS connection itself was not opened, so nothing of the request was sent."""
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError)


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc
