"""Customers playing whole conversations with the demo shop (issue 20): the console provider's real
webhook body in, the pipeline's tasks run as a worker would (in-process, in order, after-commit
callbacks executed; a few tests use a real Celery worker instead), what the customer received out.

Every customer message must get at least one reply, in pt-BR: `Shop.say` checks both on each turn
(no reply, or a reply that is an English message of the catalogue, fails the test at once).
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent, Message
from conversations.tasks import (
    conversation_process_task,
    inbound_event_apply_task,
    message_send_task,
    received_file_download_task,
)
from integrations.messaging.console import ConsoleProvider
from orders.models import Order
from orders.payment_tasks import pix_charge_task
from tenants.scoping import company_scope

CUSTOMER = "5511987654321"
PO_FILE = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
PIPELINE_TASKS = (
    inbound_event_apply_task,
    conversation_process_task,
    message_send_task,
    pix_charge_task,
    received_file_download_task,
)


def catalogue() -> dict[str, str]:
    """msgid -> msgstr of the pt-BR catalogue (plain entries; plurals and contexts skipped)."""
    entries, key, current, buffer = {}, None, None, {}
    for line in PO_FILE.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        match = re.match(r'^(msgid|msgstr|msgctxt|msgid_plural|msgstr\[\d\])\s+"(.*)"$', line)
        if match:
            key = match.group(1)
            buffer[key] = _unquote(match.group(2))
        elif line.startswith('"') and key:
            buffer[key] += _unquote(line[1:-1])
        elif not line:
            if buffer.get("msgid") and "msgstr" in buffer and "msgctxt" not in buffer:
                entries[buffer["msgid"]] = buffer["msgstr"]
            buffer, key = {}, None
        current = current
    return entries


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def english_fragments() -> list[str]:
    """Literal parts (>= 14 characters) of English messages whose translation differs: a reply
    containing one is English that leaked to a customer."""
    fragments = []
    for msgid, msgstr in catalogue().items():
        if not msgstr or msgstr == msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]|%s|%d|\{\w*\}", msgid):
            if len(part.strip()) >= 14 and part.strip() not in msgstr:
                fragments.append(part.strip())
    return fragments


_ENGLISH = None


def assert_portuguese(text: str) -> None:
    global _ENGLISH  # noqa: PLW0603 - the catalogue is read once per test run
    if _ENGLISH is None:
        _ENGLISH = english_fragments()
    leaked = [fragment for fragment in _ENGLISH if fragment in text]
    assert not leaked, f"English reaches the customer: {text!r} ({leaked[:3]})"


class Worker:
    """Records what the pipeline enqueues and runs it in order, as one worker would; a delayed send
    is run once its time has come (its `send_after` is moved to now)."""

    def __init__(self, monkeypatch, capture_on_commit, company):
        self.pending: list[tuple[object, dict]] = []
        self._capture = capture_on_commit
        self._company = company
        for task in PIPELINE_TASKS:
            monkeypatch.setattr(task, "apply_async", self._recorder(task))

    def _recorder(self, task):
        def record(args=None, kwargs=None, countdown=0, **options):
            self.pending.append((task, dict(kwargs or {})))

        return record

    def drain(self, limit: int = 200) -> None:
        while self.pending and limit:
            limit -= 1
            task, kwargs = self.pending.pop(0)
            if task is received_file_download_task:
                continue  # the file's bytes are not what these conversations are about
            if task is message_send_task:
                queued = Message.objects.for_company(self._company).filter(status="queued")
                due_at = queued.filter(pk=kwargs["message_id"]).values_list("send_after", flat=True).first()
                if due_at is None:
                    continue  # an earlier send of the conversation sent it already: the task would do nothing
                now = timezone.now()
                if due_at > now:
                    queued.update(send_after=F("send_after") - (due_at - now))
            with self._capture(execute=True):
                task.apply(kwargs=kwargs, throw=True)
        assert not self.pending, "the pipeline kept enqueueing work"


@dataclass
class Shop:
    company: object
    channel: object
    client: object
    worker: Worker
    capture: object
    customer: str = CUSTOMER
    transcript: list[tuple[str, list[str]]] = field(default_factory=list)
    _counter: int = 0

    def post(self, body: dict) -> None:
        self._counter += 1
        body = {"from": self.customer, "id": f"wamid-{self.customer}-{self._counter}", **body}
        with self.capture(execute=True):
            answer = self.client.post(
                reverse("webhook", args=[self.channel.inbound_key]),
                data=json.dumps(body),
                content_type="application/json",
            )
        assert (answer.status_code, answer.json()["status"]) == (200, "received"), answer.content
        self.worker.drain()

    def received(self) -> list[str]:
        return [entry.text for entry in ConsoleProvider.outbox if entry.to == self.customer]

    def say(self, text: str, *, expect_reply: bool = True) -> list[str]:
        """The customer writes `text`; the replies it got (at least one, each in pt-BR)."""
        before = len(self.received())
        self.post({"text": text})
        replies = self.received()[before:]
        self.transcript.append((text, replies))
        if expect_reply:
            assert replies, f"no answer to {text!r}; conversation so far: {self.transcript}"
            for reply in replies:
                assert reply.strip(), f"an empty reply to {text!r}"
                assert_portuguese(reply)
        return replies

    def send_file(self, kind: str = "image", name: str = "comprovante.jpg", mime: str = "image/jpeg") -> list[str]:
        before = len(self.received())
        self.post(
            {"text": "", "kind": kind, "mime": mime, "file_name": name, "media_url": f"https://files.example/{name}"}
        )
        replies = self.received()[before:]
        self.transcript.append((f"<{kind}>", replies))
        assert replies, f"no answer to a {kind}"
        return replies

    def conversation(self) -> Conversation:
        with company_scope(self.company):
            return Conversation.objects.select_related("customer").get(customer__phone__endswith=self.customer[-8:])

    def orders(self) -> list[Order]:
        with company_scope(self.company):
            return list(Order.objects.order_by("id"))

    def bot_errors(self) -> list[str]:
        with company_scope(self.company):
            return list(ConversationEvent.objects.filter(kind="bot_error").values_list("detail", flat=True))

    # -- how a conversation may end --------------------------------------------------------------

    def ended_in_an_order(self, status: str | None = None) -> Order:
        orders = self.orders()
        assert orders, f"no order; conversation: {self.transcript}"
        if status is not None:
            assert orders[-1].status == status
        return orders[-1]

    def ended_in_a_handoff(self) -> None:
        conversation = self.conversation()
        assert (conversation.status, conversation.bot_paused) == ("handoff", True), self.transcript

    def ended_in_a_goodbye(self) -> None:
        last = self.transcript[-1][1]
        assert any("Até logo" in reply or "Obrigad" in reply for reply in last), self.transcript
