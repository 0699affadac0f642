import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from integrations.errors import PermanentError
from integrations.messaging.base import (
    ChannelStatus,
    ConnectionStatus,
    DeliveryStatus,
    IncomingMessage,
    MessageKind,
    MessageStatusUpdate,
    ProviderCredentials,
    Unsupported,
    WebhookMalformed,
    WebhookRejected,
)
from integrations.messaging.meta_cloud import MetaCloudProvider
from integrations.messaging.tests.support import body, payload, raw
from integrations.testing.fake_server import FakeServer

META = MetaCloudProvider()
SECRET = "app-secret-123"
CREDS = ProviderCredentials(
    phone_number_id="1122334455667", token="EAAJB-token", app_secret=SECRET, verify_token="vt-abc", api_version="v23.0"
)
# Real answer shape of POST /{phone_number_id}/messages.
SEND_ANSWER = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "5511987654321", "wa_id": "5511987654321"}],
    "messages": [{"id": "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjQ2"}],
}


def sign(data: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def parse(name: str):
    return META.parse_webhook({}, raw("meta_cloud", name), CREDS)


def creds(server) -> ProviderCredentials:
    return ProviderCredentials(
        base_url=server.url, phone_number_id="1122334455667", token="EAAJB-token", app_secret="s", verify_token="v"
    )


def test_text():
    assert parse("text") == [
        IncomingMessage(
            provider_message_id="wamid.xyzxyz",
            chat_id="972987654321",
            kind=MessageKind.TEXT,
            text="Body Text",
            sender_phone="972987654321",
            sender_name="Test Name",
            timestamp=datetime(2023, 10, 11, 16, 53, 43, tzinfo=UTC),
            raw_type="text",
        )
    ]


def test_document_gives_a_media_id_to_download():
    [message] = parse("document")
    assert (message.kind, message.text, message.file_name, message.media_mime, message.media_id, message.media_url) == (
        MessageKind.DOCUMENT,
        "caption",
        "filename.pdf",
        "application/pdf",
        "1234567890987654321",
        None,
    )
    assert message.ignore_reason() is None


def test_image_is_answered_and_fetched_by_media_id():
    [message] = parse("image")
    assert (message.kind, message.media_id, message.ignore_reason()) == (MessageKind.IMAGE, "65463453", None)


def test_button_reply_is_text():
    data = payload("meta_cloud", "text")
    message = data["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(
        type="interactive", interactive={"type": "button_reply", "button_reply": {"id": "b1", "title": "Sim"}}
    )
    [parsed] = META.parse_webhook({}, body(data), CREDS)
    assert (parsed.kind, parsed.text) == (MessageKind.TEXT, "Sim")


def test_status_sent():
    assert parse("status_sent") == [
        MessageStatusUpdate(
            "wamid.xyzxyz", DeliveryStatus.SENT, timestamp=datetime(2023, 10, 25, 20, 49, 5, tzinfo=UTC)
        )
    ]


def test_status_read():
    assert [(e.provider_message_id, e.status) for e in parse("status_read")] == [("wamid.xyzxyz", DeliveryStatus.READ)]


def test_status_failed_keeps_the_error():
    [update] = parse("status_failed")
    assert (update.status, update.error) == (
        DeliveryStatus.FAILED,
        "130472: User's number is part of an experiment "
        "(Failed to send message because this user's phone number is part of an experiment)",
    )


def test_change_for_another_number_is_not_mixed_in():
    other = ProviderCredentials(phone_number_id="999", app_secret=SECRET)
    assert META.parse_webhook({}, raw("meta_cloud", "text"), other) == [
        Unsupported("meta: change for another phone number id")
    ]


def test_other_fields_and_objects_are_unsupported():
    template = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}
        ],
    }
    assert META.parse_webhook({}, body(template), CREDS) == [Unsupported("meta field message_template_status_update")]
    assert META.parse_webhook({}, body({"object": "page", "entry": []}), CREDS) == [Unsupported("meta object page")]


