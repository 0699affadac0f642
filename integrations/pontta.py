"""Pontta ERP client: JWT login per company, shared through the cache, and tickets.

Pontta has no public API reference; the shapes are those the shops' earlier integration used:
`POST {base}/auth/login` with JSON `{"email", "password"}` and header `Businessunit` answers
`{"token": "<JWT>"}`; every other call sends `Businessunit` and `Authorization: Bearer <JWT>`;
`POST {base}/tickets` takes `{"contact_id", "subject", "message", "status": "open"}`;
`GET {base}/tickets?contact_id=` lists them.
"""

import base64
import binascii
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from config.cache import cache_or
from integrations import http
from integrations.destinations import DestinationNotAllowed
from integrations.errors import PermanentError, RetryableError

RENEW_MARGIN_SECONDS = 60  # renew a minute early so a token never expires mid-request
DEFAULT_TOKEN_SECONDS = 3600  # one hour when the login answer gives no expiry
LOCK_SECONDS = 30  # longer than a login call may take
LOCK_WAIT_SECONDS = 20
LOCK_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class PonttaCredentials:
    base_url: str
    email: str
    password: str = field(repr=False)
    business_unit: str


@dataclass(frozen=True)
class PonttaTicket:
    id: str
    contact_id: str
    subject: str
    message: str
    status: str


class PonttaAuthError(PermanentError):
    """Pontta refused the login: the stored email, password or business unit is wrong."""


