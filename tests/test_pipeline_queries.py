"""Queries per processed message: the webhook request, the worker's apply, the processing run, and
the reply's sends, counted for 5 and for 500 messages from as many new customers.

- With a one-reply bot, the inbound side (request + apply + processing) costs at most 20 queries.
- Every figure is the same for 5 and for 500 messages (nothing grows with traffic or history); the
  demo flow's first turn (four messages, a product list, a session context) too, for 5 and 50.
"""

import json
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.api.webhooks import find_channel, forget_found_channels
from conversations.handlers import OutboundIntent, bot_handler_replaced
from conversations.models import Channel, Message
from conversations.tasks import conversation_process_task, inbound_event_apply_task, message_send_task
from tenants.demo import load_demo
from tenants.scoping import company_scope

MAX_INBOUND_QUERIES_PER_MESSAGE = 20
TASKS = (inbound_event_apply_task, conversation_process_task, message_send_task)


def demo_channel(settings, tmp_path) -> tuple:
    settings.VAR_DIR = tmp_path
    company, _, _ = load_demo()
    company.message_debounce_seconds = 0
    company.webhook_rate_limit_per_min = 0
    company.save()
    with company_scope(company):
        return company, Channel.objects.get()


class CountingWorker:
    """Runs what the pipeline enqueues, in order, counting each task's queries by task name."""

    def __init__(self, monkeypatch, capture):
        self.pending: list[tuple[object, dict]] = []
        self.queries: Counter = Counter()
        self._capture = capture
        for task in TASKS:
            monkeypatch.setattr(task, "apply_async", self._recorder(task))

    def _recorder(self, task):
        def record(args=None, kwargs=None, countdown=0, **options):
            self.pending.append((task, dict(kwargs or {})))

        return record

    def drain(self) -> None:
        while self.pending:
            task, kwargs = self.pending.pop(0)
            self.before(task, kwargs)
            connection.queries_log.clear()  # a full log (9000 queries) would count nothing more
            with CaptureQueriesContext(connection) as captured, self._capture(execute=True):
                task.apply(kwargs=kwargs, throw=True)
            self.queries[task.name.rsplit(".", 1)[-1]] += len(captured)

    def before(self, task, kwargs: dict) -> None:
        """Called before each task runs, outside the count."""


class WaitingWorker(CountingWorker):
    """A delayed send runs once its time has come: every queued send_after moves back together
    (the worker waits), so each turn's sends are the same whatever the wall clock did meanwhile."""

    def __init__(self, monkeypatch, capture, company):
        super().__init__(monkeypatch, capture)
        self.company = company

    def before(self, task, kwargs: dict) -> None:
        if task is not message_send_task:
            return
        queued = Message.objects.for_company(self.company).filter(status="queued")
        due_at = queued.filter(pk=kwargs["message_id"]).values_list("send_after", flat=True).first()
        now = timezone.now()
        if due_at is not None and due_at > now:
            queued.update(send_after=F("send_after") - (due_at - now))


def per_message(client, worker, capture, channel, count: int) -> dict:
    url = reverse("webhook", args=[channel.inbound_key])
    for n in range(count):
        body = {"from": f"55219{count % 1000:03d}{n:05d}", "text": "oi", "id": f"q-{count}-{n}"}
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured, capture(execute=True):
            assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200
        worker.queries["request"] += len(captured)
        worker.drain()
    return {name: round(total / count, 2) for name, total in worker.queries.items()}


def echo(*, conversation, text, message):
    return [OutboundIntent(text=f"eco: {text}")]


@pytest.fixture
def measure(db, client, monkeypatch, django_capture_on_commit_callbacks, settings, tmp_path):
    def run(count: int) -> dict:
        company, channel = demo_channel(settings, tmp_path)
        worker = CountingWorker(monkeypatch, django_capture_on_commit_callbacks)
        figures = per_message(client, worker, django_capture_on_commit_callbacks, channel, count)
        with company_scope(company):
            answered = Message.objects.filter(
                direction="in", status="processed", provider_message_id__startswith=f"q-{count}-"
            ).count()
        assert answered == count
        return figures

    return run


@pytest.mark.timeout(600)
@pytest.mark.parametrize("count", [5, 500])
def test_inbound_queries_per_processed_message_are_at_most_20_and_constant(measure, count):
    with bot_handler_replaced(echo):
        figures = measure(count)

    inbound = figures["request"] + figures["inbound_event_apply_task"] + figures.get("conversation_process_task", 0)
    assert inbound <= MAX_INBOUND_QUERIES_PER_MESSAGE, figures
    # request 2 (channel, event) + apply 13: applying 8 (new customer and conversation), then, the
    # debounce being 0, processing 5 in the same task (transaction, the conversation's lock with the
    # opt-out words, the buffer's claim, the reply); the send 13 (claim, call outside any
    # transaction, record: outbound's, not counted).
    assert figures == {"request": 2, "inbound_event_apply_task": 13, "message_send_task": 13}, figures


def test_the_demo_flows_first_turn_costs_the_same_for_5_and_50_messages(measure):
    assert measure(5) == measure(50)


# The demo flow's first turn ("oi"): the greeting, the menu and the question, four messages. The
# apply task processes the turn itself (debounce 0). Every send runs when its message is due, as a
# worker would: 2 tasks (the three delayed messages share one).
DEMO_FIRST_TURN = {
    "request": 2,
    "inbound_event_apply_task": 19,
    "message_send_task": 44,
}


def test_the_demo_flows_first_turn_costs_no_more_than_pinned(
    db, client, monkeypatch, django_capture_on_commit_callbacks, settings, tmp_path
):
    company, channel = demo_channel(settings, tmp_path)
    worker = WaitingWorker(monkeypatch, django_capture_on_commit_callbacks, company)

    figures = per_message(client, worker, django_capture_on_commit_callbacks, channel, 5)

    assert figures == DEMO_FIRST_TURN, figures


def test_the_demo_flows_first_turn_costs_at_most_20_inbound_queries_as_deployed(
    db, client, monkeypatch, django_capture_on_commit_callbacks, settings, tmp_path
):
    """As a web process runs it: the channel found by its key is kept for a few seconds
    (WEBHOOK_CHANNEL_CACHE_SECONDS, 0 in the other tests so a change applies at once), so the request
    is the event's INSERT alone and the inbound side of the demo's first turn fits the goal."""
    company, channel = demo_channel(settings, tmp_path)
    settings.WEBHOOK_CHANNEL_CACHE_SECONDS = 5
    worker = WaitingWorker(monkeypatch, django_capture_on_commit_callbacks, company)
    try:
        find_channel(channel.inbound_key)  # the web process has served this channel before
        figures = per_message(client, worker, django_capture_on_commit_callbacks, channel, 5)
    finally:
        forget_found_channels()

    assert figures["request"] == 1, figures
    assert figures["request"] + figures["inbound_event_apply_task"] <= MAX_INBOUND_QUERIES_PER_MESSAGE, figures
