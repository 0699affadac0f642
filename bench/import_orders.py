# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""WooCommerce order import benchmark: classic orders with items, MariaDB source -> PostgreSQL target.

    .venv/bin/python bench/import_orders.py                    # 10,000 then 100,000 orders
    .venv/bin/python bench/import_orders.py --sizes 2000 20000
    .venv/bin/python bench/import_orders.py --sizes 10000 --tracemalloc

One scratch MariaDB database (127.0.0.1:3306, root) with the real WordPress/WooCommerce tables is
filled with max(--sizes) `shop_order` posts (11 postmeta rows each; 5,000 distinct customers) and 2
line items per order (4 item meta rows each), one order a minute from 2024-01-01. One scratch
PostgreSQL database (127.0.0.1:5432, postgres) is migrated. Then, for each size N, a fresh child
process imports the first N orders (a date range) into a new company through `import_run_execute`
(the code path of the command and of the background task) and reports:

- orders/s and rows/s (orders + items written);
- peak memory: the child's peak RSS while importing, sampled every 50 ms, and its growth over the
  RSS just before the import (Django loaded, nothing imported). A fresh process per size keeps one
  size's peak from hiding the next one's. `--tracemalloc` adds the Python heap peak (slower).

Both databases are dropped afterwards. A script, not a test. `MYSQL_URL` / `BENCH_PG_URL` override
the servers.
"""

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)
PREFIX = "wp_"
CHUNK = 5000
CUSTOMERS = 5000  # repeat customers, like a real store
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def mysql_server() -> dict:
    parts = urlsplit(os.environ.get("MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }


def created_at(order_id: int) -> datetime:
    return FIRST_DAY + timedelta(minutes=order_id)


def build_source(admin, name: str, orders: int) -> None:
    """The database with WordPress core + order item tables, filled in chunks of CHUNK orders."""
    import pymysql  # noqa: F401 - the admin connection's module

    from integrations.wordpress.tests.schema import ORDER_ITEMS, WORDPRESS_CORE

    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci")
        cur.execute(f"USE `{name}`")
        for ddl in WORDPRESS_CORE + ORDER_ITEMS:
            cur.execute(ddl.replace("{p}", PREFIX))
        item_id = 0
        for first in range(1, orders + 1, CHUNK):
            ids = range(first, min(first + CHUNK, orders + 1))
            posts, meta, items, item_meta = [], [], [], []
            for order_id in ids:
                created = created_at(order_id)
                posts.append((order_id, created.strftime("%Y-%m-%d %H:%M:%S"), f"Order &ndash; {order_id}"))
                person = order_id % CUSTOMERS
                for key, value in (
                    ("_order_key", f"wc_order_{order_id}"),
                    ("_customer_user", "0"),
                    ("_order_currency", "BRL"),
                    ("_billing_first_name", "Cliente"),
                    ("_billing_last_name", f"Número {person}"),
                    ("_billing_email", f"cliente{person}@example.com"),
                    ("_billing_phone", f"(11) 9{9000 + person % 1000:04d}-{person:04d}"),
                    ("_order_total", "189.80"),
                    ("_payment_method", "pix"),
                    ("_date_paid", str(int(created.timestamp()))),
                    ("_paid_date", created.strftime("%Y-%m-%d %H:%M:%S")),
                ):
                    meta.append((order_id, key, value))
                for item_name, qty, total in (("Tênis Côrrida - 38", 1, "129.90"), ("Meia Básica", 2, "59.90")):
                    item_id += 1
                    items.append((item_id, item_name, order_id))
                    for key, value in (
                        ("_product_id", "30"),
                        ("_variation_id", "0"),
                        ("_qty", str(qty)),
                        ("_line_total", total),
                    ):
                        item_meta.append((item_id, key, value))
            cur.execute("START TRANSACTION")
            cur.executemany(
                f"INSERT INTO {PREFIX}posts (ID, post_date, post_date_gmt, post_title, post_status, post_type,"
                " post_content, post_excerpt, to_ping, pinged, post_content_filtered)"
                " VALUES (%s, %s, %s, %s, 'wc-completed', 'shop_order', '', '', '', '', '')",
                [(i, d, d, t) for i, d, t in posts],
            )
            cur.executemany(f"INSERT INTO {PREFIX}postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)", meta)
            cur.executemany(
                f"INSERT INTO {PREFIX}woocommerce_order_items (order_item_id, order_item_name, order_item_type,"
                " order_id) VALUES (%s, %s, 'line_item', %s)",
                items,
            )
            cur.executemany(
                f"INSERT INTO {PREFIX}woocommerce_order_itemmeta (order_item_id, meta_key, meta_value)"
                " VALUES (%s, %s, %s)",
                item_meta,
            )
            cur.execute("COMMIT")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


class PeakRSS(threading.Thread):
    """Samples this process's RSS every 50 ms until stopped; `peak` is the largest value seen."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_bytes()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(0.05):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, rss_bytes())
        return self.peak


