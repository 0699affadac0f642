# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""Recovery figures at full size: 100,000 imported carts and 200,000 orders in one company.

    .venv/bin/python bench/recovery_figures.py                       # 100k carts, 200k orders
    .venv/bin/python bench/recovery_figures.py --carts 10000 --orders 20000 --repeat 3

A scratch PostgreSQL database (bench/scratch.py) gets one company with `--customers` customers (a
phone and an e-mail identity each), `--carts` WooCommerce carts (abandoned/lost/completed, with
their own contact data) and `--orders` orders (mostly completed, some pending and cancelled) spread
over a year, plus another company of the same size (so nothing reads every tenant's rows). Then:

- the set-based match (`recovery_refresh`, once after an import): its time;
- `recovery_summary` (the figures): median of `--repeat` calls, goal ≤ 500 ms;
- the imported-cart admin list and /api/analytics/recovery/: median ms and queries, goal ≤ 300 ms;
- the figures equal the rows behind each filter (recovered/waiting/abandoned).

A script, not a test.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import in_scratch_database, measure  # noqa: E402 - needs the project root on the path

START = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 5000


def fill(company, customers: int, carts: int, orders: int, seed: int) -> None:
    from carts.models import Cart
    from customers.models import Customer, CustomerIdentity
    from orders.models import Order

    rng = random.Random(seed)
    people = []
    for first in range(0, customers, CHUNK):
        batch = [
            Customer(company=company, name=f"Cliente {n}", phone=f"+55119{n:08d}", email=f"c{n}@example.com")
            for n in range(first, min(first + CHUNK, customers))
        ]
        people += Customer.objects.for_company(company).bulk_create(batch)
    for first in range(0, customers, CHUNK):
        CustomerIdentity.objects.for_company(company).bulk_create(
            [
                CustomerIdentity(company=company, customer=p, kind=kind, value=value)
                for p in people[first : first + CHUNK]
                for kind, value in (("phone", p.phone), ("email", p.email))
            ]
        )
    year = 365 * 24 * 3600
    statuses = ["completed"] * 8 + ["pending", "cancelled"]
    for first in range(0, orders, CHUNK):
        batch = []
        for _ in range(first, min(first + CHUNK, orders)):
            person = rng.choice(people)
            batch.append(
                Order(
                    company=company, customer=person, source="woocommerce", status=rng.choice(statuses),
                    placed_at=START + timedelta(seconds=rng.randrange(year)), total=Decimal(rng.randrange(50, 500)),
                    contact_email=person.email, contact_phone=person.phone,
                )
            )  # fmt: skip
        Order.objects.for_company(company).bulk_create(batch)
    kinds = [("abandoned", "abandoned")] * 7 + [("lost", "lost"), ("checked_out", "completed"), ("open", "normal")]
    for first in range(0, carts, CHUNK):
        batch = []
        for n in range(first, min(first + CHUNK, carts)):
            person = rng.choice(people)
            status, external = rng.choice(kinds)
            batch.append(
                Cart(
                    company=company, customer=person, source="woocommerce", external_id=f"s{n}", status=status,
                    external_status=external, last_activity_at=START + timedelta(seconds=rng.randrange(year)),
                    external_total=Decimal(rng.randrange(50, 500)), contact_email=person.email,
                    contact_phone=person.phone if n % 3 else "",
                )
            )  # fmt: skip
        Cart.objects.for_company(company).bulk_create(batch)


def child(customers: int, carts: int, orders: int, repeat: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from carts.models import Cart
    from leads.recovery import filter_recovery_status, recovery_refresh, recovery_summary
    from tenants.models import Company, Membership
    from tenants.scoping import company_scope

    began = time.perf_counter()
    company = Company.objects.create(name="bench", slug="bench")
    other = Company.objects.create(name="other", slug="other")
    for n, target in enumerate((company, other)):
        with company_scope(target):
            fill(target, customers, carts, orders, seed=n)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - began
    print(f"built in {built:.0f} s", file=sys.stderr, flush=True)

    began = time.perf_counter()
    changed = recovery_refresh(company)
    refresh_s = time.perf_counter() - began

    now = timezone.now()
    summary_ms = []
    for _ in range(repeat + 1):
        began = time.perf_counter()
        figures = recovery_summary(company, now=now)
        summary_ms.append((time.perf_counter() - began) * 1000)
    if os.environ.get("BENCH_QUERIES"):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            recovery_summary(company, now=now)
        for query in captured.captured_queries:
            print(query["time"], query["sql"][:160].replace("\n", " "), file=sys.stderr)
    carts_qs = Cart.objects.for_company(company)
    behind = {
        status: filter_recovery_status(carts_qs, status, now=now).count()
        for status in ("recovered", "waiting", "abandoned")
    }

    user = get_user_model().objects.create(username="bench", is_staff=True)
    Membership.objects.for_company(company).create(company=company, user=user, role=Membership.Role.MANAGER)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    pages = {}
    for url in ("/admin/leads/importedcart/", "/api/analytics/recovery/", "/api/carts/?status=recovered"):
        pages[url] = measure(lambda u=url: client.get(u), repeat)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(client.get, url)
            print(url, file=sys.stderr)
            pstats.Stats(profile, stream=sys.stderr).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(30)
        if os.environ.get("BENCH_QUERIES"):
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            print(url, file=sys.stderr)
            for query in captured.captured_queries:
                print("  ", query["time"], query["sql"][:200].replace("\n", " "), file=sys.stderr)
    return {
        "customers": customers,
        "carts": carts,
        "orders": orders,
        "refresh_s": refresh_s,
        "carts_matched": changed,
        "summary_ms": statistics.median(summary_ms[1:]),
        "figures": {k: str(v) for k, v in figures.items()},
        "figures_equal_filters": all(behind[k] == figures[k] for k in behind),
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=57_000)
    parser.add_argument("--carts", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.customers, args.carts, args.orders, args.repeat)))
        return
    command = [
        sys.executable, __file__, "--child", "--customers", str(args.customers), "--carts", str(args.carts),
        "--orders", str(args.orders), "--repeat", str(args.repeat),
    ]  # fmt: skip
    result, redis = in_scratch_database(command)
    print(
        f"{result['carts']} carts, {result['orders']} orders, {result['customers']} customers (and another company as big)"
    )
    print(
        f"  recovery_refresh (set-based match, once per import): {result['refresh_s']:.2f} s, {result['carts_matched']} carts changed"
    )
    print(f"  recovery_summary: {result['summary_ms']:.0f} ms (goal <= 500 ms)")
    for url, row in result["pages"].items():
        print(
            f"  {url}: {row['ms']:.0f} ms median, {row['max']:.0f} ms max, {row['queries']} queries, status {row['status']} (goal <= 300 ms)"
        )
    print(f"  figures: {result['figures']}")
    print(f"  figures equal the rows behind each filter: {result['figures_equal_filters']}")


if __name__ == "__main__":
    main()
