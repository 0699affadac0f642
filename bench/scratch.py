# ruff: noqa: PLC0415 - Django is set up only in the measuring process, after the scratch database exists
"""What the page benchmarks share: one run in a scratch PostgreSQL database, and one page measured.

`in_scratch_database(command)` creates a database (127.0.0.1:5432, postgres; `BENCH_PG_URL`
overrides), migrates it, runs `command` (the script again, in its measuring mode) with `bench.settings`
pointed at it (Redis cache when it answers on 127.0.0.1:6379, a database cache otherwise), drops the
database, and returns the JSON the command printed last and whether Redis was the cache.
"""

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def in_scratch_database(command: list[str], **extra_env: str) -> tuple[object, bool]:
    import psycopg

    pg_name = f"balcao_bench_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=f"{PG_URL}/{pg_name}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        CELERY_BROKER_URL="memory://",
        BENCH_CACHE_PREFIX=pg_name,
        **extra_env,
    )
    if "REDIS_URL" not in env and redis_answers():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{pg_name}"')
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "createcachetable", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit("the measuring process failed (its error is above)")
        return json.loads(done.stdout.strip().splitlines()[-1]), "REDIS_URL" in env
    finally:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def measure(call, repeat: int) -> dict:
    """`call()` once to warm up, once counting its SQL queries, `repeat` times for the median and worst ms."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up: per-process caches (content types, company access) fill on the first call
    reset_queries()  # each request clears the log when it starts; an old log would hide this one
    with CaptureQueriesContext(connection) as captured:
        status = call().status_code
    queries = len(captured)  # read now: the next request clears the log it is a view of
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return {"status": status, "queries": queries, "ms": statistics.median(times), "max": max(times)}
