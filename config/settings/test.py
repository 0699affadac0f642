"""Test settings: real PostgreSQL and Redis when reachable (REQUIRE_SERVICES=1 makes them mandatory)."""

import os
import warnings

from cryptography.fernet import Fernet
from django.core.management.utils import get_random_secret_key

from config.services import postgres_url_for_tests, redis_url_for_tests
from config.settings.base import *  # noqa: F403
from config.settings.base import env

SECRET_KEY = get_random_secret_key()
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Fresh keys per test process: nothing in the suite depends on a stored ciphertext.
CRED_ENCRYPTION_KEY = [Fernet.generate_key().decode()]

_pg_url = postgres_url_for_tests()
if _pg_url:
    DATABASES = {"default": env.db_url_config(_pg_url)}
    DATABASES["default"]["OPTIONS"] = {"connect_timeout": DB_CONNECT_TIMEOUT}  # noqa: F405
    # Separate test databases for checkouts or helpers running the suite at the same time.
    DATABASES["default"]["TEST"] = {"NAME": "test_balcao" + os.environ.get("TEST_DB_SUFFIX", "")}
else:
    warnings.warn("PostgreSQL is not reachable: the suite runs on SQLite (locks and constraints differ).", stacklevel=1)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

REDIS_URL = redis_url_for_tests() or ""
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"balcao-test-{os.getpid()}",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tests change channels with update() too: the webhook reads its channel every time (one test turns it on).
WEBHOOK_CHANNEL_CACHE_SECONDS = 0
# Tests call tasks directly; anything enqueued goes to an in-process broker.
CELERY_BROKER_URL = "memory://"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# WhiteNoise scans STATIC_ROOT when the middleware starts; tests never collect static files.
WHITENOISE_AUTOREFRESH = True
# The suite's fake providers, MariaDB and SSH gateway listen on 127.0.0.1; SSRF tests switch this off.
ALLOW_PRIVATE_PROVIDER_URLS = True
MERCADOPAGO_PAYER_EMAIL = "pagamentos@balcao.test"  # the charges tests create have a payer e-mail
# Every outbound HTTP call in the suite fails if a database transaction is open (integrations.http).
HTTP_ASSERT_NO_TRANSACTION = True
