import base64
from datetime import UTC, datetime

import pytest

from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    ConnectionUpdate,
    DeliveryStatus,
    IncomingMessage,
    MessageKind,
    MessageStatusUpdate,
    ProviderCredentials,
    Unsupported,
    WebhookMalformed,
    WebhookRejected,
)
from integrations.messaging.tests.support import body, payload, raw
from integrations.messaging.uazapi import UazapiProvider
from integrations.testing.fake_server import FakeServer

UAZAPI = UazapiProvider()
TOKEN = "xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"  # what the fixtures carry
CREDS = ProviderCredentials(base_url="https://free.uazapi.com", token=TOKEN)


def parse(name: str):
    return UAZAPI.parse_webhook({}, raw("uazapi", name), CREDS)


def creds(server) -> ProviderCredentials:
    return ProviderCredentials(base_url=server.url, token="tok-instancia")


def test_extended_text_message_is_text_replied_to_the_phone_jid():
    assert parse("text") == [
        IncomingMessage(
            provider_message_id="AC98212CD4909DE6799E78D93A824A3F",
            chat_id="5511987654321@s.whatsapp.net",
            kind=MessageKind.TEXT,
            text="Oi",
            sender_phone="5511987654321",  # sender is an @lid; the phone comes from sender_pn
            sender_name="Maria Souza",
            timestamp=datetime(2026, 2, 3, 19, 16, 18, tzinfo=UTC),  # milliseconds in the payload
            raw_type="ExtendedTextMessage",
        )
    ]


def test_document():
    [message] = parse("document")
    assert (message.kind, message.file_name, message.media_mime, message.ignore_reason()) == (
        MessageKind.DOCUMENT,
        "Catálogo Fittivirtual PDF.pdf",
        "application/pdf",
        None,
    )
    assert message.media_url.startswith("https://mmg.whatsapp.net/v/t62.7119-24/")


def test_image_is_answered():
    [message] = parse("image")
    assert (message.kind, message.media_mime, message.ignore_reason()) == (MessageKind.IMAGE, "image/jpeg", None)


def test_from_me():
    [message] = parse("from_me")
    assert (message.from_me, message.chat_id, message.ignore_reason()) == (
        True,
        "5511987654321@s.whatsapp.net",
        "from_me",
    )
    # sender_pn is our own number on a message we sent: the customer is the chat.
    assert message.sender_phone == "5511987654321"


def test_group():
    [message] = parse("group")
    assert (message.is_group, message.chat_id, message.sender_phone, message.ignore_reason()) == (
        True,
        "120363324913602723@g.us",
        "5511987654321",
        "group",
    )


def test_read_receipt_updates_every_listed_message():
    when = datetime(2026, 5, 9, 1, 14, 36, tzinfo=UTC)
    assert parse("receipt_read") == [
        MessageStatusUpdate("3EB038719B72377701266F", DeliveryStatus.READ, timestamp=when),
        MessageStatusUpdate("3EB0538DA65A59F6D8A251", DeliveryStatus.READ, timestamp=when),
    ]


def test_delivered_receipt():
    data = payload("uazapi", "receipt_read")
    data["state"] = data["event"]["Type"] = "Delivered"
    assert {e.status for e in UAZAPI.parse_webhook({}, body(data), CREDS)} == {DeliveryStatus.DELIVERED}


def test_connecting_carries_the_qr():
    assert parse("connection_connecting") == [
        ConnectionUpdate(ConnectionStatus.CONNECTING, qr_code="data:image/png;base64,iVBORw0KGgoAAAANSU...(trimmed)")
    ]


def test_connected_captures_the_phone():
    assert parse("connection_connected") == [ConnectionUpdate(ConnectionStatus.CONNECTED, phone="5511999990000")]


def test_disconnected_keeps_the_reason():
    assert parse("connection_disconnected") == [
        ConnectionUpdate(ConnectionStatus.DISCONNECTED, reason="401: logged out from another device")
    ]


def test_other_event_types_are_unsupported():
    assert UAZAPI.parse_webhook({}, body({"EventType": "presence", "event": {}}), CREDS) == [
        Unsupported("uazapi event presence")
    ]


