"""One way to make outbound HTTP calls: a timeout always, errors mapped to Retryable/Permanent.

Clients call `request()` and never see a `requests` exception. Retrying is the caller's job (a
Celery task with backoff), so this layer does not retry on its own.
"""

from typing import Any

import requests
import structlog
from django.conf import settings

from integrations.errors import PermanentError, RetryableError

logger = structlog.get_logger(__name__)

USER_AGENT = "Balcao/1.0"
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.verify = getattr(settings, "HTTP_VERIFY_TLS", True)
    return session


def request(
    method: str,
    url: str,
    *,
    timeout: float | None = None,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; return the response for 2xx/3xx, raise RetryableError or PermanentError otherwise."""
    timeout = timeout if timeout is not None else settings.PROVIDER_TIMEOUT
    http = session or new_session()
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        logger.warning("http_unreachable", method=method, host=_host(url), error=exc.__class__.__name__)
        raise RetryableError(f"{method} {_host(url)}: {exc.__class__.__name__}") from exc
    except requests.RequestException as exc:
        raise PermanentError(f"{method} {_host(url)}: {exc.__class__.__name__}") from exc
    if response.status_code in RETRYABLE_STATUSES:
        raise RetryableError(f"{method} {_host(url)}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentError(f"{method} {_host(url)}: HTTP {response.status_code}", status=response.status_code)
    return response


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc
