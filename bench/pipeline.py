"""Pipeline benchmark: N webhooks from N customers until every reply is sent, through the real stack.

    .venv/bin/python bench/pipeline.py --messages 200 --redis-url redis://127.0.0.1:6379/13

What it does, all on loopback:
1. A scratch PostgreSQL database (created for the run, dropped after it), migrations, the demo
   company (`load_demo`: console provider, the pizzeria flow) with a debounce of 0 and no rate limit.
2. gunicorn (`--workers`) and one Celery worker (`--worker-concurrency`, queues webhooks, outbound,
   default) on Redis as broker and cache (`--redis-url`; keys prefixed per run).
3. `--messages` webhooks, each from a different customer ("oi"), posted by `--concurrency` threads.
4. Waits until every customer has a sent reply. Prints inbound messages/s end to end (first post →
   last first reply sent), the time until every reply of the turn was sent (delayed ones too),
   the processing latency p50/p99 (inbound stored → its reply sent), and the queries per processed
   message, counted in a separate in-process pass (`--query-sample`
   messages: webhook request, processing and send, tasks run eagerly) on the same database.

`--floor` measures, with the same server, worker, client and wait, the pipeline doing no work:
each post publishes a Celery task that inserts one row (`bench/tasks.py`); it prints the rows/s
end to end, the ceiling this machine puts on any pipeline of one task per message.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.webhook_ingest import PYTHON, ROOT, free_port, pg_admin, run, wait_until_up  # noqa: E402

SETUP = """
import django
django.setup()
from conversations.models import Channel
from tenants.demo import load_demo
from tenants.scoping import company_scope
company, _, _ = load_demo()
company.message_debounce_seconds = 0
company.webhook_rate_limit_per_min = 0
company.save()
with company_scope(company):
    print(Channel.objects.get().inbound_key)
"""

RESULTS = """
import django, json, sys
django.setup()
from conversations.models import Message
first = {}
replies = {}
rows = Message.objects.unscoped().values_list("conversation_id", "direction", "created_at", "sent_at")  # unscoped: bench
for conversation_id, direction, created_at, sent_at in rows.order_by("id"):
    if direction == "in":
        first.setdefault(conversation_id, created_at)
    elif sent_at is not None:
        replies.setdefault(conversation_id, sent_at)
latencies = sorted((replies[c] - first[c]).total_seconds() * 1000 for c in replies if c in first)
print(json.dumps({"inbound": len(first), "answered": len(replies), "latencies": latencies}))
"""

QUERIES = """
import django, json, sys
django.setup()
from django.conf import settings
settings.CELERY_TASK_ALWAYS_EAGER = True
from config.celery_app import app
app.conf.task_always_eager = True
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
key, count = sys.argv[1], int(sys.argv[2])
client = Client(HTTP_HOST="127.0.0.1")
url = reverse("webhook", args=[key])
with CaptureQueriesContext(connection) as captured:
    for n in range(count):
        body = {"from": f"55219{n:08d}", "text": "oi", "id": f"q-{n}"}
        assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200
