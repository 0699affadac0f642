from dataclasses import replace

import pytest

from integrations.errors import PermanentError
from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    IncomingMessage,
    MessageKind,
    ProviderCredentials,
    TicketUpdate,
    Unsupported,
    WebhookMalformed,
)
from integrations.messaging.gosac import GosacProvider
from integrations.messaging.tests.support import body, payload, raw
from integrations.testing.fake_server import FakeServer

GOSAC = GosacProvider()
CREDS = ProviderCredentials(base_url="https://tenant.gosac.example/api", token="auth-key-1", integration="integ-9")


def parse(name: str):
    return GOSAC.parse_webhook({}, raw("gosac", name), CREDS)


def test_text_chat_is_text_preceded_by_its_ticket():
    assert parse("text") == [
        TicketUpdate(ticket_id="8812", chat_id="24914", status="pending", user_id=None),
        IncomingMessage(
            provider_message_id="",  # no id, no createdAt: nothing to deduplicate by
            chat_id="24914",
            kind=MessageKind.TEXT,
            text="Oi, quero saber do meu pedido",
            sender_phone="5511987654321",
            sender_name="Maria Souza",
            raw_type="chat",
            ticket_id="8812",
        ),
    ]


def test_document_application_keeps_url_and_file_name():
    message = parse("document")[1]
    assert (message.kind, message.media_url, message.file_name, message.text, message.ignore_reason()) == (
        MessageKind.DOCUMENT,
        "https://tenant.gosac.example/public/1718200000000-comprovante.pdf",
        "1718200000000-comprovante.pdf",
        "comprovante.pdf",
        None,
    )


def test_image_is_answered():
    message = parse("image")[1]
    assert (message.kind, message.ignore_reason()) == (MessageKind.IMAGE, None)


def test_from_me_is_ignored():
    message = parse("from_me")[1]
    assert (message.from_me, message.ignore_reason()) == (True, "from_me")


def test_group_is_ignored():
    message = parse("group")[1]
    assert (message.is_group, message.sender_phone, message.ignore_reason()) == (True, "120363324913602723", "group")


def test_ticket_taken_by_a_human():
    ticket = parse("ticket_taken")[0]
    assert ticket == TicketUpdate(ticket_id="8812", chat_id="24914", status="open", user_id="7")
    assert ticket.human_took_over is True


def test_pending_or_closed_ticket_is_not_a_takeover():
    assert TicketUpdate("1", "2", "pending", None).human_took_over is False
    assert TicketUpdate("1", "2", "closed", "7").human_took_over is False


def test_user_id_zero_means_nobody():
    data = payload("gosac", "ticket_taken")
    data["data"]["ticket"]["userId"] = 0
    assert GOSAC.parse_webhook({}, body(data), CREDS)[0].user_id is None


def test_message_id_from_payload_when_present():
    data = payload("gosac", "text")
    data["data"]["id"] = "3EB0ABC"
    assert GOSAC.parse_webhook({}, body(data), CREDS)[1].provider_message_id == "3EB0ABC"


def with_created_at(text: str, created_at: str = "2026-05-04T12:00:01.123Z", ticket: int = 8812) -> bytes:
    data = payload("gosac", "text")
    data["data"].update(body=text, createdAt=created_at, ticketId=ticket)
    return body(data)


def test_without_id_a_redelivery_gets_the_same_id_from_ticket_time_and_sender():
    first = GOSAC.parse_webhook({}, with_created_at("oi"), CREDS)[1].provider_message_id
    again = GOSAC.parse_webhook({}, with_created_at("oi"), CREDS)[1].provider_message_id
    assert first.startswith("sha256:") and first == again


def test_without_id_two_genuine_identical_texts_get_different_ids():
    one = GOSAC.parse_webhook({}, with_created_at("oi", "2026-05-04T12:00:01.123Z"), CREDS)[1]
    two = GOSAC.parse_webhook({}, with_created_at("oi", "2026-05-04T12:00:09.456Z"), CREDS)[1]
    assert one.provider_message_id != two.provider_message_id


def test_without_id_nor_created_at_there_is_no_id_so_nothing_is_dropped():
    assert parse("text")[1].provider_message_id == ""


def test_other_event_type_is_unsupported():
    assert GOSAC.parse_webhook({}, body({"type": "contacts:updated", "data": {}}), CREDS) == [
        Unsupported("gosac event contacts:updated")
    ]


@pytest.mark.parametrize(
    "bad",
    [
        b"not json",
        b"[]",
        body({"data": {}}),
        body({"type": "messages:created"}),
        body({"type": "messages:created", "data": {}}),
    ],
)
def test_malformed(bad):
    with pytest.raises(WebhookMalformed):
        GOSAC.parse_webhook({}, bad, CREDS)


def test_send_text_posts_seed_004_request():
    with FakeServer() as server:
        server.add("POST", "/api/send-message", json={"id": 5501, "ack": 0})
        result = GOSAC.send_text(replace(CREDS, base_url=server.url + "/api"), "24914", "Olá!")
    [request] = server.requests
    assert (request.path, request.headers["Authorization"], request.headers["INTEGRATION"]) == (
        "/api/send-message",
        "auth-key-1",
        "integ-9",
    )
    assert request.json == {"contact_id": 24914, "message": "Olá!"}
    assert result.provider_message_id == "5501"


def test_send_document_by_url_goes_as_link_text():
    with FakeServer() as server:
        server.add("POST", "/send-message", json={})
        result = GOSAC.send_document(
            ProviderCredentials(base_url=server.url, token="a", integration="b"),
            "24914",
            "https://files.example/cardapio.pdf",
            "cardapio.pdf",
            "application/pdf",
            caption="Nosso cardápio",
        )
    assert server.requests[0].json == {
        "contact_id": 24914,
        "message": "Nosso cardápio\nhttps://files.example/cardapio.pdf",
    }
    assert result.provider_message_id == ""


def test_send_document_bytes_is_permanent_and_sends_nothing():
    with FakeServer() as server:
        with pytest.raises(PermanentError):
            GOSAC.send_document(
                ProviderCredentials(base_url=server.url, token="a", integration="b"),
                "24914",
                b"%PDF",
                "x.pdf",
                "application/pdf",
            )
    assert server.requests == []


def test_fetch_status_needs_no_call():
    assert GOSAC.fetch_status(CREDS) == ChannelStatus(
        status=ConnectionStatus.CONNECTED, detail="GOSAC does not report session status"
    )


def test_missing_credentials_refused_before_any_call():
    with pytest.raises(PermanentError, match="integration"):
        GOSAC.send_text(ProviderCredentials(base_url="http://127.0.0.1:9", token="a"), "1", "x")