@pytest.mark.parametrize(
    "bad",
    [
        b"{",
        body({"entry": []}),
        body({"object": "whatsapp_business_account", "entry": {}}),
        body({"object": "whatsapp_business_account", "entry": ["x"]}),
        body({"object": "whatsapp_business_account", "entry": [{"changes": {}}]}),
        body({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": []}]}]}),
        body(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages", "value": {"statuses": {}}}]}],
            }
        ),
    ],
)
def test_malformed(bad):
    with pytest.raises(WebhookMalformed):
        META.parse_webhook({}, bad, CREDS)


# Signature


def meta_batch(*messages: dict, contacts: list | None = None) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "1122334455667"},
        "messages": list(messages),
    }
    if contacts is not None:
        value["contacts"] = contacts
    return body(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": value}]}]}
    )


def test_one_unreadable_message_of_a_batch_is_recorded_and_its_sibling_kept():
    good = {"from": "5511987654321", "id": "wamid.good", "type": "text", "text": {"body": "oi"}}
    events = META.parse_webhook({}, meta_batch({"id": "x"}, "not an object", good), CREDS)
    assert [type(event).__name__ for event in events] == ["Unsupported", "Unsupported", "IncomingMessage"]
    assert events[0].reason.startswith("meta: unreadable messages[]")
    assert events[2].text == "oi"


def test_interactive_without_a_usable_reply_is_ignored_with_a_reason():
    # An interactive message Meta could not render arrives with no reply object and an `errors` array.
    broken = {
        "from": "5511987654321",
        "id": "wamid.broken",
        "type": "interactive",
        "interactive": {"type": "nfm_reply"},
        "errors": [{"code": 131051, "title": "Message type unknown"}],
    }
    assert META.parse_webhook({}, meta_batch(broken), CREDS) == [
        Unsupported("meta: interactive message without a usable reply")
    ]


def test_a_user_known_only_by_business_scoped_id_is_a_phone_less_sender():
    # A user with a username: no `from` (phone) in the message, only `from_user_id` (BSUID).
    message = {"from_user_id": "BR.1502576394655843", "id": "wamid.bsuid", "type": "text", "text": {"body": "oi"}}
    contacts = [{"profile": {"name": "Ana", "username": "@ana"}, "user_id": "BR.1502576394655843"}]
    [event] = META.parse_webhook({}, meta_batch(message, contacts=contacts), CREDS)
    assert (event.chat_id, event.sender_phone, event.sender_name) == ("BR.1502576394655843", None, "Ana")


def test_send_to_a_business_scoped_id_uses_recipient():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/messages", json=SEND_ANSWER)
        META.send_text(creds(server), "BR.1502576394655843", "Olá!")
    [request] = server.requests
    assert request.json["recipient"] == "BR.1502576394655843" and "to" not in request.json


def test_valid_signature_passes():
    data = raw("meta_cloud", "text")
    META.verify_webhook({"X-Hub-Signature-256": sign(data)}, data, CREDS)


def test_header_name_is_case_insensitive():
    data = raw("meta_cloud", "text")
    META.verify_webhook({"x-hub-signature-256": sign(data)}, data, CREDS)


def test_known_vector():
    # hexdocs whatsapp_sdk: compute_signature("test", "secret")
    expected = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    assert sign(b"test", "secret") == expected
    META.verify_webhook({"X-Hub-Signature-256": expected}, b"test", ProviderCredentials(app_secret="secret"))


def test_one_flipped_body_byte_is_rejected():
    data = raw("meta_cloud", "text")
    signature = sign(data)
    tampered = bytearray(data)
    tampered[10] ^= 0x01
    with pytest.raises(WebhookRejected) as caught:
        META.verify_webhook({"X-Hub-Signature-256": signature}, bytes(tampered), CREDS)
    assert caught.value.status_code == 403


def test_one_flipped_signature_char_is_rejected():
    data = raw("meta_cloud", "text")
    signature = sign(data)
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    with pytest.raises(WebhookRejected) as caught:
        META.verify_webhook({"X-Hub-Signature-256": flipped}, data, CREDS)
    assert caught.value.status_code == 403


