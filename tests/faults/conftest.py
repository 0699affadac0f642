"""The fault suite's harness: real processes (Celery worker, gunicorn, redis-server) and scripted faults.

Each test prints its figure (run with `-s` to see them; `make test` shows them in the captured
output of a failure). The shared Redis is never killed: a test that kills or stops Redis starts its
own `redis-server` on a free port. PostgreSQL faults go through a TCP proxy in the test process.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory
from integrations.testing.fake_server import FakeServer
from tests.worker import CeleryWorker

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


FIGURES = ROOT / "var" / "fault-figures.txt"


def figure(text: str) -> None:
    """Print a test's figure and append it to var/fault-figures.txt (a `make test` run keeps them)."""
    print(text)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as out:
        out.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text.strip() + "\n")


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")


# --- Redis of the test's own -------------------------------------------------------------------


class RedisServer:
    """A redis-server on its own port: killed, restarted, stopped (SIGSTOP) and continued at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server started")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


# --- A messaging provider that fails on cue ----------------------------------------------------


@dataclass
class Delivery:
    key: str
    text: str
    at: float


@dataclass
class ScriptedProvider:
    """UAZAPI's /send/text with a script: `fail(n, status, headers)` answers the next n sends with
    an error, `down_until` answers 503 until then, `slow` sleeps before answering. Honours
    Idempotency-Key as a provider that supports it would: a repeated key is answered with the first
    result and delivered once. `requests` has (time, key, outcome) of every call."""

    started: float = field(default_factory=time.monotonic)
    down_until: float = 0.0
    slow: float = 0.0
    script: list = field(default_factory=list)
    delivered: dict = field(default_factory=dict)  # key -> Delivery
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, times: int, status: int, headers: dict | None = None) -> None:
        self.script += [(status, headers or {})] * times

    def handle(self, recorded):
        if self.slow:
            time.sleep(self.slow)
        now = time.monotonic() - self.started
        key = recorded.headers.get("Idempotency-Key", "")
        text = json.loads(recorded.body)["text"]
        with self.lock:
            if now < self.down_until:
                self.requests.append((now, key, 503))
                return 503, {"Content-Type": "application/json"}, b'{"error": "down"}'
            step = self.script.pop(0) if self.script else None
            if step is not None:
                self.requests.append((now, key, step[0]))
        if step is not None:
            status, headers = step
            if status == "timeout":  # answers long after the client gave up
                time.sleep(headers.get("seconds", 3))
                status, headers = 503, {}
            return status, {"Content-Type": "application/json", **headers}, b'{"error": "scripted"}'
        with self.lock:
            repeat = key in self.delivered
            if not repeat:
                self.delivered[key] = Delivery(key=key, text=text, at=now)
            self.requests.append((now, key, "repeat" if repeat else 200))
        body = json.dumps({"messageid": f"P{abs(hash(key))}"}).encode()
        return 200, {"Content-Type": "application/json"}, body

    def texts(self) -> list[str]:
        return [d.text for d in sorted(self.delivered.values(), key=lambda d: d.at)]


@pytest.fixture
def provider():
    script = ScriptedProvider()
    with FakeServer() as server:
        server.add("POST", "/send/text", handler=script.handle)
        script.url = server.url
        yield script


@pytest.fixture
def uazapi_conversation(company_a, provider, settings):
    """A conversation on a UAZAPI channel pointing at the scripted provider."""
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True

    def make(phone="+5511987654321"):
        channel = make_channel(
            company_a, provider="uazapi", name=f"uaz-{phone[-4:]}", base_url=provider.url, credentials={"token": "t"}
        )
        return ConversationFactory(
            company=company_a, channel=channel, customer__phone=phone, customer__provider_contact_ids={}
        )

    return make


# --- Real workers ------------------------------------------------------------------------------


class FaultWorker(CeleryWorker):
    """tests.worker's worker with extra environment (e.g. short retry budgets)."""

    def __init__(self, broker_url: str, log_path: Path, extra_env: dict | None = None, pool: str = "solo"):
        super().__init__(broker_url, log_path)
        self.extra_env = extra_env or {}
        self.pool = pool

    def env(self) -> dict:
        return {**super().env(), **{k: str(v) for k, v in self.extra_env.items()}}

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


@pytest.fixture
def start_worker(transactional_db, redis_url, tmp_path):
    """start_worker(**env) -> a running real worker on the test database (stopped at the end)."""
    started = []

    def start(broker_url: str | None = None, prefix: str | None = None, **extra_env):
        worker = FaultWorker(broker_url or redis_url, tmp_path / f"worker-{len(started)}.log", extra_env)
        if prefix is not None:  # "" on a Redis of the test's own, shared with a web process
            worker.prefix = prefix
        elif started:  # a restart: the same broker keys as the first one (its queued tasks)
            worker.prefix = started[0].prefix
        started.append(worker)
        return worker.start()

    yield start
    # Last started first: each worker saved the app's broker settings as it found them (a restart
    # finds its predecessor's), so only this order ends with the suite's own settings back.
    for worker in reversed(started):
        if worker.process is not None and worker.process.poll() is None:
            worker.stop()
        else:
            worker._restore_broker()


def database_name() -> str:
    return connection.settings_dict["NAME"]


def python() -> str:
    return sys.executable