class PonttaClient:
    """Pontta calls for one company, its login token shared by every worker.

    `cache` follows Django's cache API (get/set/add/delete) and is shared by every worker, so one
    company's token is reused everywhere until it is about to expire (`exp` of the JWT, else the
    response's `expires_in`, else one hour; renewed RENEW_MARGIN_SECONDS early) or a call gets 401.
    Renewal is single-flight: the worker that wins `cache.add(lock)` logs in, the others poll the
    cache for the new token (RetryableError if none appears within LOCK_WAIT_SECONDS). When the
    cache is down (Redis refused or timing out) every call logs in on its own: more logins, never a
    failed call; each fallback is logged (`pontta_cache_unavailable`). A 401 renews the token and
    retries the call once; a second 401 is a PermanentError.
    """

    def __init__(
        self,
        credentials: PonttaCredentials,
        *,
        cache: Any,
        company_key: str,
        timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.cache = cache
        self.timeout = timeout
        self.clock = clock
        # The account in the key, hashed: new credentials never reuse a token of the old ones.
        account = f"{credentials.base_url}|{credentials.business_unit}|{credentials.email}".encode()
        suffix = f"{company_key}:{hashlib.sha256(account).hexdigest()[:16]}"
        self.token_key = f"pontta:token:{suffix}"
        self.lock_key = f"pontta:login-lock:{suffix}"

    def create_ticket(self, contact_id: str | int, subject: str, message: str) -> PonttaTicket:
        """Open a ticket for `contact_id`; returns it as Pontta stored it."""
        body = {"contact_id": contact_id, "subject": subject, "message": message, "status": "open"}
        data = _json(self._call("POST", "/tickets", json=body), "create ticket")
        return _ticket(data.get("data", data) if isinstance(data, dict) else data)

    def list_tickets(self, contact_id: str | int | None = None) -> list[PonttaTicket]:
        """Tickets of `contact_id`, or all tickets; accepts a bare list or `{"data": [...]}`."""
        params = {"contact_id": contact_id} if contact_id is not None else {}
        data = _json(self._call("GET", "/tickets", params=params), "tickets")
        rows = data.get("data", data.get("tickets", [])) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise PermanentError("Pontta tickets answer is not a list")
        return [_ticket(row) for row in rows]

    # -- calls with the shared token --------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        token = self._token()
        try:
            return self._send(method, path, token, **kwargs)
        except PermanentError as exc:
            if exc.status != 401:
                raise
        # The token was revoked or expired early: renew it (once for all workers) and retry once.
        return self._send(method, path, self._token(stale=token), **kwargs)

    def _send(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        headers = {"Businessunit": self.credentials.business_unit, "Authorization": f"Bearer {token}"}
        return http.request(method, self._url(path), headers=headers, timeout=self.timeout, **kwargs)

    def _url(self, path: str) -> str:
        return f"{self.credentials.base_url.rstrip('/')}{path}"

    # -- token ---------------------------------------------------------------------------------------

    def _token(self, *, stale: str | None = None) -> str:
        """A usable token: the cached one, or a new one from a single login across all workers."""
        token = self._cached_token(stale)
        if token:
            return token
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            locked = cache_or(
                None,
                lambda: self.cache.add(self.lock_key, owner, timeout=LOCK_SECONDS),
                event="pontta_cache_unavailable",
                step="lock",
            )
            if locked is None:  # no shared lock without the cache: log in on our own
                return self._login()
            if locked:
                try:
                    # Someone may have renewed it between our read and our lock.
                    return self._cached_token(stale) or self._login()
                finally:
                    self._lock_release(owner)
            time.sleep(LOCK_POLL_SECONDS)
            token = self._cached_token(stale)
            if token:
                return token
            if time.monotonic() > deadline:
                raise RetryableError("Pontta token renewal by another worker did not finish in time")

    def _lock_release(self, owner: str) -> None:
        # When the cache is down the lock expires by itself (LOCK_SECONDS).
        if (
            cache_or(None, lambda: self.cache.get(self.lock_key), event="pontta_cache_unavailable", step="unlock")
            == owner
        ):
            cache_or(None, lambda: self.cache.delete(self.lock_key), event="pontta_cache_unavailable", step="unlock")

    def _cached_token(self, stale: str | None) -> str | None:
        # No shared token without the cache: the caller logs in.
        entry = cache_or(None, lambda: self.cache.get(self.token_key), event="pontta_cache_unavailable", step="read")
        if not isinstance(entry, dict) or entry.get("token") == stale:
            return None
        if entry.get("expires_at", 0) - RENEW_MARGIN_SECONDS <= self.clock():
            return None
        return entry["token"]

    def _login(self) -> str:
        creds = self.credentials
        try:
            response = http.request(
                "POST",
                self._url("/auth/login"),
                json={"email": creds.email, "password": creds.password},
                headers={"Businessunit": creds.business_unit},
                timeout=self.timeout,
            )
        except DestinationNotAllowed:
            raise
        except PermanentError as exc:
            raise PonttaAuthError(
                f"Pontta login refused (HTTP {exc.status}): check the email, password and business unit",
                status=exc.status,
            ) from exc
        try:
            data = response.json()
            token = data["token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError("Pontta login answer has no token") from exc
        expires_at = _jwt_expiry(token) or self.clock() + _seconds(data.get("expires_in"), DEFAULT_TOKEN_SECONDS)
        lifetime = int(expires_at - self.clock())
        if lifetime > RENEW_MARGIN_SECONDS:
            # Without the cache the token still serves this call; the next one logs in again.
            cache_or(
                None,
                lambda: self.cache.set(self.token_key, {"token": token, "expires_at": expires_at}, timeout=lifetime),
                event="pontta_cache_unavailable",
                step="write",
            )
        return token


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:  # requests' JSONDecodeError is a ValueError
        raise PermanentError(f"Pontta {what} answer is not JSON") from exc


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (Pontta verifies; we only schedule renewal)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None


def _seconds(value: Any, default: int) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _ticket(row: Any) -> PonttaTicket:
    if not isinstance(row, dict) or "id" not in row:
        raise PermanentError("Pontta ticket has no id")
    return PonttaTicket(
        id=str(row["id"]),
        contact_id=str(row.get("contact_id", row.get("contactId", ""))),
        subject=str(row.get("subject") or ""),
        message=str(row.get("message") or ""),
        status=str(row.get("status") or ""),
    )
