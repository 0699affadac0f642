"""Bench-only settings (`bench/webhook_ingest.py`): local settings plus the bench urlconf, quiet logs.

`DJANGO_ROOT_URLCONF` picks the urlconf (default `bench.urls`: the app's `config.urls` plus the
minimal insert-one-row view the webhook is compared with). `BENCH_CACHE_PREFIX` keeps the run's
cache keys apart when the cache is a shared Redis.
"""

import os

from config.settings.local import *  # noqa: F403
from config.settings.local import env

ROOT_URLCONF = env.str("DJANGO_ROOT_URLCONF", default="bench.urls")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
if "KEY_PREFIX" not in CACHES["default"]:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench")  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "ERROR"}}  # noqa: F405