def test_reserialised_body_is_rejected():
    # Meta signs the bytes as sent (\u-escaped); a re-dumped body no longer matches.
    original = b'{"text": "p\\u00e3o"}'
    reserialised = '{"text": "pão"}'.encode()
    with pytest.raises(WebhookRejected):
        META.verify_webhook({"X-Hub-Signature-256": sign(original)}, reserialised, CREDS)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Hub-Signature-256": ""}, 401),
        ({"X-Hub-Signature-256": "sha1=abcdef"}, 401),
        ({"X-Hub-Signature-256": "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"}, 401),
        ({"X-Hub-Signature-256": "sha256="}, 403),
        ({"X-Hub-Signature-256": "sha256=zzzz"}, 403),
        ({"X-Hub-Signature-256": "sha256=ção\x00"}, 403),
        ({"X-Hub-Signature": "sha1=abc"}, 401),
    ],
)
def test_bad_signature_headers_are_rejected(headers, status):
    with pytest.raises(WebhookRejected) as caught:
        META.verify_webhook(headers, b"{}", CREDS)
    assert caught.value.status_code == status


def test_no_app_secret_configured_fails_closed():
    with pytest.raises(WebhookRejected) as caught:
        META.verify_webhook({"X-Hub-Signature-256": sign(b"{}", "")}, b"{}", ProviderCredentials())
    assert caught.value.status_code == 403


# Subscription handshake


def test_subscription_returns_the_challenge():
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "vt-abc"}
    assert META.verify_subscription(params, CREDS) == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": "vt-abc"},
        {"hub.mode": "subscribe", "hub.verify_token": "vt-abc"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_bad_subscription_is_forbidden(params):
    with pytest.raises(WebhookRejected) as caught:
        META.verify_subscription(params, CREDS)
    assert caught.value.status_code == 403


def test_subscription_without_configured_token_is_forbidden():
    params = {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": ""}
    with pytest.raises(WebhookRejected):
        META.verify_subscription(params, ProviderCredentials())


# Sending


def test_send_text():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/messages", json=SEND_ANSWER)
        result = META.send_text(creds(server), "5511987654321", "Olá!")
    [request] = server.requests
    assert (request.path, request.headers["Authorization"]) == ("/v23.0/1122334455667/messages", "Bearer EAAJB-token")
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "type": "text",
        "text": {"preview_url": False, "body": "Olá!"},
    }
    assert result.provider_message_id == "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjQ2"


def test_send_document_by_link():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/messages", json=SEND_ANSWER)
        META.send_document(
            creds(server), "5511987654321", "https://files.example/c.pdf", "cardapio.pdf", "application/pdf", "Cardápio"
        )
    assert server.requests[0].json["document"] == {
        "link": "https://files.example/c.pdf",
        "filename": "cardapio.pdf",
        "caption": "Cardápio",
    }


def test_send_document_bytes_uploads_then_sends_by_id():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/media", json={"id": "1013859600285441"})
        server.add("POST", "/v23.0/1122334455667/messages", json=SEND_ANSWER)
        META.send_document(creds(server), "5511987654321", b"%PDF-1.4 test", "pedido.pdf", "application/pdf")
    upload, send = server.requests
    assert upload.path == "/v23.0/1122334455667/media"
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in upload.body
    assert b'filename="pedido.pdf"' in upload.body and b"%PDF-1.4 test" in upload.body
    assert send.json["document"] == {"id": "1013859600285441", "filename": "pedido.pdf"}


def test_upload_without_id_is_permanent_and_sends_nothing():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/media", json={})
        with pytest.raises(PermanentError):
            META.send_image(creds(server), "5511987654321", b"\x89PNG", "image/png")
    assert server.requests_to("POST", "/v23.0/1122334455667/messages") == []


def test_send_image_by_link():
    with FakeServer() as server:
        server.add("POST", "/v23.0/1122334455667/messages", json=SEND_ANSWER)
        META.send_image(creds(server), "5511987654321", "https://files.example/p.jpg", "image/jpeg", "Pizza")
    assert server.requests[0].json["image"] == {"link": "https://files.example/p.jpg", "caption": "Pizza"}


def test_fetch_status():
    answer = {
        "display_phone_number": "+55 11 99999-0000",
        "verified_name": "Pizzaria Bella",
        "quality_rating": "GREEN",
        "id": "1122334455667",
    }
    with FakeServer() as server:
        server.add("GET", "/v23.0/1122334455667", json=answer)
        status = META.fetch_status(creds(server))
    [request] = server.requests
    assert request.query == {"fields": ["display_phone_number,verified_name,quality_rating"]}
    assert request.headers["Authorization"] == "Bearer EAAJB-token"
    assert status == ChannelStatus(ConnectionStatus.CONNECTED, phone="5511999990000", detail="quality GREEN")