from conversations.models import Message
sent = Message.objects.unscoped().filter(direction="out", sent_at__isnull=False).count()  # unscoped: bench
print(json.dumps({"messages": count, "queries": len(captured.captured_queries), "sent": sent}))
"""


def post_all(port: int, path: str, count: int, concurrency: int) -> list[str]:
    """Post `count` first messages from `count` customers; the errors, if any."""
    run_id = secrets.token_hex(3)
    counter = iter(range(count))
    lock = threading.Lock()
    errors: list[str] = []

    def worker():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = json.dumps({"from": f"55119{n:08d}", "text": "oi", "id": f"p-{run_id}-{n}"}).encode()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    errors.append(f"HTTP {response.status}")
            except OSError as exc:
                errors.append(exc.__class__.__name__)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


ANSWERED = (
    "SELECT COUNT(DISTINCT conversation_id) FROM conversations_message WHERE direction = 'out' AND sent_at IS NOT NULL"
)
FLOOR_ROWS = "SELECT COUNT(*) FROM bench_row"
UNSENT = "SELECT COUNT(*) FROM conversations_message WHERE direction = 'out' AND sent_at IS NULL"


def answered_count(database_url: str, sql: str = ANSWERED) -> int:
    """Conversations with a sent reply (or, with FLOOR_ROWS, the floor's rows)."""
    global _poll_connection  # noqa: PLW0603 - one connection for the whole wait
    if _poll_connection is None:
        _poll_connection = _connect(database_url)
    return _poll_connection.execute(sql).fetchone()[0]


def _connect(database_url: str):
    import psycopg  # noqa: PLC0415 - the bench's own connection, outside Django

    return psycopg.connect(database_url, autocommit=True)


_poll_connection = None


def results(env: dict) -> dict:
    return json.loads(run([PYTHON, "-c", RESULTS], env).strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="broker and cache")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up waiting for replies after this")
    parser.add_argument("--query-sample", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--floor", action="store_true", help="a bare one-INSERT task per post instead")
    args = parser.parse_args(argv)
    if not (1 <= args.messages <= 100_000 and 1 <= args.concurrency <= 64 and 1 <= args.query_sample <= 1000):
        parser.error("--messages 1..100000, --concurrency 1..64, --query-sample 1..1000")

    var_dir = Path(tempfile.mkdtemp(prefix="balcao-pipeline-"))
    db_name = f"balcao_pipeline_{os.getpid()}"
    pg_admin(f'CREATE DATABASE "{db_name}"')
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_ROOT_URLCONF="bench.urls",
        DJANGO_DEBUG="false",
        BALCAO_VAR_DIR=str(var_dir),
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{db_name}",
        CELERY_BROKER_URL=args.redis_url,
        REDIS_URL=args.redis_url,
        BENCH_CACHE_PREFIX=f"pipeline-{secrets.token_hex(4)}",
        PYTHONPATH=str(ROOT),
    )
    processes: list[subprocess.Popen] = []
    try:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([PYTHON, "manage.py", "createcachetable"], env)
        key = run([PYTHON, "-c", SETUP], env).strip().splitlines()[-1]
        if args.floor:
            with _connect(env["DATABASE_URL"]) as setup:
                setup.execute("CREATE TABLE bench_row (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
        port = free_port()
        bin_dir = Path(PYTHON).parent
        quiet = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes.append(
            subprocess.Popen(
                [str(bin_dir / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(args.workers)],
                **quiet,
            )
        )
        processes.append(
            subprocess.Popen(
                [str(bin_dir / "celery"), "-A", "config.celery_app", "worker", "-Q", "webhooks,outbound,default"]
                + ["-I", "bench.tasks"]
                + ["-c", str(args.worker_concurrency), "--loglevel", "ERROR", "--without-gossip", "--without-mingle"],
                **quiet,
            )
        )
        wait_until_up(port, processes[0])
        began = time.perf_counter()
        errors = post_all(
            port, "/bench/task-insert/" if args.floor else f"/webhook/{key}/", args.messages, args.concurrency
        )
        posted = time.perf_counter() - began
        deadline = time.perf_counter() + args.timeout
        # Polled with one SQL query on one connection: a Django process started per poll would
        # take a core from the pipeline it measures.
        done_sql = FLOOR_ROWS if args.floor else ANSWERED
        while (
            done := answered_count(env["DATABASE_URL"], done_sql)
        ) < args.messages and time.perf_counter() < deadline:
            time.sleep(0.1)
        wall = time.perf_counter() - began
        # The turn's later replies (the flow's delayed messages) were queued with the first one.
        while answered_count(env["DATABASE_URL"], UNSENT) and not args.floor and time.perf_counter() < deadline:
            time.sleep(0.1)
        wall_all = time.perf_counter() - began
        if args.floor:
            print(f"floor: {done}/{args.messages} one-INSERT tasks in {wall:.2f}s: {done / wall:.1f}/s end to end")
            print(f"posted in {posted:.2f}s, errors: {errors[:5] or '-'}")
            return
        got = results(env)
        queries = json.loads(run([PYTHON, "-c", QUERIES, key, str(args.query_sample)], env).strip().splitlines()[-1])
    finally:
        if _poll_connection is not None:
            _poll_connection.close()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
            pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

    latencies = got["latencies"]

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else 0.0

    # Polling adds <= 0.1 s to the wall time.
    print(
        f"messages={args.messages} gunicorn workers={args.workers} celery concurrency={args.worker_concurrency} "
        f"client threads={args.concurrency} cpus={os.cpu_count()}"
    )
    print(f"posted in {posted:.2f}s ({args.messages / posted:.1f} webhooks/s), errors: {errors[:5] or '-'}")
    print(
        f"answered {got['answered']}/{got['inbound']} in {wall:.2f}s: {got['answered'] / wall:.1f} inbound msg/s end to end"
    )
    print(f"processing latency (stored → reply sent): p50 {pct(0.5)} ms, p99 {pct(0.99)} ms")
    print(f"every reply of the turn (the flow's delayed ones too) sent after {wall_all:.2f}s")
    per_message = queries["queries"] / queries["messages"]
    print(
        f"queries per processed message (webhook + processing + send, {queries['messages']} msgs): {per_message:.1f}, "
        f"(replies sent in the database by then: {queries['sent']})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