@pytest.mark.parametrize(
    "bad",
    [
        b"\xff\xfe",
        b'"text"',
        body({"message": {}}),
        body({"EventType": "messages"}),
        body({"EventType": "messages", "message": {"chatid": "x"}}),
        body({"EventType": "messages_update", "event": {"MessageIDs": []}}),
        body({"EventType": "connection", "instance": "connected"}),
    ],
)
def test_malformed(bad):
    with pytest.raises(WebhookMalformed):
        UAZAPI.parse_webhook({}, bad, CREDS)


def test_body_token_of_another_instance_is_rejected():
    with pytest.raises(WebhookRejected) as caught:
        UAZAPI.verify_webhook({}, raw("uazapi", "text"), ProviderCredentials(token="someone-else"))
    assert caught.value.status_code == 403


def test_matching_token_or_no_token_passes():
    UAZAPI.verify_webhook({}, raw("uazapi", "text"), CREDS)
    UAZAPI.verify_webhook({}, body({"EventType": "messages"}), CREDS)


def test_send_text():
    with FakeServer() as server:
        server.add(
            "POST", "/send/text", json={"id": "5511999990000:3EB0ABCD", "messageid": "3EB0ABCD", "status": "Pending"}
        )
        result = UAZAPI.send_text(creds(server), "5511987654321@s.whatsapp.net", "Olá!")
    [request] = server.requests
    assert (request.path, request.headers["token"]) == ("/send/text", "tok-instancia")
    assert request.json == {"number": "5511987654321@s.whatsapp.net", "text": "Olá!"}
    assert result.provider_message_id == "3EB0ABCD"


def test_send_text_answer_with_only_the_owner_prefixed_id():
    with FakeServer() as server:
        server.add("POST", "/send/text", json={"id": "5511999990000:3EB0ABCD"})
        assert UAZAPI.send_text(creds(server), "5511987654321", "x").provider_message_id == "3EB0ABCD"


def test_send_document_by_url():
    with FakeServer() as server:
        server.add("POST", "/send/media", json={"messageid": "3EB0DOC"})
        result = UAZAPI.send_document(
            creds(server), "5511987654321", "https://files.example/c.pdf", "cardapio.pdf", "application/pdf", "Cardápio"
        )
    assert server.requests[0].json == {
        "number": "5511987654321",
        "type": "document",
        "file": "https://files.example/c.pdf",
        "docName": "cardapio.pdf",
        "text": "Cardápio",
    }
    assert result.provider_message_id == "3EB0DOC"


def test_send_image_bytes_as_base64():
    with FakeServer() as server:
        server.add("POST", "/send/media", json={"messageid": "3EB0IMG"})
        UAZAPI.send_image(creds(server), "5511987654321", b"\x89PNG", "image/png")
    assert server.requests[0].json == {
        "number": "5511987654321",
        "type": "image",
        "file": base64.b64encode(b"\x89PNG").decode(),
    }


def test_fetch_status_connecting_with_qr():
    answer = {
        "instance": {
            "id": "r1",
            "status": "connecting",
            "qrcode": "data:image/png;base64,AAA",
            "paircode": "7K2M-4X9P",
        },
        "status": {"connected": False, "loggedIn": False},
    }
    with FakeServer() as server:
        server.add("GET", "/instance/status", json=answer)
        status = UAZAPI.fetch_status(creds(server))
    assert server.requests[0].headers["token"] == "tok-instancia"
    assert status == ChannelStatus(ConnectionStatus.CONNECTING, qr_code="data:image/png;base64,AAA")


def test_fetch_status_connected_with_owner():
    answer = {
        "instance": {"status": "connected", "owner": "5511999990000", "qrcode": ""},
        "status": {"connected": True},
    }
    with FakeServer() as server:
        server.add("GET", "/instance/status", json=answer)
        assert UAZAPI.fetch_status(creds(server)) == ChannelStatus(ConnectionStatus.CONNECTED, phone="5511999990000")
