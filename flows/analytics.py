"""Figures for the flows dashboard. Read-only; callers run in a company scope."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import Avg, Count
from django.db.models.functions import TruncDate

from conversations.models import Conversation, Message, ReceivedFile
from customers.selectors import without_test_customers
from flows.actions import conversations_that_ordered
from flows.engine.core import flow_start
from flows.graph import version_snapshot_load
from flows.models import Flow, FlowPosition
from flows.services.inbound import visit_key

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


def template_node_analytics(*, template_id: int, version: int | None, include_tests: bool = False) -> dict:
    """Per subflow of one version of a template (None: the draft), like a drop-off view: how many
    conversations reached it, how many stopped there (still waiting on it), and the conversion from
    the start (conversations that reached the first subflow) to an order. Staff's simulator
    conversations are left out unless `include_tests`. Two queries (and the conversion counter's)."""
    key = visit_key(version)
    positions = FlowPosition.objects.filter(visited__has_key=key)
    if not include_tests:
        positions = without_test_customers(positions)
    rows = list(
        positions.values(
            "conversation_id",
            "conversation__customer_id",
            "conversation__created_at",
            "visited",
            "current_template_id",
            "current_version",
            "current_subflow_id",
            "waiting_for",
        )
    )
    snapshot = version_snapshot_load(template_id=template_id, version=version)
    subflow_ids = {s.id for f in (snapshot.flows if snapshot else ()) for s in f.subflows}
    start = flow_start(snapshot.default_flow()) if snapshot else None
    nodes = {subflow_id: {"reached": 0, "stopped": 0} for subflow_id in subflow_ids}
    started = {}
    for row in rows:
        reached = set(row["visited"].get(key, [])) & subflow_ids
        if not reached:
            continue
        for subflow_id in reached:
            nodes[subflow_id]["reached"] += 1
        if start is not None and start.subflow_id in reached:
            started[row["conversation_id"]] = (row["conversation__customer_id"], row["conversation__created_at"])
        waiting = row["waiting_for"] != FlowPosition.Waiting.NOTHING
        if (
            waiting
            and row["current_template_id"] == template_id
            and row["current_version"] == version
            and row["current_subflow_id"] in nodes
        ):
            nodes[row["current_subflow_id"]]["stopped"] += 1
    ordered = conversations_that_ordered(started)
    return {
        "template": template_id,
        "version": "draft" if version is None else version,
        "started": len(started),
        "ordered": len(ordered),
        "conversion": round(100 * len(ordered) / len(started), 1) if started else 0.0,
        "nodes": [{"subflow_id": subflow_id, **nodes[subflow_id]} for subflow_id in sorted(nodes)],
    }
