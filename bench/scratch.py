"""A scratch PostgreSQL database for one bench run: created, migrated, and dropped afterwards."""

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def scratch_database() -> Iterator[dict]:
    """The environment of a child process on a fresh, migrated database (`bench.settings`, the
    Redis cache when Redis answers on 127.0.0.1:6379, a database cache otherwise)."""
    import psycopg  # noqa: PLC0415 - only the parent process needs it

    pg_name = f"balcao_bench_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=f"{PG_URL}/{pg_name}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        CELERY_BROKER_URL="memory://",
        BENCH_CACHE_PREFIX=pg_name,
    )
    if "REDIS_URL" not in env and redis_answers():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{pg_name}"')
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "createcachetable", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        yield env
    finally:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
