import json
import logging

from config.logging import json_formatter, redact_event


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
