"""Fernet encryption of stored credentials (`CRED_ENCRYPTION_KEY`: first key encrypts, all decrypt)."""

import base64
import hashlib
import os
from functools import lru_cache

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = structlog.get_logger(__name__)

MASK = "••••••"


class CredentialDecryptError(RuntimeError):
    """A stored credential could not be decrypted with any configured key."""


def _dev_key_from_secret_key() -> bytes:
    digest = hashlib.sha256(f"balcao-credentials:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CRED_ENCRYPTION_KEY must be a comma-separated list of Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from exc


# Set by bin/run-all (make run) once it has said it, so its web, worker and beat do not say it again.
DEV_KEY_WARNED_ENV = "BALCAO_DEV_KEY_WARNED"


@lru_cache(maxsize=1)
def _warn_dev_key_once() -> None:
    """The development-key warning, at most once per process, and not at all under `make run` (which
    prints it once for all its processes)."""
    if os.environ.get(DEV_KEY_WARNED_ENV) != "1":
        logger.warning("credentials_key_derived", reason="CRED_ENCRYPTION_KEY unset; derived from SECRET_KEY")


def fernet() -> MultiFernet:
    keys = tuple(k for k in settings.CRED_ENCRYPTION_KEY if k)
    if not keys:
        _warn_dev_key_once()
        keys = (_dev_key_from_secret_key().decode(),)
    return _multi_fernet(keys)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptError(
            "A stored credential cannot be decrypted with CRED_ENCRYPTION_KEY: was a key removed?"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the first key."""
    return fernet().rotate(token.encode()).decode()


def mask_secret(value: str | None) -> str:
    """What admin and API show instead of a secret: never the value, at most its last 4 characters."""
    if not value:
        return ""
    return f"{MASK}{value[-4:]}" if len(value) >= 12 else MASK
