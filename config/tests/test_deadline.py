"""A deadline interrupts a blocked database call; the webhook answers 503 instead of hanging."""

import time

import psycopg
import pytest
from django.db import OperationalError, connection

from config.deadline import DeadlineExceeded, deadline


def test_a_deadline_interrupts_a_query_that_does_not_answer(postgres_only, db):
    params = connection.get_connection_params()
    other = psycopg.connect(**params)
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded), deadline(0.5):
            other.execute("SELECT pg_sleep(10)")
        elapsed = time.monotonic() - started
    finally:
        other.cancel()  # the server stops sleeping; the interrupted connection is not reused
        other.close()
    print(f"deadline 0.5 s: the query was interrupted after {elapsed:.2f} s")
    assert elapsed < 1.5


def test_an_inner_deadline_does_not_outlive_the_outer_one():
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded), deadline(0.3), deadline(5):
        time.sleep(3)
    assert time.monotonic() - started < 1


def test_an_unreachable_database_is_a_503_with_retry_after(client, db, monkeypatch):
    from conversations.api import webhooks

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server failed: timeout expired")

    monkeypatch.setattr(webhooks, "find_channel", unreachable)
    response = client.post("/webhook/some-key/", data="{}", content_type="application/json")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response.json() == {"error": "service unavailable", "reason": "database"}


def test_a_webhook_past_its_deadline_is_a_503(client, transactional_db, monkeypatch, settings):
    from conversations.api import webhooks

    settings.WEBHOOK_DEADLINE_SECONDS = 0.3
    monkeypatch.setattr(webhooks, "find_channel", lambda key: time.sleep(5))
    started = time.monotonic()
    response = client.post("/webhook/some-key/", data="{}", content_type="application/json")

    assert time.monotonic() - started < 1.5
    assert (response.status_code, response.json()["reason"]) == (503, "timeout")
