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
)
from integrations.messaging.evolution import EvolutionProvider
from integrations.messaging.tests.support import body, payload, raw
from integrations.testing.fake_server import FakeServer

EVOLUTION = EvolutionProvider()
CREDS = ProviderCredentials(base_url="https://evolution.example.com", instance="minha-instancia", api_key="k")

# Real answer of POST /message/sendText (doc.evolution-api.com v2, send-text).
SEND_ANSWER = {
    "key": {"remoteJid": "553198296801@s.whatsapp.net", "fromMe": True, "id": "BAE594145F4C59B4"},
    "message": {"extendedTextMessage": {"text": "Olá!"}},
    "messageTimestamp": "1717689097",
    "status": "PENDING",
}


def parse(name: str):
    return EVOLUTION.parse_webhook({}, raw("evolution", name), CREDS)


def creds(server) -> ProviderCredentials:
    return ProviderCredentials(base_url=server.url, instance="minha instancia", api_key="evo-key")


def test_conversation_is_text():
    assert parse("text") == [
        IncomingMessage(
            provider_message_id="3EB0C767D097B7C7C030",
            chat_id="5511987654321@s.whatsapp.net",
            kind=MessageKind.TEXT,
            text="Oi, quero finalizar meu pedido",
            sender_phone="5511987654321",
            sender_name="Maria",
            timestamp=datetime(2024, 6, 6, 15, 51, 37, tzinfo=UTC),
            raw_type="conversation",
        )
    ]


def test_extended_text_message_from_older_servers_is_text():
    data = payload("evolution", "text")
    data["data"]["message"] = {"extendedTextMessage": {"text": "com link https://x.example"}}
    data["data"]["messageType"] = "extendedTextMessage"
    [message] = EVOLUTION.parse_webhook({}, body(data), CREDS)
    assert (message.kind, message.text) == (MessageKind.TEXT, "com link https://x.example")


def test_document_with_caption():
    [message] = parse("document")
    assert (message.kind, message.text, message.file_name, message.media_mime, message.ignore_reason()) == (
        MessageKind.DOCUMENT,
        "segue o comprovante",
        "comprovante.pdf",
        "application/pdf",
        None,
    )
    assert message.media_url.startswith("https://mmg.whatsapp.net/")


def test_document_with_caption_wrapper():
    data = payload("evolution", "document")
    inner = data["data"]["message"].pop("documentMessage")
    data["data"]["message"]["documentWithCaptionMessage"] = {"message": {"documentMessage": inner}}
    data["data"]["messageType"] = "documentWithCaptionMessage"
    [message] = EVOLUTION.parse_webhook({}, body(data), CREDS)
    assert (message.kind, message.file_name) == (MessageKind.DOCUMENT, "comprovante.pdf")


def test_image_with_its_caption_is_answered():
    [message] = parse("image")
    assert (message.kind, message.text, message.ignore_reason()) == (MessageKind.IMAGE, "essa aqui", None)


def test_from_me():
    [message] = parse("from_me")
    assert (message.from_me, message.sender_name, message.ignore_reason()) == (True, "", "from_me")


def test_group_sender_is_the_participant():
    [message] = parse("group")
    assert (message.is_group, message.chat_id, message.sender_phone, message.ignore_reason()) == (
        True,
        "120363324913602723@g.us",
        "5511987654321",
        "group",
    )


def test_lid_chat_takes_the_phone_from_remote_jid_alt():
    data = payload("evolution", "text")
    data["data"]["key"].update(remoteJid="249391621378064@lid", remoteJidAlt="5511987654321@s.whatsapp.net")
    [message] = EVOLUTION.parse_webhook({}, body(data), CREDS)
    assert (message.chat_id, message.sender_phone) == ("249391621378064@lid", "5511987654321")


def test_upper_snake_event_name():
    data = payload("evolution", "text")
    data["event"] = "MESSAGES_UPSERT"
    assert EVOLUTION.parse_webhook({}, body(data), CREDS) == parse("text")


def test_messages_update_read():
    assert parse("messages_update_read") == [MessageStatusUpdate("BAE594145F4C59B4", DeliveryStatus.READ)]


@pytest.mark.parametrize(
    ("raw_status", "expected"),
    [("SERVER_ACK", DeliveryStatus.SENT), ("DELIVERY_ACK", DeliveryStatus.DELIVERED), ("ERROR", DeliveryStatus.FAILED)],
)
def test_messages_update_statuses(raw_status, expected):
    data = payload("evolution", "messages_update_read")
    data["data"]["status"] = raw_status
    assert EVOLUTION.parse_webhook({}, body(data), CREDS) == [MessageStatusUpdate("BAE594145F4C59B4", expected)]


def test_deleted_message_is_unsupported():
    data = payload("evolution", "messages_update_read")
    data["data"]["status"] = "DELETED"
    assert EVOLUTION.parse_webhook({}, body(data), CREDS) == [Unsupported("evolution message status DELETED")]


def test_connection_open_captures_the_phone():
    assert parse("connection_open") == [ConnectionUpdate(ConnectionStatus.CONNECTED, phone="5511999990000")]


def test_connection_close():
    assert parse("connection_close") == [ConnectionUpdate(ConnectionStatus.DISCONNECTED, reason="401")]


