"""Figures for the flows dashboard. Read-only; callers run in a company scope."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import Avg, Count
from django.db.models.functions import TruncDate

from conversations.models import Conversation, Message, ReceivedFile
from customers.selectors import without_test_customers
from flows.models import Flow, FlowPosition

BYTES_PER_MB = 1024 * 1024


def _window_start(now: datetime, days: int, tz: zoneinfo.ZoneInfo):
    first_day = now.astimezone(tz).date() - timedelta(days=days - 1)
    return first_day, datetime.combine(first_day, time.min, tzinfo=tz)


def conversations_analytics(
    *, now: datetime, days: int = 30, timezone_name: str = "America/Sao_Paulo", include_tests: bool = False
) -> dict:
    """Conversations started in the last `days` local days by status and by flow, and messages and
    distinct conversations per local day (every day listed, oldest first, zero when quiet). Staff's
    simulator customers (tests) are left out unless `include_tests`."""
    tz = zoneinfo.ZoneInfo(timezone_name)
    first_day, since = _window_start(now, days, tz)
    conversations = Conversation.objects.filter(created_at__gte=since)
    positions = FlowPosition.objects.filter(conversation__created_at__gte=since, current_flow_id__isnull=False)
    messages = Message.objects.filter(created_at__gte=since)
    if not include_tests:
        conversations, positions, messages = (without_test_customers(q) for q in (conversations, positions, messages))
    by_status = [
        {"status": row["status"], "count": row["count"]}
        for row in conversations.values("status").annotate(count=Count("id")).order_by("-count", "status")
    ]
    per_flow = list(positions.values("current_flow_id").annotate(count=Count("id")))
    names = dict(Flow.objects.filter(id__in=[r["current_flow_id"] for r in per_flow]).values_list("id", "name"))
    by_flow = sorted(
        (
            {"flow_id": r["current_flow_id"], "flow_name": names.get(r["current_flow_id"], ""), "count": r["count"]}
            for r in per_flow
        ),
        key=lambda r: (-r["count"], r["flow_name"], r["flow_id"]),
    )
    per_day = {
        row["day"]: row
        for row in messages.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(messages_count=Count("id"), conversations_count=Count("conversation_id", distinct=True))
    }
    daily = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        row = per_day.get(day, {})
        daily.append(
            {
                "date": day.isoformat(),
                "messages_count": row.get("messages_count", 0),
                "conversations_count": row.get("conversations_count", 0),
            }
        )
    return {"days": days, "by_status": by_status, "by_flow": by_flow, "daily_messages": daily}


def files_analytics(*, now: datetime, days: int = 30, timezone_name: str = "America/Sao_Paulo") -> dict:
    """Files received in the last `days` local days by type: count and average size in MB (2 decimals)."""
    _, since = _window_start(now, days, zoneinfo.ZoneInfo(timezone_name))
    rows = (
        ReceivedFile.objects.filter(created_at__gte=since)
        .values("content_type")
        .annotate(count=Count("id"), avg_size=Avg("size"))
        .order_by("-count", "content_type")
    )
    return {
        "days": days,
        "files_by_type": [
            {
                "file_type": row["content_type"],
                "count": row["count"],
                "avg_size_mb": round(float(row["avg_size"] or 0) / BYTES_PER_MB, 2),
            }
            for row in rows
        ],
    }
