import pytest
import structlog

from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    MessageKind,
    ProviderCredentials,
    WebhookMalformed,
)
from integrations.messaging.console import ConsoleProvider
from integrations.messaging.tests.support import body, raw

CONSOLE = ConsoleProvider()
CREDS = ProviderCredentials(instance="demo")


@pytest.fixture(autouse=True)
def empty_outbox():
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


def test_simple_json_is_a_text_message():
    [message] = CONSOLE.parse_webhook({}, raw("console", "text"), CREDS)
    assert (
        message.provider_message_id,
        message.chat_id,
        message.sender_phone,
        message.sender_name,
        message.kind,
        message.text,
        message.ignore_reason(),
    ) == ("sim-1", "5511987654321", "5511987654321", "Maria", MessageKind.TEXT, "quero uma pizza grande", None)
    assert message.timestamp.tzinfo is not None


def test_document_kind():
    data = {
        "from": "5511987654321",
        "kind": "document",
        "media_url": "https://x.example/a.pdf",
        "file_name": "a.pdf",
        "id": "d1",
    }
    [message] = CONSOLE.parse_webhook({}, body(data), CREDS)
    assert (message.kind, message.media_url, message.file_name) == (
        MessageKind.DOCUMENT,
        "https://x.example/a.pdf",
        "a.pdf",
    )


@pytest.mark.parametrize(
    "bad",
    [
        b"oi",
        body({"text": "oi"}),
        body({"from": "", "text": "oi"}),
        body({"from": "1", "text": 5}),
        body({"from": "1", "kind": "gif"}),
    ],
)
def test_malformed(bad):
    with pytest.raises(WebhookMalformed):
        CONSOLE.parse_webhook({}, bad, CREDS)


def test_sends_are_recorded_not_delivered():
    text = CONSOLE.send_text(CREDS, "5511987654321", "Olá!")
    document = CONSOLE.send_document(
        CREDS, "5511987654321", "https://x.example/c.pdf", "c.pdf", "application/pdf", "Cardápio"
    )
    [first, second] = ConsoleProvider.outbox
    assert (first.provider_message_id, first.to, first.kind, first.text, first.instance) == (
        text.provider_message_id,
        "5511987654321",
        MessageKind.TEXT,
        "Olá!",
        "demo",
    )
    assert (second.provider_message_id, second.kind, second.media, second.file_name, second.text) == (
        document.provider_message_id,
        MessageKind.DOCUMENT,
        "https://x.example/c.pdf",
        "c.pdf",
        "Cardápio",
    )
    assert text.provider_message_id != document.provider_message_id


def test_log_line_hides_the_phone():
    with structlog.testing.capture_logs() as logs:
        CONSOLE.send_text(CREDS, "5511987654321", "Olá!")
    assert logs[0]["event"] == "console_send"
    assert logs[0]["to"] == "***4321"
    assert "5511987654321" not in repr(logs)


def test_status_is_always_connected():
    assert CONSOLE.fetch_status(CREDS) == ChannelStatus(ConnectionStatus.CONNECTED, detail="console provider")