def test_qrcode_updated():
    assert parse("qrcode_updated") == [
        ConnectionUpdate(
            ConnectionStatus.CONNECTING, qr_code="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA...(trimmed)"
        )
    ]


def test_qrcode_limit_reached_is_a_disconnect():
    data = {
        "event": "qrcode.updated",
        "data": {"message": "QR code limit reached, please login again", "statusCode": 500},
    }
    assert EVOLUTION.parse_webhook({}, body(data), CREDS) == [
        ConnectionUpdate(ConnectionStatus.DISCONNECTED, reason="QR code limit reached, please login again")
    ]


def test_other_events_are_unsupported():
    assert EVOLUTION.parse_webhook({}, body({"event": "presence.update", "data": {}}), CREDS) == [
        Unsupported("evolution event presence.update")
    ]


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        body([1, 2]),
        body({"data": {}}),
        body({"event": "messages.upsert", "data": "x"}),
        body({"event": "messages.upsert", "data": {"key": {"remoteJid": "x"}}}),
        body({"event": "messages.upsert", "data": []}),
        body({"event": "messages.update", "data": {"status": "READ"}}),
        body({"event": "qrcode.updated", "data": {}}),
    ],
)
def test_malformed(bad):
    with pytest.raises(WebhookMalformed):
        EVOLUTION.parse_webhook({}, bad, CREDS)


def test_send_text():
    with FakeServer() as server:
        server.add("POST", "/message/sendText/minha%20instancia", status=201, json=SEND_ANSWER)
        result = EVOLUTION.send_text(creds(server), "5511987654321@s.whatsapp.net", "Olá!")
    [request] = server.requests
    assert (request.path, request.headers["apikey"]) == ("/message/sendText/minha%20instancia", "evo-key")
    assert request.json == {"number": "5511987654321@s.whatsapp.net", "text": "Olá!"}
    assert result.provider_message_id == "BAE594145F4C59B4"


def test_send_document_by_url():
    with FakeServer() as server:
        server.add("POST", "/message/sendMedia/minha%20instancia", status=201, json=SEND_ANSWER)
        EVOLUTION.send_document(
            creds(server), "5511987654321", "https://files.example/c.pdf", "cardapio.pdf", "application/pdf", "Cardápio"
        )
    assert server.requests[0].json == {
        "number": "5511987654321",
        "mediatype": "document",
        "mimetype": "application/pdf",
        "caption": "Cardápio",
        "media": "https://files.example/c.pdf",
        "fileName": "cardapio.pdf",
    }


def test_send_image_bytes_as_base64():
    with FakeServer() as server:
        server.add("POST", "/message/sendMedia/minha%20instancia", status=201, json=SEND_ANSWER)
        EVOLUTION.send_image(creds(server), "5511987654321", b"\xff\xd8jpeg", "image/jpeg")
    sent = server.requests[0].json
    assert (sent["mediatype"], sent["media"], sent["caption"]) == (
        "image",
        base64.b64encode(b"\xff\xd8jpeg").decode(),
        "",
    )


def test_fetch_status_open():
    with FakeServer() as server:
        server.add(
            "GET",
            "/instance/connectionState/minha%20instancia",
            json={"instance": {"instanceName": "minha instancia", "state": "open"}},
        )
        status = EVOLUTION.fetch_status(creds(server))
    assert server.requests[0].headers["apikey"] == "evo-key"
    assert status == ChannelStatus(ConnectionStatus.CONNECTED, detail="evolution state open")
    assert len(server.requests) == 1


def test_fetch_status_connecting_asks_for_the_qr():
    with FakeServer() as server:
        server.add("GET", "/instance/connectionState/minha%20instancia", json={"instance": {"state": "connecting"}})
        server.add(
            "GET",
            "/instance/connect/minha%20instancia",
            json={"pairingCode": "WZYEH1YY", "code": "2@y8eK", "base64": "data:image/png;base64,QQ", "count": 1},
        )
        status = EVOLUTION.fetch_status(creds(server))
    assert status == ChannelStatus(
        ConnectionStatus.CONNECTING, qr_code="data:image/png;base64,QQ", detail="evolution state connecting"
    )


def test_fetch_status_close_does_not_reconnect():
    with FakeServer() as server:
        server.add("GET", "/instance/connectionState/minha%20instancia", json={"instance": {"state": "close"}})
        status = EVOLUTION.fetch_status(creds(server))
    assert status.status == ConnectionStatus.DISCONNECTED
    assert server.requests_to("GET", "/instance/connect/minha%20instancia") == []


def test_a_list_reply_and_a_contact_are_read_as_text():
    data = payload("evolution", "text")
    data["data"]["message"] = {
        "listResponseMessage": {"title": "Calabresa", "singleSelectReply": {"selectedRowId": "c"}}
    }
    [choice] = EVOLUTION.parse_webhook({}, body(data), CREDS)
    data["data"]["message"] = {
        "contactMessage": {
            "displayName": "Ana",
            "vcard": "BEGIN:VCARD\nTEL;waid=5511912345678:+55 11 91234-5678\nEND:VCARD",
        }
    }
    [contact] = EVOLUTION.parse_webhook({}, body(data), CREDS)
    assert (choice.kind, choice.text) == (MessageKind.TEXT, "Calabresa")
    assert (contact.kind, contact.text) == (MessageKind.TEXT, "👤 Ana +55 11 91234-5678")
