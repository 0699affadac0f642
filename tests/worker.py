"""A real Celery worker for a test: a `celery worker` process on the test's database and a broker of its own.

The broker is the test Redis with a key prefix unique to the worker, so workers of several checkouts
sharing one Redis never take each other's tasks. The test process publishes to the same broker
while the worker runs (the app's broker settings and connection pools are swapped, then restored).
The worker reads the test database, so the test must use `transactional_db` (live_server does):
rows committed by the test and the live server are what the worker sees.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
from django.conf import settings
from django.db import connection

from config.celery_app import app

ROOT = Path(settings.BASE_DIR)
QUEUES = "webhooks,outbound,default,maintenance"
READY_SECONDS = 60
BROKER_URL, TRANSPORT_OPTIONS = "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS"


class CeleryWorker:
    def __init__(self, broker_url: str, log_path: Path, queues: str = QUEUES):
        self.broker_url = broker_url
        self.queues = queues
        self.prefix = f"balcao-test-worker-{uuid.uuid4().hex[:12]}:"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._saved: dict = {}

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIRECT_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.worker_settings",
            BALCAO_TEST_DB_NAME=connection.settings_dict["NAME"],
            BALCAO_TEST_BROKER_URL=self.broker_url,
            BALCAO_TEST_BROKER_PREFIX=self.prefix,
            BALCAO_TEST_CACHE_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
            BALCAO_TEST_CRED_KEYS=",".join(settings.CRED_ENCRYPTION_KEY),
            REDIS_URL=settings.REDIS_URL,
        )
        return env

    def route(self) -> "CeleryWorker":
        """Publish to this worker's broker from now on, before its process runs (tasks wait queued)."""
        if not self._saved:
            self._publish_to_worker_broker()
        return self

    def start(self) -> "CeleryWorker":
        self.route()
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-Q", self.queues, "-l", "INFO",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited at start:\n{self.output()}")
            if b" ready." in self.log_path.read_bytes():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the Celery worker was not ready in {READY_SECONDS} s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        self._restore_broker()

    def _publish_to_worker_broker(self) -> None:
        # The app reads Django's CELERY_* settings: its keys carry the namespace.
        self._saved = {key: app.conf.get(key) for key in (BROKER_URL, TRANSPORT_OPTIONS)}
        app.conf[BROKER_URL] = self.broker_url
        app.conf[TRANSPORT_OPTIONS] = {"global_keyprefix": self.prefix}
        _drop_connection_pools()

    def _restore_broker(self) -> None:
        if self._saved:
            for key, value in self._saved.items():
                app.conf[key] = value
            self._saved = {}
            _drop_connection_pools()


def _drop_connection_pools() -> None:
    """Forget pooled broker connections so the next publish connects with the current settings.

    kombu also keeps its pools per broker URL in a registry of its own: they are closed and the
    registry cleared together, or a later publish to the same URL gets a closed pool back."""
    if app._pool is not None:
        app._pool.force_close_all()
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
