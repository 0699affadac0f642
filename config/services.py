"""Find the real services the suite should use, and say why one is missing.

`REQUIRE_SERVICES=1` (CI) turns "not reachable" into a hard failure instead of a fallback or skip.
"""

import os
import socket
from urllib.parse import urlsplit

from config.env import database_url

DEFAULT_TEST_POSTGRES = "postgres://postgres@127.0.0.1:5432/balcao"
DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/15"


class ServiceMissing(RuntimeError):
    pass


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false")


def reachable(url: str, default_port: int, timeout: float = 1.5) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=timeout):
            return True
    except OSError:
        return False


def _require(url: str, default_port: int, name: str) -> str | None:
    if reachable(url, default_port):
        return url
    if services_required():
        raise ServiceMissing(f"{name} is not reachable at {urlsplit(url).netloc} and REQUIRE_SERVICES=1")
    return None


def postgres_url_for_tests() -> str | None:
    return _require(database_url() or DEFAULT_TEST_POSTGRES, 5432, "PostgreSQL")


def redis_url_for_tests() -> str | None:
    return _require(os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS, 6379, "Redis")


def mysql_url_for_tests() -> str | None:
    """MariaDB/MySQL standing in for a store's WordPress database."""
    return _require(os.environ.get("TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306/test", 3306, "MySQL/MariaDB")
