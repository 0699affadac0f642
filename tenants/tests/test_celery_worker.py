"""A real Celery worker consumes countdown tasks: on Redis, and on the embedded SQLite broker."""

import os
import signal
import subprocess
import sys
import time
import uuid
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
    env = base_env(tmp_path) | {"REDIS_URL": redis_url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
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
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    token = uuid.uuid4().hex
    send = (
        "import django; django.setup(); from tenants.tasks import ping_task; "
        f"ping_task.apply_async(kwargs={{'token': '{token}'}}, countdown=2)"
    )
    check = (
        "import django; django.setup(); from django.core.cache import cache; "
        f"import sys; sys.exit(0 if cache.get('celery-ping:{token}') else 1)"
    )
    worker = start_worker(env)
    try:
        subprocess.run([sys.executable, "-c", send], cwd=ROOT, env=env, check=True)
        ran = wait_for(lambda: subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=env).returncode == 0)
    finally:
        output = stop(worker)
    assert ran, output
