"""Container probes of docker-compose.prod.yml: `python -m deploy.probe wait-db|web|beat`.

Exit status 0 means ready/healthy; otherwise one line on stderr says why. `web` and `beat` load
Django (the container's DJANGO_SETTINGS_MODULE); `wait-db` does not, so it is fast and runs first.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta

WEB_HEALTH_URL = "http://127.0.0.1:8000/health/"
WEB_TIMEOUT_SECONDS = 5.0
# Beat's DatabaseScheduler writes last_run_at on its sync (every 3 minutes) and channels-health runs
# every 30 s, so ten minutes without a write means beat is stuck or gone.
BEAT_MAX_SILENCE_SECONDS = 10 * 60
DB_WAIT_SECONDS = 60.0
DB_CONNECT_TIMEOUT_SECONDS = 3


def wait_for_database(
    url: str | None,
    *,
    timeout_seconds: float = DB_WAIT_SECONDS,
    connect: Callable | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Block until PostgreSQL at `url` accepts a connection. Returns None when it did (or when
    `url` is not PostgreSQL: nothing to wait for), else the reason it gave up after `timeout_seconds`."""
    if not url or not url.startswith(("postgres://", "postgresql://")):
        return None
    if connect is None:
        import psycopg  # noqa: PLC0415 - only this probe needs the driver; web/beat probes skip it

        connect = psycopg.connect
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            connect(url, connect_timeout=DB_CONNECT_TIMEOUT_SECONDS).close()
            return None
        except Exception as exc:  # noqa: BLE001 - any failure to connect means "not yet"
            if time.monotonic() >= deadline:
                return f"PostgreSQL not reachable after {timeout_seconds:.0f}s: {exc.__class__.__name__}"
        print("Waiting for PostgreSQL...", file=sys.stderr)
        sleep(1.0)


def health_host(allowed_hosts: list[str]) -> str:
    """A Host header Django accepts: the first DJANGO_ALLOWED_HOSTS entry, wildcards made concrete."""
    for host in allowed_hosts:
        name = host.strip().lstrip("*").lstrip(".")
        if name:
            return name
    return "localhost"


def check_web(url: str = WEB_HEALTH_URL, *, host: str, timeout: float = WEB_TIMEOUT_SECONDS) -> str | None:
    """None when GET `url` answers 200 (status ok or degraded), else the reason."""
    import requests  # noqa: PLC0415 - wait-db must not pay for it

    from integrations.errors import PermanentError, RetryableError  # noqa: PLC0415 - needs Django set up
    from integrations.http import request  # noqa: PLC0415 - needs Django set up

    # A plain session: this is the container's own loopback, fixed here, not a URL a company sets.
    try:
        response = request(
            "GET", url, timeout=timeout, headers={"Host": host}, allow_redirects=False, session=requests.Session()
        )
    except (RetryableError, PermanentError) as exc:
        return str(exc)
    if response.status_code != 200:
        return f"GET {url}: HTTP {response.status_code}"
    return None


def beat_is_fresh(last_write: datetime | None, *, now: datetime, max_silence_seconds: int) -> bool:
    """True when beat wrote a run time recently enough, or has nothing enabled to run yet."""
    return last_write is None or now - last_write <= timedelta(seconds=max_silence_seconds)


def check_beat(max_silence_seconds: int = BEAT_MAX_SILENCE_SECONDS) -> str | None:
    """None when celery beat has recorded a run of an enabled periodic task recently, else the reason."""
    from django.db.models import Max  # noqa: PLC0415 - needs Django set up
    from django.utils import timezone  # noqa: PLC0415 - needs Django set up
    from django_celery_beat.models import PeriodicTask  # noqa: PLC0415 - needs Django set up

    last_write = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    if beat_is_fresh(last_write, now=timezone.now(), max_silence_seconds=max_silence_seconds):
        return None
    return f"celery beat has recorded no run since {last_write.isoformat()}"


def _database_url() -> str | None:
    from config.env import database_url  # noqa: PLC0415 - reads .env; imported only by wait-db

    return database_url()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.probe", description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("wait-db", "web", "beat"))
    args = parser.parse_args(argv)
    if args.probe == "wait-db":
        timeout = float(os.environ.get("POSTGRES_WAIT_SECONDS", DB_WAIT_SECONDS))
        problem = wait_for_database(_database_url(), timeout_seconds=timeout)
    else:
        import django  # noqa: PLC0415 - wait-db must not pay for Django start-up

        django.setup()
        if args.probe == "web":
            from django.conf import settings  # noqa: PLC0415 - after django.setup()

            problem = check_web(host=health_host(settings.ALLOWED_HOSTS))
        else:
            problem = check_beat()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
