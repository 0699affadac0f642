import io
import json
import logging

import pytest

from config.logging import json_formatter, mask_url_secrets, redact_event


def test_secrets_and_phones_are_redacted():
    event = {
        "event": "sent to 5511987654321",
        "password": "hunter2",
        "api_token": "abc",
        "nested": {"Authorization": "x"},
    }

    redacted = redact_event(None, "info", event)

    assert redacted["password"] == "***"
    assert redacted["api_token"] == "***"
    assert redacted["nested"]["Authorization"] == "***"
    assert "5511987654321" not in redacted["event"]
    assert redacted["event"].startswith("sent to 5511")


def test_hex_ids_are_not_mistaken_for_phones():
    event = {"event": "x", "request_id": "1f40f29e00f549ce91801234595c9b87"}

    assert redact_event(None, "info", event)["request_id"] == "1f40f29e00f549ce91801234595c9b87"


def test_stdlib_records_come_out_as_json_lines():
    record = logging.LogRecord("balcao", logging.INFO, __file__, 1, "customer %s", ("+5511987654321",), None)

    line = json.loads(json_formatter().format(record))

    assert line["level"] == "info"
    assert "+5511987654321" not in line["event"]


def test_request_id_is_echoed(client, db):
    response = client.get("/health/", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"


KEY = "Zq3xV9fL2mN8pR4tW6yB1cD5gH7jK0sE"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"POST /webhook/{KEY}/ HTTP/1.1", "POST /webhook/***/ HTTP/1.1"),
        (f"/webhook/{KEY}", "/webhook/***"),
        (f"/webhook/mercadopago/{KEY}/?data.id=1", "/webhook/mercadopago/***/?data.id=1"),
        (f"GET /webhook/{KEY}/?hub.mode=subscribe&hub.verify_token=vt-{KEY}&hub.challenge=9", None),
        (f"/cron/avaliar?secret={KEY}", "/cron/avaliar?secret=***"),
        (f"/api/orders/?access_token={KEY}&page=2", "/api/orders/?access_token=***&page=2"),
        ("/api/orders/?page=2&since=2026-01-01", "/api/orders/?page=2&since=2026-01-01"),
    ],
)
def test_keys_and_tokens_in_urls_are_masked(text, masked):
    result = mask_url_secrets(text)

    assert KEY not in result
    if masked is not None:
        assert result == masked


def test_django_request_log_lines_hold_no_webhook_key(client, db):
    """django.request logs every 4xx with the request object in `extra`: its repr holds the path."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.post(f"/webhook/{KEY}/", data=b"{}", content_type="application/json")
        client.get(f"/cron/avaliar?secret={KEY}")
    finally:
        logger.removeHandler(handler)

    lines = stream.getvalue()
    assert "Not Found" in lines and "Forbidden" in lines
    assert KEY not in lines


def test_phone_numbers_given_as_integers_are_masked():
    redacted = redact_event(None, "info", {"event": "x", "phone": 5511987654321, "count": 3})

    assert redacted["phone"] != 5511987654321 and "5511987654321" not in str(redacted["phone"])
    assert redacted["count"] == 3


def test_gunicorn_access_log_masks_keys_and_tokens():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from config.gunicorn_logging import MaskingLogger

    logger = MaskingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/webhook/{KEY}/?hub.verify_token={KEY}",
        "PATH_INFO": f"/webhook/{KEY}/",
        "QUERY_STRING": f"hub.verify_token={KEY}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://example.com/webhook/{KEY}/",
    }
    req = SimpleNamespace(headers=[], method="GET", path=environ["PATH_INFO"], query=environ["QUERY_STRING"])
    resp = SimpleNamespace(status="200 OK", status_code=200, sent=2, headers=[], response_length=2)
    atoms = logger.atoms(resp, req, environ, __import__("datetime").timedelta(seconds=0.01))

    line = logger.cfg.access_log_format % atoms
    assert KEY not in line
    assert "/webhook/***/" in line
