"""Webhook ingest benchmark: `POST /webhook/<key>/` against the same server's insert-one-row view.

    .venv/bin/python bench/webhook_ingest.py                 # PostgreSQL scratch database, 10 s per target
    .venv/bin/python bench/webhook_ingest.py --db sqlite --seconds 5 --workers 2 --concurrency 4

What it does, all on loopback:
1. A scratch database: a PostgreSQL database created for the run and dropped after it (`--db
   postgres`, needs 127.0.0.1:5432), or SQLite files in a temporary BALCAO_VAR_DIR (`--db sqlite`).
   The Celery broker is the SQLAlchemy/SQLite transport in the temporary directory (a durable
   publish, as `make run` without Redis; nothing consumes it), unless `--broker` names another.
2. Migrations, a company with a console-provider channel, and the `bench_row` table.
3. gunicorn (`bench.settings`: the app plus `bench/urls.py`) on 127.0.0.1, `--workers` processes.
4. A second process drives each target for `--seconds` (at most `--max-requests`) with
   `--concurrency` threads, one connection per request, after a short warm-up. Each webhook body is a
   new message (unique id) from one of 500 senders, so every request stores an event, a message,
   and enqueues processing.
5. Targets, in one run on the same server: the insert-one-row floor (measured first and last, the
   mean reported), the webhook (the thin request:
   store and publish), the same webhook applied inline as before the thin request
   (`/bench/webhook-inline/<key>/`, bench/urls.py), and the thin webhook again paced at half its
   measured maximum rate (for the p99 goal).
6. Prints requests/s and p50/p99 latency per target, and webhook ÷ minimal ratios. Goal: the thin
   webhook at >= 0.5x the insert's throughput, p99 < 100 ms at half its maximum rate.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SENDERS = 500
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the driver (runs in its own process: `--drive`) ----------------------------------------------


def drive(
    port: int, path: str, kind: str, seconds: float, max_requests: int, concurrency: int, rate: float = 0.0
) -> dict:
    """POST to `path` until `seconds` pass or `max_requests` are sent; latencies in ms, errors counted.

    `rate` > 0 paces the requests (request n starts at n / rate seconds, open loop) instead of
    sending as fast as the threads can."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds
    run = secrets.token_hex(4)

    def body(n: int) -> bytes:
        if kind == "webhook":
            sender = f"55119{(n % SENDERS):08d}"
            return json.dumps({"from": sender, "text": f"quero uma pizza {n}", "id": f"bench-{run}-{n}"}).encode()
        return json.dumps({"n": n, "text": f"quero uma pizza {n}"}).encode()

    def worker():
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            payload = body(n)
            if rate:
                wait = began + n / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                outcome = None if response.status == 200 else f"HTTP {response.status}"
            except OSError as exc:
                outcome = exc.__class__.__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if outcome:
                    errors[outcome] = errors.get(outcome, 0) + 1
                else:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 2) if latencies else 0.0

    return {
        "ok": len(latencies),
        "errors": errors,
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


# --- the orchestrator -----------------------------------------------------------------------------


def environment(args, var_dir: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_ROOT_URLCONF="bench.urls",
        DJANGO_DEBUG="false",
        BALCAO_VAR_DIR=str(var_dir),
        CELERY_BROKER_URL=args.broker or f"sqla+sqlite:///{var_dir / 'celery-broker.sqlite3'}",
        BENCH_CACHE_PREFIX=f"bench-{secrets.token_hex(4)}",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


SETUP = """
import django
django.setup()
from django.db import connection
from conversations.models import Channel
from tenants.scoping import company_scope
from tenants.services import company_create
company, _ = company_create(slug="bench", name="Bench")
company.message_debounce_seconds = 5
company.webhook_rate_limit_per_min = 0
company.save()
with company_scope(company):
    channel = Channel.objects.create(company=company, provider="console", name="bench", status="connected")
with connection.cursor() as cursor:
    pk = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    cursor.execute(f"CREATE TABLE bench_row (id {pk}, body TEXT NOT NULL)")
print(channel.inbound_key)
"""


def run(cmd: list[str], env: dict) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer /health/ in time")


def measure(args, port: int, path: str, kind: str, env: dict, rate: float = 0.0) -> dict:
    """Warm up, then drive `path` from a second process (paced at `rate` req/s when given); its JSON result."""
    base = [PYTHON, str(Path(__file__).resolve()), "--drive", str(port), path, kind]
    common = ["--concurrency", str(args.concurrency)]
    run([*base, "--seconds", "1", "--max-requests", "200", *common], env)
    paced = ["--rate", str(rate)] if rate else []
    out = run([*base, "--seconds", str(args.seconds), "--max-requests", str(args.max_requests), *common, *paced], env)
    return json.loads(out.strip().splitlines()[-1])


def mean_of(first: dict, second: dict) -> dict:
    """Two runs of one target as one: requests added, rates and latencies averaged."""
    return {
        "ok": first["ok"] + second["ok"],
        "errors": {
            k: first["errors"].get(k, 0) + second["errors"].get(k, 0) for k in {*first["errors"], *second["errors"]}
        },
        **{key: round((first[key] + second[key]) / 2, 2) for key in ("seconds", "rps", "p50_ms", "p99_ms")},
    }


def pg_admin(sql: str) -> None:
    import psycopg  # noqa: PLC0415 - only the PostgreSQL mode needs it

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def row_counts(env: dict) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from conversations.models import InboundEvent, Message\n"
        "cur = connection.cursor(); cur.execute('SELECT COUNT(*) FROM bench_row')\n"
        "events = InboundEvent.objects.unscoped().count()  # unscoped: bench totals\n"
        "messages = Message.objects.unscoped().count()  # unscoped: bench totals\n"
        "print(events, messages, cur.fetchone()[0])\n"
    )
    return run([PYTHON, "-c", code], env).strip()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--redis-url", default="", help="cache on Redis (keys prefixed per run, they expire)")
    parser.add_argument("--broker", default="", help="Celery broker URL (default: SQLite file in the temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and database")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 120 and 1 <= args.max_requests <= 1_000_000 and 1 <= args.concurrency <= 64):
        parser.error("--seconds 1..120, --max-requests 1..1000000, --concurrency 1..64")

    var_dir = Path(tempfile.mkdtemp(prefix="balcao-bench-"))
    db_name = f"balcao_bench_{os.getpid()}"
    database_url = ""
    if args.db == "postgres":
        pg_admin(f'CREATE DATABASE "{db_name}"')
        database_url = f"postgresql://postgres@127.0.0.1:5432/{db_name}"
    env = environment(args, var_dir, database_url)
    server = None
    try:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([PYTHON, "manage.py", "createcachetable"], env)
        key = run([PYTHON, "-c", SETUP], env).strip().splitlines()[-1]
        port = free_port()
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(port, server)
        minimal = measure(args, port, "/bench/insert/", "insert", env)
        webhook = measure(args, port, f"/webhook/{key}/", "webhook", env)
        inline = measure(args, port, f"/bench/webhook-inline/{key}/", "webhook", env)
        half = measure(args, port, f"/webhook/{key}/", "webhook", env, rate=max(1.0, webhook["rps"] / 2))
        # The floor again, last: on a shared machine the load drifts; the ratios use the mean.
        minimal = mean_of(minimal, measure(args, port, "/bench/insert/", "insert", env))
        counts = row_counts(env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
            if args.db == "postgres":
                pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

    print(
        f"db={args.db} gunicorn workers={args.workers} client threads={args.concurrency} "
        f"window={args.seconds}s cpus={os.cpu_count()}"
    )
    targets = (
        ("POST /webhook/<key>/ (thin)", webhook),
        ("inline apply (before)", inline),
        ("thin at half its max rate", half),
        ("POST /bench/insert/ (1 row)", minimal),
    )
    print(f"{'target':<30}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  errors")
    for name, result in targets:
        print(
            f"{name:<30}{result['ok']:>10}{result['rps']:>10}{result['p50_ms']:>10}{result['p99_ms']:>10}"
            f"  {result['errors'] or '-'}"
        )
    for name, result in (("thin webhook", webhook), ("inline webhook (before)", inline)):
        ratio_rps = result["rps"] / minimal["rps"] if minimal["rps"] else float("nan")
        ratio_p50 = result["p50_ms"] / minimal["p50_ms"] if minimal["p50_ms"] else float("nan")
        ratio_p99 = result["p99_ms"] / minimal["p99_ms"] if minimal["p99_ms"] else float("nan")
        print(f"{name} / minimal: throughput {ratio_rps:.2f}x, p50 {ratio_p50:.2f}x, p99 {ratio_p99:.2f}x")
    goal = webhook["rps"] >= 0.5 * minimal["rps"] and half["p99_ms"] < 100
    print(f"goal (thin >= 0.5x the insert, p99 < 100 ms at half its max rate): {'met' if goal else 'NOT met'}")
    print(f"rows after the run (inbound events, messages, bench rows): {counts}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        parser = argparse.ArgumentParser()
        parser.add_argument("--drive", type=int, dest="port")
        parser.add_argument("path")
        parser.add_argument("kind", choices=("webhook", "insert"))
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--max-requests", type=int, required=True)
        parser.add_argument("--concurrency", type=int, required=True)
        parser.add_argument("--rate", type=float, default=0.0)
        opts = parser.parse_args()
        result = drive(opts.port, opts.path, opts.kind, opts.seconds, opts.max_requests, opts.concurrency, opts.rate)
        print(json.dumps(result))
    else:
        main(sys.argv[1:])
