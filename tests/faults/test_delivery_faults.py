"""Outbound delivery under provider faults and a worker killed mid-send, with a real Celery worker."""

import time

from conversations.models import Message
from conversations.services import message_queue_outbound, outbound_sweep
from tenants.scoping import company_scope
from tests.faults.conftest import figure, wait_until

REPLIES = ["Olá! 🍕", "Este é o nosso cardápio:", "1. Margherita — R$ 45,00", "O que vai querer?"]


def statuses(company, ids):
    with company_scope(company):
        return dict(Message.objects.filter(pk__in=ids).values_list("pk", "status"))


def test_replies_survive_an_outage_429_500_and_timeouts_in_order(
    company_a, provider, uazapi_conversation, start_worker
):
    # The provider is down for 15 s, then answers 429 (Retry-After 3), 500 and one timeout before it
    # works again. Backoff capped at 8 s and a 1 s provider timeout keep the test short.
    start_worker(OUTBOUND_BACKOFF_MAX_SECONDS=8, PROVIDER_TIMEOUT=1)
    conversation = uazapi_conversation()
    provider.started = time.monotonic()
    provider.down_until = 15.0
    provider.fail(1, 429, {"Retry-After": "3"})
    provider.fail(1, 500)
    provider.fail(1, "timeout", {"seconds": 2})
    with company_scope(company_a):
        ids = [message_queue_outbound(conversation=conversation, text=text).pk for text in REPLIES]

    wait_until(lambda: len(provider.delivered) == len(REPLIES), 90, "every reply delivered")

    first_retry = provider.requests[1][0]
    last = max(d.at for d in provider.delivered.values())
    figure(
        f"\nFAULT provider: 15 s outage + 429 (Retry-After 3 s) + 500 + timeout: "
        f"{len(provider.delivered)}/{len(REPLIES)} replies delivered in order, first retry after {first_retry:.1f} s, "
        f"last delivered at {last:.1f} s, {len(provider.requests)} provider calls"
    )
    assert provider.texts() == REPLIES
    wait_until(lambda: set(statuses(company_a, ids).values()) == {"sent"}, 10, "all recorded as sent")
    # Only the head was tried while the provider was failing: the later replies never skipped ahead.
    failing_keys = {key for _at, key, outcome in provider.requests if outcome != 200}
    assert len(failing_keys) == 1
    retry_after = [at for at, _key, outcome in provider.requests if outcome == 429]
    after_429 = [at for at, _key, _outcome in provider.requests if at > retry_after[0]][0]
    assert after_429 - retry_after[0] >= 2.9


def test_a_worker_killed_mid_send_loses_nothing_and_resends_nothing_acknowledged(
    company_a, provider, uazapi_conversation, start_worker, settings
):
    settings.OUTBOUND_SENDING_STUCK_SECONDS = 2  # the sweep's view (this process) ...
    worker = start_worker(OUTBOUND_SENDING_STUCK_SECONDS=2)  # ... and the worker's
    provider.slow = 0.4  # each send takes a while: the kill lands during one
    conversation = uazapi_conversation()
    texts = [f"mensagem {n}" for n in range(1, 9)]
    with company_scope(company_a):
        ids = [message_queue_outbound(conversation=conversation, text=text).pk for text in texts]

    wait_until(lambda: len(provider.delivered) >= 3, 30, "three sends acknowledged")
    time.sleep(0.25)  # into the fourth call: the provider will answer a worker that is gone
    worker.kill()
    killed_at = time.monotonic() - provider.started
    time.sleep(0.3)  # the call in flight is answered (to nobody)
    acknowledged = dict(provider.delivered)
    recorded = {pk for pk, status in statuses(company_a, ids).items() if status == "sent"}
    in_flight = [pk for pk, status in statuses(company_a, ids).items() if status == "sending"]

    start_worker(OUTBOUND_SENDING_STUCK_SECONDS=2)
    time.sleep(2.2)  # the claim of the killed worker is now stale
    with company_scope(company_a):
        outbound_sweep()  # what beat runs every minute: finds the stuck `sending` row
    wait_until(lambda: len(provider.delivered) == len(texts), 60, "every message delivered")
    wait_until(lambda: set(statuses(company_a, ids).values()) == {"sent"}, 10, "all recorded as sent")
    done_at = time.monotonic() - provider.started

    repeats = [key for _at, key, outcome in provider.requests if outcome == "repeat"]
    recorded_keys = {f"balcao-message-{company_a.pk}-{pk}" for pk in recorded}
    figure(
        f"\nFAULT worker SIGKILL mid-send: killed after {len(acknowledged)} provider acks ({len(recorded)} recorded, "
        f"{len(in_flight)} in flight) at {killed_at:.1f} s; {len(provider.delivered)}/{len(texts)} delivered in "
        f"order by {done_at:.1f} s; {len(repeats)} repeated request(s) answered from the idempotency key, "
        f"0 duplicates delivered"
    )
    assert provider.texts() == texts
    assert not recorded_keys & set(repeats)  # nothing recorded as sent was asked for again
    assert set(repeats) <= set(acknowledged)  # a repeat is only the in-flight message, deduplicated
    assert len(repeats) <= 1
