"""Redis configured but down or unreachable: /health/ says so without failing, and the settings
bound what an unreachable Redis costs each call."""

import os

DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def test_health_reports_the_cache_down_as_degraded(client, db, settings):
    settings.CACHES = DEAD_CACHE

    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["cache"] == {"ok": False, "error": "ConnectionError"}
    assert body["database"] == {"ok": True}


def test_redis_cache_and_broker_have_connect_timeouts(read_settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL", "DIRECT_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        REDIS_URL="redis://127.0.0.1:1/0",  # never contacted: only the settings are read
        BALCAO_VAR_DIR=str(tmp_path),
    )

    values = read_settings(env, "CACHES", "CELERY_BROKER_TRANSPORT_OPTIONS")

    cache_options = values["CACHES"]["default"].get("OPTIONS", {})
    broker_options = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert 0 < cache_options["socket_connect_timeout"] <= 2
    assert 0 < cache_options["socket_timeout"] <= 2
    assert 0 < broker_options["socket_connect_timeout"] <= 2
    assert 0 < broker_options["socket_timeout"] <= 2  # a hung broker (SIGSTOP) answers nothing at all


def test_postgresql_has_connect_and_web_statement_timeouts(read_settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL", "BALCAO_PROCESS")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="postgres://u@127.0.0.1:1/x",  # never contacted: only the settings are read
        BALCAO_VAR_DIR=str(tmp_path),
        DB_CONNECT_TIMEOUT="3",
    )

    worker = read_settings(env, "DATABASES")["DATABASES"]["default"]["OPTIONS"]
    web = read_settings({**env, "BALCAO_PROCESS": "web"}, "DATABASES")["DATABASES"]["default"]["OPTIONS"]

    assert worker == {"connect_timeout": 3}
    assert web == {"connect_timeout": 3, "options": "-c statement_timeout=30000"}
