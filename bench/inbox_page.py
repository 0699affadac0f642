# ruff: noqa: PLC0415 - Django is set up only after the scratch database exists, so imports come late
"""Time of the staff inbox's pages on the demo data, with one long conversation (goal: < 300 ms).

    .venv/bin/python bench/inbox_page.py                          # 10,000 messages, 300 other conversations
    .venv/bin/python bench/inbox_page.py --messages 100000 --conversations 2000 --repeat 20

A scratch PostgreSQL database (127.0.0.1:5432, postgres; `BENCH_PG_URL` overrides) is created, migrated
and dropped afterwards. In a child process (`bench.settings`; Redis cache when it answers on
127.0.0.1:6379) the demo company is loaded (`load_demo`: its console channel, flows and catalog),
then `--conversations` customers with `--per-conversation` messages each (a tenth of them handed
to a person, with unread messages), and one customer whose conversation holds `--messages`
messages; the database is ANALYZEd, as autovacuum would. The demo owner (logged in with Django's
test client, in process: no HTTP server in the figure) then opens each page once to warm up, once
counting SQL queries, and `--repeat` times for the median and the worst time.

A script, not a test: the query count staying the same for 10 and 10,000 messages is asserted by
conversations/tests/test_inbox_admin.py.
"""

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
GOAL_MS = 300


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def fill(company, *, conversations: int, per_conversation: int, long_messages: int):
    """The customers and messages of the run; returns (a short conversation, the long one)."""
    from django.db import connection
    from django.utils import timezone

    from conversations.models import Channel, Conversation, Message
    from customers.models import Customer

    channel = Channel.objects.for_company(company).get(name="demo")
    start = timezone.now() - timedelta(days=30)
    people = Customer.objects.for_company(company).bulk_create(
        Customer(company=company, name=f"Cliente {n}", phone=f"+55119{n:08d}") for n in range(conversations + 1)
    )
    chats = Conversation.objects.for_company(company).bulk_create(
        Conversation(
            company=company,
            channel=channel,
            customer=person,
            status="handoff" if n % 10 == 0 else "waiting",
            bot_paused=n % 10 == 0,
        )
        for n, person in enumerate(people)
    )
    sizes = [per_conversation] * conversations + [long_messages]
    batch = []
    for chat, size in zip(chats, sizes, strict=True):
        for n in range(size):
            inbound = n % 2 == 0
            batch.append(
                Message(
                    company=company,
                    conversation=chat,
                    channel=channel,
                    direction="in" if inbound else "out",
                    text=f"mensagem {n} com *negrito* e _itálico_",
                    status="processed" if inbound else "read",
                    created_at=start + timedelta(seconds=n),
                )
            )
            if len(batch) >= 5000:
                Message.objects.for_company(company).bulk_create(batch)
                batch = []
    Message.objects.for_company(company).bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return chats[1], chats[-1]


def measure(call, repeat: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        status = call().status_code
    queries = len(captured)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return {"status": status, "queries": queries, "ms": statistics.median(times), "max": max(times)}


def child(args) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from conversations.models import Message
    from conversations.selectors import Cursor
    from tenants.demo import DEMO_USERNAME, load_demo
    from tenants.scoping import company_scope

    company, _username, _password = load_demo()
    began = time.perf_counter()
    with company_scope(company):
        short, long = fill(
            company,
            conversations=args.conversations,
            per_conversation=args.per_conversation,
            long_messages=args.messages,
        )
        since = Message.objects.filter(conversation=long).order_by("-created_at", "-id")[30]
    print(f"data built in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))

    def chat(conversation, name="chat", query=""):
        url = reverse(f"admin:conversations_conversation_{name}", args=[conversation.pk]) + query
        return lambda: client.get(url)

    inbox = reverse("admin:conversations_conversation_inbox")
    pages = {
        f"conversation page, {args.per_conversation} messages": chat(short),
        f"conversation page, {args.messages:,} messages": chat(long),
        f"live refresh, {args.messages:,} messages (changed)": chat(long, "chat_live", f"?since={Cursor.of(since)}"),
        f"older messages, {args.messages:,} messages": chat(long, "chat_older", f"?before={Cursor.of(since)}"),
        "inbox list, waiting tab": lambda: client.get(inbox + "?tab=waiting"),
        "inbox list, all conversations": lambda: client.get(inbox + "?tab=all"),
        "inbox list refresh (fragment)": lambda: client.get(reverse("admin:conversations_conversation_inbox_list")),
    }
    return {label: measure(call, args.repeat) for label, call in pages.items()}


def table(results: dict, args) -> str:
    width = max(len(label) for label in results) + 2
    lines = [
        f"{args.conversations + 1} conversations ({args.per_conversation} messages each, one of {args.messages:,}); "
        f"median and worst of {args.repeat} requests; goal < {GOAL_MS} ms",
        f"{'page':<{width}}{'status':>7}{'queries':>9}{'median ms':>11}{'worst ms':>10}",
    ]
    for label, row in results.items():
        flag = "" if row["ms"] < GOAL_MS else "  <- over the goal"
        lines.append(
            f"{label:<{width}}{row['status']:>7}{row['queries']:>9}{row['ms']:>11.1f}{row['max']:>10.1f}{flag}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages in the long conversation")
    parser.add_argument("--conversations", type=int, default=300, help="other conversations")
    parser.add_argument("--per-conversation", type=int, default=20, help="messages in each other conversation")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return

    import psycopg

    pg_name = f"balcao_bench_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL", "DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=f"{PG_URL}/{pg_name}",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        CELERY_BROKER_URL="memory://",
        BENCH_CACHE_PREFIX=pg_name,
        BALCAO_VAR_DIR=str(ROOT / "var" / "bench"),
    )
    if "REDIS_URL" not in env and redis_answers():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{pg_name}"')
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "createcachetable", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        command = [sys.executable, __file__, "--child", *sys.argv[1:]]
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit("the measuring process failed (its error is above)")
        print(f"cache: {'Redis' if 'REDIS_URL' in env else 'database'}")
        print(table(json.loads(done.stdout.strip().splitlines()[-1]), args))
    finally:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
