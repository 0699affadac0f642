"""A real Celery worker consumes countdown tasks: on Redis, and on the embedded SQLite broker."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from django.conf import settings

from config.celery_app import app

ROOT = Path(settings.BASE_DIR)
WORKER_WAIT_SECONDS = 40


def start_worker(env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "-Q",
        "default",
        "-l",
        "WARNING",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


def wait_for(predicate, timeout=WORKER_WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def base_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", BALCAO_VAR_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    return env


@pytest.mark.services
def test_worker_on_redis_runs_a_countdown_task(redis_url, tmp_path):
    env = base_env(tmp_path) | {"REDIS_URL": redis_url}  # the task touches no table: no migrate needed
    token = uuid.uuid4().hex
    worker = start_worker(env)
    try:
        with app.connection_for_write(redis_url) as conn:
            app.send_task(
                "tenants.tasks.ping_task", kwargs={"token": token}, countdown=2, queue="default", connection=conn
            )
        sent_at = time.monotonic()
        client = redis.Redis.from_url(redis_url)
        ran = wait_for(lambda: client.exists(f":1:celery-ping:{token}"))
    finally:
        output = stop(worker)
    assert ran, output
    assert time.monotonic() - sent_at >= 2


@pytest.mark.services
def test_embedded_worker_without_servers_runs_a_countdown_task(tmp_path):
    env = base_env(tmp_path)
    # The cache is the database cache: its table is all the task needs (no migrate).
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    token = uuid.uuid4().hex
    send = (
        "import django; django.setup(); from tenants.tasks import ping_task; "
        f"ping_task.apply_async(kwargs={{'token': '{token}'}}, countdown=2)"
    )
    worker = start_worker(env)
    try:
        subprocess.run([sys.executable, "-c", send], cwd=ROOT, env=env, check=True)
        sent_at = time.monotonic()
        ran = wait_for(lambda: cached(tmp_path / "balcao.sqlite3", f":1:celery-ping:{token}"))
    finally:
        output = stop(worker)
    assert ran, output
    assert time.monotonic() - sent_at >= 2


def cached(database: Path, key: str) -> bool:
    """Whether the database cache of `make run` (table balcao_cache) holds an unexpired `key`."""
    with closing(sqlite3.connect(database)) as connection:
        row = connection.execute("SELECT expires FROM balcao_cache WHERE cache_key = ?", [key]).fetchone()
    return row is not None and datetime.fromisoformat(row[0]).replace(tzinfo=UTC) > datetime.now(UTC)
