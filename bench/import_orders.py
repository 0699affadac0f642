# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""WooCommerce order import benchmark: classic orders with items, MariaDB source -> PostgreSQL target.

    .venv/bin/python bench/import_orders.py                    # 10,000 then 100,000 orders
    .venv/bin/python bench/import_orders.py --sizes 2000 20000

For each size: a scratch MariaDB database (127.0.0.1:3306, root) with the real WordPress/WooCommerce
tables is filled with N `shop_order` posts (11 postmeta rows each) and 2 line items per order (4
item meta rows each); a scratch PostgreSQL database (127.0.0.1:5432, postgres) is migrated; then the
"orders" import runs through `import_run_execute`. Prints rows/s and the Python heap peak during
the import (tracemalloc, reset per size) plus the process max RSS. Both databases are dropped after.
A script, not a test. `MYSQL_URL` / `BENCH_PG_URL` override the servers.
"""

import argparse
import os
import resource
import secrets
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = f"balcao_bench_{secrets.token_hex(4)}"
os.environ["DATABASE_URL"] = f"{PG_URL}/{PG_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"  # no query log growing in memory

import psycopg  # noqa: E402
import pymysql  # noqa: E402

ORDER_TABLES_FROM = "integrations.wordpress.tests.schema"
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 2000


def mysql_server() -> dict:
    parts = urlsplit(os.environ.get("MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }


def build_source(admin, name: str, prefix: str, orders: int) -> None:
    """The database with WordPress core + order item tables, filled in chunks of CHUNK orders."""
    from integrations.wordpress.tests.schema import ORDER_ITEMS, WORDPRESS_CORE

    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci")
        cur.execute(f"USE `{name}`")
        for ddl in WORDPRESS_CORE + ORDER_ITEMS:
            cur.execute(ddl.replace("{p}", prefix))
        item_id = 0
        for first in range(1, orders + 1, CHUNK):
            ids = range(first, min(first + CHUNK, orders + 1))
            posts, meta, items, item_meta = [], [], [], []
            for order_id in ids:
                created = FIRST_DAY + timedelta(minutes=order_id)
                posts.append((order_id, created.strftime("%Y-%m-%d %H:%M:%S"), f"Order &ndash; {order_id}"))
                person = order_id % 5000  # repeat customers, like a real store
                for key, value in (
                    ("_order_key", f"wc_order_{order_id}"),
                    ("_customer_user", "0"),
                    ("_order_currency", "BRL"),
                    ("_billing_first_name", "Cliente"),
                    ("_billing_last_name", f"Número {person}"),
                    ("_billing_email", f"cliente{person}@example.com"),
                    ("_billing_phone", f"(11) 9{person:04d}-{order_id % 10000:04d}"[:15]),
                    ("_order_total", "189.80"),
                    ("_payment_method", "pix"),
                    ("_date_paid", str(int(created.timestamp()))),
                    ("_paid_date", created.strftime("%Y-%m-%d %H:%M:%S")),
                ):
                    meta.append((order_id, key, value))
                for name, qty, total in (("Tênis Côrrida - 38", 1, "129.90"), ("Meia Básica", 2, "59.90")):
                    item_id += 1
                    items.append((item_id, name, order_id))
                    for key, value in (
                        ("_product_id", "30"),
                        ("_variation_id", "0"),
                        ("_qty", str(qty)),
                        ("_line_total", total),
                    ):
                        item_meta.append((item_id, key, value))
            cur.executemany(
                f"INSERT INTO {prefix}posts (ID, post_date, post_date_gmt, post_title, post_status, post_type,"
                " post_content, post_excerpt, to_ping, pinged, post_content_filtered)"
                " VALUES (%s, %s, %s, %s, 'wc-completed', 'shop_order', '', '', '', '', '')",
                [(i, d, d, t) for i, d, t in posts],
            )
            cur.executemany(f"INSERT INTO {prefix}postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)", meta)
            cur.executemany(
                f"INSERT INTO {prefix}woocommerce_order_items (order_item_id, order_item_name, order_item_type,"
                " order_id) VALUES (%s, %s, 'line_item', %s)",
                items,
            )
            cur.executemany(
                f"INSERT INTO {prefix}woocommerce_order_itemmeta (order_item_id, meta_key, meta_value)"
                " VALUES (%s, %s, %s)",
                item_meta,
            )


def run_size(orders: int, server: dict) -> dict:
    from leads.models import ImportRun
    from leads.services.imports import import_run_create, import_run_execute
    from orders.models import Order, OrderItem
    from tenants.models import Company
    from tenants.services import company_setting_set

    prefix, name = "wp_", f"wp_bench_{secrets.token_hex(4)}"
    admin = pymysql.connect(**server, charset="utf8mb4", autocommit=True)
    try:
        began = time.perf_counter()
        build_source(admin, name, prefix, orders)
        print(f"  source built: {orders} orders in {time.perf_counter() - began:.1f} s", flush=True)
        company = Company.objects.create(slug=f"bench-{orders}-{secrets.token_hex(3)}", name=f"Bench {orders}")
        for key, value, kind in (
            ("wp_db_host", server["host"], "string"),
            ("wp_db_port", server["port"], "number"),
            ("wp_db_name", name, "string"),
            ("wp_db_user", server["user"], "string"),
            ("wp_table_prefix", prefix, "string"),
        ):
            company_setting_set(company=company, key=key, value=value, value_type=kind)
        if server["password"]:
            company_setting_set(company=company, key="wp_db_password", value=server["password"], value_type="secret")
        run = import_run_create(company=company, kind="orders", start=FIRST_DAY, end=FIRST_DAY + timedelta(days=400))
        tracemalloc.reset_peak()
        began = time.perf_counter()
        run = import_run_execute(run=run)
        seconds = time.perf_counter() - began
        _current, peak = tracemalloc.get_traced_memory()
        assert run.status == ImportRun.Status.SUCCEEDED, run.error
        imported = Order.objects.for_company(company).count()
        items = OrderItem.objects.for_company(company).count()
        assert (imported, items) == (orders, 2 * orders), (imported, items)
        return {"orders": orders, "items": items, "seconds": seconds, "peak_mib": peak / 2**20}
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{PG_NAME}"')
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        tracemalloc.start()
        results = []
        for size in args.sizes:
            print(f"{size} orders:", flush=True)
            result = run_size(size, mysql_server())
            results.append(result)
            print(
                f"  imported in {result['seconds']:.1f} s: {result['orders'] / result['seconds']:.0f} orders/s "
                f"({(result['orders'] + result['items']) / result['seconds']:.0f} rows/s incl. items); "
                f"heap peak {result['peak_mib']:.1f} MiB; max RSS so far "
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                flush=True,
            )
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
