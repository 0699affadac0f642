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
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import in_scratch_database, measure  # noqa: E402 - after the path insert

GOAL_MS = 300


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

    with tempfile.TemporaryDirectory() as var_dir:  # the demo writes its login there, not over the real one
        results, redis = in_scratch_database(
            [sys.executable, __file__, "--child", *sys.argv[1:]], BALCAO_VAR_DIR=var_dir
        )
    print(f"cache: {'Redis' if redis else 'database'}")
    print(table(results, args))


if __name__ == "__main__":
    main()
