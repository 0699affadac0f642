# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""Time of the dashboard page and of /api/dashboard/ as the company's orders grow.

    .venv/bin/python bench/dashboard_page.py                      # 100,000 orders over a year
    .venv/bin/python bench/dashboard_page.py --orders 10000 100000 --repeat 5
    .venv/bin/python bench/dashboard_page.py --days 40            # worst case: 3/4 of them in the last 30 days

A scratch PostgreSQL database (bench/scratch.py) is filled by console.tests.sample (the builder
of the dashboard tests: per order two items, a message in and one out; Pix payments, bot and
WooCommerce carts, leads; spread over `--days` days, a year by default), VACUUM ANALYZEd, then the company's manager opens the
page and the API: one warm-up, one request counting queries, `--repeat` timed (median and max).
Goal: under 500 ms at 100k orders. A script, not a test.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import in_scratch_database, measure  # noqa: E402 - needs the project root on the path

URLS = ("/admin/?period=7d", "/admin/?period=30d", "/api/dashboard/?period=30d")
FLOOR_URL = "/admin/apps/"  # the floor: an admin page of the same user with no figures (Django's model list)


def slowest_queries(client, url: str, top: int = 8) -> list[tuple[float, str, object]]:
    """(ms, SQL, params) of the page's slowest queries, one request."""
    from django.db import connection

    timed = []

    def timer(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - began) * 1000, sql, params))

    with connection.execute_wrapper(timer):
        client.get(url)
    return sorted(timed, key=lambda row: row[0], reverse=True)[:top]


def child(sizes: list[int], repeat: int, days: int, explain: bool = False) -> list[dict]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from console.tests.sample import dashboard_sample_fill
    from tenants.models import Company, Membership
    from tenants.scoping import company_scope

    rows = []
    for size in sizes:
        began = time.perf_counter()
        company = Company.objects.create(name=f"bench{size}", slug=f"bench{size}")
        user = get_user_model().objects.create(username=f"bench{size}", is_staff=True)
        Membership.objects.for_company(company).create(company=company, user=user, role=Membership.Role.MANAGER)
        with company_scope(company):
            dashboard_sample_fill(company, orders=size, days=days)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a settled table: index-only scans can skip the heap
        print(f"{size} orders built in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        floor = measure(lambda c=client: c.get(FLOOR_URL), repeat)
        if explain:
            for url in URLS[1:2]:
                slowest = slowest_queries(client, url)
                for ms, sql, _params in slowest:
                    print(f"{ms:8.1f} ms  {sql[:600]}", file=sys.stderr)
                for _ms, sql, params in slowest[:3]:
                    if sql.lstrip().upper().startswith("SELECT"):
                        with connection.cursor() as cursor:
                            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                            print("\n".join(row[0] for row in cursor.fetchall()), file=sys.stderr)
        for url in (FLOOR_URL, *URLS):
            row = floor if url == FLOOR_URL else measure(lambda c=client, u=url: c.get(u), repeat)
            rows.append(
                {
                    "orders": size,
                    "url": url,
                    "queries": row["queries"],
                    "median_ms": row["ms"],
                    "max_ms": row["max"],
                    "ratio": row["ms"] / floor["ms"] if floor["ms"] else 0.0,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--days", type=int, default=365, help="the orders are spread over this many days")
    parser.add_argument("--explain", action="store_true", help="print the 30-day page's slowest queries")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.orders, args.repeat, args.days, args.explain)))
        return
    command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat), "--days", str(args.days)]
    command += ["--explain"] if args.explain else []
    results, _redis = in_scratch_database([*command, "--orders", *map(str, args.orders)])
    print(f"orders spread over {args.days} days; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"floor: {FLOOR_URL} measured in the same run; ratio = median / floor median")
    print(f"{'orders':>8}  {'page':<28} {'queries':>7} {'median ms':>10} {'max ms':>8} {'ratio':>6}")
    for row in results:
        goal = "" if row["url"] == FLOOR_URL or row["median_ms"] < 500 else "  <- over the 500 ms goal"
        print(
            f"{row['orders']:>8}  {row['url']:<28} {row['queries']:>7} {row['median_ms']:>10.0f}"
            f" {row['max_ms']:>8.0f} {row['ratio']:>5.1f}x{goal}"
        )


if __name__ == "__main__":
    main()