def child(size: int, source_db: str, use_tracemalloc: bool) -> dict:
    """Import the first `size` orders of `source_db` into a new company (runs in its own process)."""
    import django

    django.setup()
    import tracemalloc

    from leads.models import ImportRun
    from leads.services.imports import import_run_create, import_run_execute
    from orders.models import Order, OrderItem
    from tenants.models import Company
    from tenants.services import company_setting_set

    server = mysql_server()
    company = Company.objects.create(slug=f"bench-{size}-{secrets.token_hex(3)}", name=f"Bench {size}")
    for key, value, kind in (
        ("wp_db_host", server["host"], "string"),
        ("wp_db_port", server["port"], "number"),
        ("wp_db_name", source_db, "string"),
        ("wp_db_user", server["user"], "string"),
        ("wp_table_prefix", PREFIX, "string"),
    ):
        company_setting_set(company=company, key=key, value=value, value_type=kind)
    if server["password"]:
        company_setting_set(company=company, key="wp_db_password", value=server["password"], value_type="secret")
    # Orders 1..size were created at minutes 1..size after FIRST_DAY.
    run = import_run_create(
        company=company, kind="orders", start=FIRST_DAY, end=created_at(size) + timedelta(seconds=1)
    )
    if use_tracemalloc:
        tracemalloc.start()
    rss_before = rss_bytes()
    sampler = PeakRSS()
    sampler.start()
    cpu_began = time.process_time()
    began = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        run = profile.runcall(import_run_execute, run=run)
        order = "tottime" if os.environ["BENCH_PROFILE"] == "tottime" else "cumulative"
        pstats.Stats(profile, stream=sys.stderr).sort_stats(order).print_stats(40)
    elif os.environ.get("BENCH_SQL"):
        from django.db import connection

        spent: dict[str, list] = {}

        def timed(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                figures = spent.setdefault(sql[:110], [0, 0.0])
                figures[0] += 1
                figures[1] += time.perf_counter() - began

        with connection.execute_wrapper(timed):
            run = import_run_execute(run=run)
        for sql, (count, total) in sorted(spent.items(), key=lambda item: -item[1][1])[:15]:
            print(f"{total:7.3f} s {count:5d}x {sql}", file=sys.stderr)
    else:
        run = import_run_execute(run=run)
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    peak_rss = sampler.stop()
    heap_peak = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
    if run.status != ImportRun.Status.SUCCEEDED:
        raise SystemExit(f"import failed: {run.error}")
    imported = Order.objects.for_company(company).count()
    items = OrderItem.objects.for_company(company).count()
    copy_seconds = copy_floor(company)
    if (imported, items) != (size, 2 * size):
        raise SystemExit(f"expected {size} orders and {2 * size} items, got {imported} and {items}")
    return {
        "orders": imported,
        "items": items,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_before_mib": rss_before / 2**20,
        "peak_rss_mib": peak_rss / 2**20,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "heap_peak_mib": heap_peak / 2**20 if heap_peak is not None else None,
        "summary": run.summary["orders"] | {"errors": len(run.summary["orders"]["errors"])},
        "copy_seconds": copy_seconds,
    }


def copy_floor(company) -> float:
    """Seconds a plain COPY of the same rows (the imported orders and items, read back as tuples) takes
    into two empty tables shaped like them: the floor the import is compared with, in the same run."""
    from django.db import connection

    from orders.models import Order, OrderItem

    tables = []
    for model in (Order, OrderItem):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {columns} FROM "{model._meta.db_table}" WHERE company_id = %s', [company.pk])
            rows = cursor.fetchall()
            cursor.execute(
                f'CREATE TEMP TABLE "floor_{model._meta.db_table}" AS SELECT {columns} FROM "{model._meta.db_table}" WITH NO DATA'
            )
        tables.append((f"floor_{model._meta.db_table}", columns, rows))
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for table, columns, rows in tables:
            with cursor.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
    return time.perf_counter() - began


def django_env(pg_name: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG_URL}/{pg_name}",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
        "DJANGO_DEBUG": "false",  # no query log growing in memory
        "ALLOW_PRIVATE_PROVIDER_URLS": "true",  # the store database is the local MariaDB
    }


def report(result: dict) -> str:
    rows = result["orders"] + result["items"]
    line = (
        f"  imported {result['orders']} orders + {result['items']} items in {result['seconds']:.1f} s: "
        f"{result['orders'] / result['seconds']:.0f} orders/s, {rows / result['seconds']:.0f} rows/s "
        f"(this process's CPU: {result['cpu_seconds']:.1f} s); "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB (+{result['peak_rss_mib'] - result['rss_before_mib']:.0f} MiB "
        f"over {result['rss_before_mib']:.0f} MiB before the import)"
    )
    line += (
        f"; a COPY of the same rows: {result['copy_seconds']:.2f} s, the import runs at "
        f"{100 * result['copy_seconds'] / result['seconds']:.1f}% of COPY speed (goal >= 10%)"
    )
    if result["heap_peak_mib"] is not None:
        line += f"; Python heap peak {result['heap_peak_mib']:.1f} MiB"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak (slower)")
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "SOURCE_DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.tracemalloc)))
        return

    import psycopg
    import pymysql

    pg_name = f"balcao_bench_{secrets.token_hex(4)}"
    source_db = f"wp_bench_{secrets.token_hex(4)}"
    env = django_env(pg_name)
    admin = pymysql.connect(**mysql_server(), charset="utf8mb4", autocommit=True)
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{pg_name}"')
    try:
        began = time.perf_counter()
        build_source(admin, source_db, max(args.sizes))
        print(f"source built: {max(args.sizes)} classic orders in {time.perf_counter() - began:.0f} s", flush=True)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "createcachetable", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        for size in args.sizes:
            print(f"{size} orders:", flush=True)
            command = [sys.executable, __file__, "--child", str(size), source_db]
            if args.tracemalloc:
                command.append("--tracemalloc")
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the {size}-order import failed:\n{done.stderr[-3000:]}")
            if os.environ.get("BENCH_PROFILE") or os.environ.get("BENCH_SQL"):
                print(done.stderr[-12000:], file=sys.stderr)
            print(report(json.loads(done.stdout.strip().splitlines()[-1])), flush=True)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{source_db}`")
        admin.close()
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
