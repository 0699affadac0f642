"""Clean stop: the production worker and `make run` stop within 10 s; a task in flight is requeued."""

import os
import signal
import subprocess
import time
import urllib.request

from django.conf import settings
from django.db import connection

from tests.faults.conftest import ROOT, FaultWorker, figure, free_port, wait_until
from tests.faults.sleepy import fault_sleep_task

STOP_LIMIT_SECONDS = 10


def test_the_worker_stops_within_10_s_and_its_task_in_flight_runs_again(transactional_db, own_redis, tmp_path):
    trace = tmp_path / "sleepy.log"
    # bin/worker as production runs it (prefork pool), on this test's own Redis (no key prefix: the
    # server is ours alone); this process publishes to it.
    harness = FaultWorker(own_redis.url, tmp_path / "unused.log")
    harness.prefix = ""
    harness._publish_to_worker_broker()
    env = {**harness.env(), "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}", "CELERY_QUEUES": "default"}
    try:
        production = _bin_worker(env, tmp_path / "production.log", "stop", "--concurrency", "2")
        try:
            fault_sleep_task.apply_async(kwargs={"path": str(trace), "seconds": 60})
            wait_until(lambda: trace.exists(), 30, "task started")
            started = time.monotonic()
            production.send_signal(signal.SIGTERM)  # what `docker stop` sends
            production.wait(timeout=30)
            stopped_in = time.monotonic() - started
        finally:
            if production.poll() is None:
                _stop(production)
        # The requeued message runs on the next worker.
        again = _bin_worker(env, tmp_path / "again.log", "again", "--pool", "solo")
        try:
            wait_until(lambda: "done" in trace.read_text(), 60, "the requeued task ran again")
        finally:
            _stop(again)
    finally:
        harness._restore_broker()
    figure(
        f"\nFAULT stop: production worker stopped {stopped_in:.1f} s after SIGTERM with a task in flight "
        f"(requeued); it ran again on the next worker: {trace.read_text().split()}"
    )
    assert stopped_in < STOP_LIMIT_SECONDS
    assert trace.read_text().split() == ["start", "start", "done"]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _bin_worker(env: dict, log, name: str, *options) -> subprocess.Popen:
    process = subprocess.Popen(
        ["bin/worker", "--include", "tests.faults.sleepy", "-n", f"{name}-{os.getpid()}@%h", *options],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: b" ready." in log.read_bytes(), 60, f"{name} worker ready")
    except AssertionError:
        _stop(process)
        raise
    return process


def test_make_run_stops_within_10_s_on_ctrl_c(transactional_db, own_redis, tmp_path):
    port = free_port()
    database = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL",)}
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}:{env['PATH']}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        REDIS_URL=own_redis.url,
        BIND=f"127.0.0.1:{port}",
        CRED_ENCRYPTION_KEY=",".join(settings.CRED_ENCRYPTION_KEY),
        LOG_LEVEL="INFO",
        WEB_CONCURRENCY="1",
        CELERY_CONCURRENCY="1",
    )
    log = tmp_path / "run-all.log"
    run_all = subprocess.Popen(
        ["bin/run-all"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until(lambda: _answers(port), 60, "the web process answers")
        wait_until(lambda: b"ready." in log.read_bytes(), 60, "the worker is ready")
        started = time.monotonic()
        os.killpg(run_all.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        run_all.wait(timeout=30)
        wait_until(lambda: not _group_alive(run_all.pid), 15, "every process of make run gone")
        stopped_in = time.monotonic() - started
    finally:
        if _group_alive(run_all.pid):
            os.killpg(run_all.pid, signal.SIGKILL)
    figure(f"\nFAULT stop: make run (web, worker, beat) stopped {stopped_in:.1f} s after Ctrl-C")
    assert stopped_in < STOP_LIMIT_SECONDS


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return response.status in (200, 503)
    except OSError as exc:
        return getattr(exc, "code", None) in (200, 503)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
