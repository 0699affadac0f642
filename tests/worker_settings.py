"""Settings of the real Celery worker a test starts (`tests.worker`): the test settings, pointed at the
test's own database, broker, cache prefix and encryption keys (passed in the environment)."""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["BALCAO_TEST_DB_NAME"]  # noqa: F405
CELERY_BROKER_URL = os.environ["BALCAO_TEST_BROKER_URL"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": os.environ["BALCAO_TEST_BROKER_PREFIX"]}
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BALCAO_TEST_CACHE_PREFIX", "")  # noqa: F405
CRED_ENCRYPTION_KEY = os.environ["BALCAO_TEST_CRED_KEYS"].split(",")
