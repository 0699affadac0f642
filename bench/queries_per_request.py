# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""Queries and time per request of every admin changelist and API read, as the data grows.

    .venv/bin/python bench/queries_per_request.py                  # 10, 100 and 1,000 rows per model
    .venv/bin/python bench/queries_per_request.py --sizes 10 100 --repeat 3
    .venv/bin/python bench/queries_per_request.py --pages ImportedCart /analytics/recovery/   # only these
    .venv/bin/python bench/queries_per_request.py --analyze   # ANALYZE after filling, as autovacuum would

A scratch PostgreSQL database (127.0.0.1:5432, postgres; `BENCH_PG_URL` overrides) is created and
migrated. Then, in a child process (`bench.settings`, Redis cache when `REDIS_URL` is set or Redis
answers on 127.0.0.1:6379, a database cache otherwise), for each size N one company is filled by
`tests.builders.build_rows` (the builder of the query-count test): N rounds of one row of every
company-owned model with its own related rows, plus N-1 rows of every model pointing at the first
round's rows (so the first order has N items, the first conversation N messages...). Its manager
then opens every admin changelist (Django client, logged in) and calls every API GET operation
(token), once to warm up, once counting SQL queries, and `--repeat` times for the median time.

The table shows, per page and size, the queries of one request and the median milliseconds; the
query count must not change with the size (tests/test_query_counts.py asserts it for 2 vs 12 rows).
Lists are paginated (admin 100, API 50 per page); exports return every row, so their time grows.
The database is dropped afterwards. A script, not a test.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import in_scratch_database, measure  # noqa: E402 - after the path insert


def fill(size: int):
    """A company with `size` rounds of every company-owned model, its manager and an API token."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from tenants.models import Company, CompanyOwned, Membership
    from tenants.services import api_token_issue
    from tests.builders import build_rows

    models = [m for m in apps.get_models() if issubclass(m, CompanyOwned)]
    slug = f"bench{size}"
    with transaction.atomic():
        company = Company.objects.create(name=slug, slug=slug)
        manager = get_user_model().objects.create(username=f"{slug}-manager", is_staff=True)
        Membership.objects.for_company(company).create(company=company, user=manager, role=Membership.Role.MANAGER)
        first = build_rows(company, models, size, marker=slug)
    token = api_token_issue(company=company, user=manager)
    return company, manager, first, token


def pages(company, first):
    """(label, model, kind, url) of every admin changelist and API GET operation."""
    from django.contrib import admin
    from django.urls import reverse

    from tests.isolation import PATH_PARAM, _fill, api_operations, is_tenant_model

    for model in admin.site._registry:
        if is_tenant_model(model):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            yield f"admin {model._meta.label}", model, "admin", url
    for path, method, view in api_operations():
        model = getattr(getattr(view, "queryset", None), "model", None)
        if method == "get" and model is not None:
            url, _ = _fill(path, PATH_PARAM.findall(path), model, lambda m: first.get(m, company))
            yield f"API GET {path}", model, "api", url


def child(sizes: list[int], repeat: int, only: list[str], analyze: bool) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from tenants.models import Company

    results: dict[str, dict] = {}
    for size in sizes:
        began = time.perf_counter()
        company, manager, first, token = fill(size)
        if analyze:  # the planner's row counts and value statistics, as on a server where autovacuum has run
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{size} rows per model built in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        admin_client = Client(SERVER_NAME="127.0.0.1")
        admin_client.force_login(manager)
        api_client = APIClient(SERVER_NAME="127.0.0.1")
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        for label, model, kind, url in pages(company, first):
            if only and not any(part in label for part in only):
                continue
            client = admin_client if kind == "admin" else api_client
            row = measure(lambda c=client, u=url: c.get(u), repeat)
            row["rows"] = model._default_manager.for_company(company).count() if model is not Company else 1
            results.setdefault(label, {})[str(size)] = row
    return results


def table(results: dict, sizes: list[int]) -> str:
    width = max(len(label) for label in results) + 2
    head = f"{'page':<{width}}" + "".join(f"| {f'{s} rows/model':>22} " for s in sizes)
    sub = f"{'':<{width}}" + "".join(f"| {'rows':>6} {'queries':>7} {'ms':>7} " for _ in sizes)
    lines = [head, sub, "-" * len(sub)]
    for label, by_size in results.items():
        cells = []
        for s in sizes:
            row = by_size[str(s)]
            status = "" if row["status"] == 200 else f" ({row['status']})"
            cells.append(f"| {row['rows']:>6} {row['queries']:>7} {row['ms']:>7.1f}{status} ")
        grows = len({by_size[str(s)]["queries"] for s in sizes}) > 1
        lines.append(f"{label:<{width}}" + "".join(cells) + ("  <- grows" if grows else ""))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page (median)")
    parser.add_argument(
        "--pages", nargs="+", default=[], metavar="TEXT", help="only pages whose label contains one of these"
    )
    parser.add_argument("--analyze", action="store_true", help="ANALYZE the database after filling each size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.sizes, args.repeat, args.pages, args.analyze)))
        return

    command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat), "--sizes", *map(str, args.sizes)]
    if args.pages:
        command += ["--pages", *args.pages]
    if args.analyze:
        command.append("--analyze")
    results, redis = in_scratch_database(command)
    print(f"cache: {'Redis' if redis else 'database'}; median of {args.repeat} requests")
    print(table(results, args.sizes))


if __name__ == "__main__":
    main()
