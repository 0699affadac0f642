"""The two kinds of failure every integration client raises: retry it, or give up."""


class IntegrationError(Exception):
    """Base of every client error. Never carries a secret in its message."""


class RetryableError(IntegrationError):
    """Network trouble, timeouts, 5xx, 429: the same call may succeed later.

    `retry_after`: seconds the provider asked us to wait (its Retry-After header), when it said.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(IntegrationError):
    """4xx or data the provider rejects: retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status
