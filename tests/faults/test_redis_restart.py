"""Redis killed and restarted while 200 webhooks arrive: every one answered, stored and replied."""

import time
from datetime import timedelta

from catalog import demo as catalog_demo
from conversations import processing
from conversations.models import InboundEvent, Message
from conversations.services import inbound as inbound_services
from conversations.services import outbound as outbound_services
from conversations.tasks import inbound_sweep_task, outbound_sweep_task
from conversations.tests.conftest import make_channel
from flows.services import flow_template_import
from orders.demo import ordering_document
from tenants.scoping import company_scope
from tests.faults.conftest import figure, wait_until
from tests.faults.web import Web

WEBHOOKS = 200
CUSTOMERS = 50


def test_redis_killed_and_restarted_during_200_webhooks(company_a, own_redis, start_worker, tmp_path, monkeypatch):
    company_a.message_debounce_seconds = 0
    company_a.save(update_fields=["message_debounce_seconds"])
    catalog_demo.load(company_a)
    with company_scope(company_a):
        flow_template_import(document=ordering_document())
    channel = make_channel(company_a)
    # The sweeps this test runs (beat's jobs, every minute) with short graces: raw events whose apply
    # task, buffers whose processing task and replies whose send task died with Redis.
    monkeypatch.setattr(processing, "SWEEP_GRACE", timedelta(seconds=3))
    monkeypatch.setattr(inbound_services, "UNAPPLIED_GRACE", timedelta(seconds=3))
    monkeypatch.setattr(outbound_services, "STUCK_AFTER", timedelta(seconds=3))
    start_worker(own_redis.url, prefix="")
    web = Web(tmp_path / "web.log", redis_url=own_redis.url)
    answers, down = [], None
    started = time.monotonic()
    try:
        for n in range(WEBHOOKS):
            if n == 60:
                own_redis.kill()
                down = time.monotonic()
            if n == 120:
                own_redis.start()  # same port, empty: whatever was queued in it is gone
                down = time.monotonic() - down
            phone = f"55119{n % CUSTOMERS:08d}"
            answers.append(web.webhook(channel, f"wamid-{n}", phone=phone, text="oi" if n < CUSTOMERS else "menu"))
        posted = time.monotonic() - started

        def everything_processed():
            inbound_sweep_task.apply()  # beat's job, every minute: buffers whose task was lost
            pending = Message.objects.unscoped().filter(direction="in", status="received").count()  # unscoped: test
            unapplied = InboundEvent.objects.unscoped().filter(status="received").count()  # unscoped: test
            return pending == 0 and unapplied == 0

        wait_until(everything_processed, 120, "every inbound message processed", interval=2)

        def replied():
            outbound_sweep_task.apply()  # beat's job, every minute: replies whose send task was lost
            # unscoped: the test's own rows
            sent = Message.objects.unscoped().filter(direction="out", status="sent")
            return sent.values("conversation_id").distinct().count() == CUSTOMERS

        wait_until(replied, 60, "every customer answered", interval=1)
    finally:
        web.stop()
    statuses = sorted({a.status for a in answers})
    stored = InboundEvent.objects.unscoped().count()  # unscoped: the test's own rows
    inbound = Message.objects.unscoped().filter(direction="in").count()  # unscoped: the test's own rows
    replies = Message.objects.unscoped().filter(direction="out", status="sent").count()  # unscoped: test
    figure(
        f"\nFAULT Redis killed at webhook 60, back at 120 ({down:.1f} s down): {WEBHOOKS} webhooks answered "
        f"{statuses} in {posted:.1f} s (slowest {max(a.seconds for a in answers):.2f} s), {stored} stored, "
        f"{inbound} messages, {replies} replies sent to {CUSTOMERS}/{CUSTOMERS} customers, "
        f"all processed {time.monotonic() - started:.0f} s after the first"
    )
    assert statuses == [200]
    assert stored == WEBHOOKS and inbound == WEBHOOKS
