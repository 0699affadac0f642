import json
from datetime import UTC, datetime

import pytest

from integrations.errors import PermanentError
from integrations.messaging.base import (
    ConnectionStatus,
    ConnectionUpdate,
    DeliveryStatus,
    IncomingMessage,
    MessageKind,
    MessageStatusUpdate,
    ProviderCredentials,
    TicketUpdate,
    Unsupported,
    digits,
    event_from_dict,
    event_to_dict,
    kind_from_raw_type,
)
from integrations.messaging.registry import get_provider


@pytest.mark.parametrize(
    ("raw_type", "kind"),
    [
        ("chat", MessageKind.TEXT),
        ("conversation", MessageKind.TEXT),
        ("text", MessageKind.TEXT),
        ("extendedTextMessage", MessageKind.TEXT),
        ("ExtendedTextMessage", MessageKind.TEXT),
        ("Conversation", MessageKind.TEXT),
        ("application", MessageKind.DOCUMENT),
        ("document", MessageKind.DOCUMENT),
        ("DocumentMessage", MessageKind.DOCUMENT),
        ("documentWithCaptionMessage", MessageKind.DOCUMENT),
        ("image", MessageKind.IMAGE),
        ("imageMessage", MessageKind.IMAGE),
        ("ptt", MessageKind.AUDIO),
        ("AudioMessage", MessageKind.AUDIO),
        ("videoMessage", MessageKind.VIDEO),
        ("StickerMessage", MessageKind.STICKER),
        ("locationMessage", MessageKind.LOCATION),
        ("pollCreationMessage", MessageKind.OTHER),
        ("", MessageKind.OTHER),
        (None, MessageKind.OTHER),
    ],
)
def test_kind_from_raw_type(raw_type, kind):
    assert kind_from_raw_type(raw_type) == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5511987654321@s.whatsapp.net", "5511987654321"),
        ("5511999990000:12@s.whatsapp.net", "5511999990000"),
        ("+55 11 98765-4321", "5511987654321"),
        ("123456789012345@lid", None),
        ("120363324913602723@g.us", None),
        ("", None),
        (None, None),
    ],
)
def test_digits(value, expected):
    assert digits(value) == expected


def test_ignore_reason_order():
    base = IncomingMessage("id", "chat", MessageKind.TEXT)
    assert base.ignore_reason() is None
    assert IncomingMessage("id", "chat", MessageKind.DOCUMENT).ignore_reason() is None
    assert IncomingMessage("id", "chat", MessageKind.AUDIO).ignore_reason() is None  # a voice note
    assert IncomingMessage("id", "chat", MessageKind.IMAGE).ignore_reason() is None
    assert IncomingMessage("id", "chat", MessageKind.VIDEO).ignore_reason() == "kind:video"
    assert IncomingMessage("id", "chat", MessageKind.STICKER).ignore_reason() == "kind:sticker"
    assert IncomingMessage("id", "chat", MessageKind.IMAGE, from_me=True, is_group=True).ignore_reason() == "from_me"
    assert IncomingMessage("id", "chat", MessageKind.IMAGE, is_group=True).ignore_reason() == "group"


def test_secrets_stay_out_of_repr():
    creds = ProviderCredentials(
        base_url="https://x",
        token="T0KEN",
        api_key="AP1KEY",
        integration="INTEG",
        app_secret="S3CRET",
        verify_token="VT",
    )
    text = repr(creds) + str(creds)
    for secret in ("T0KEN", "AP1KEY", "INTEG", "S3CRET", "VT"):
        assert secret not in text


def test_credentials_from_channel_json():
    creds = ProviderCredentials.from_mapping(
        {"token": "t", "phone_number_id": 1122334455667, "unknown": "x", "app_secret": None},
        base_url="https://graph.example",
        instance="loja",
    )
    assert creds == ProviderCredentials(
        base_url="https://graph.example", instance="loja", token="t", phone_number_id="1122334455667"
    )


def test_check_credentials_names_what_is_missing():
    with pytest.raises(PermanentError) as caught:
        get_provider("meta_cloud").check_credentials(ProviderCredentials(token="t"))
    assert str(caught.value) == "meta_cloud: missing credentials: phone_number_id, app_secret, verify_token"


@pytest.mark.parametrize(
    "event",
    [
        IncomingMessage(
            "wamid.1",
            "5511987654321",
            MessageKind.DOCUMENT,
            text="segue",
            sender_phone="5511987654321",
            file_name="a.pdf",
            timestamp=datetime(2024, 6, 6, 15, 51, 37, tzinfo=UTC),
            raw_type="document",
        ),
        MessageStatusUpdate("wamid.1", DeliveryStatus.FAILED, error="131026: undeliverable"),
        ConnectionUpdate(ConnectionStatus.CONNECTING, qr_code="data:image/png;base64,AA"),
        TicketUpdate("8812", "24914", "open", "7"),
        Unsupported("meta field account_update"),
    ],
)
def test_event_dict_round_trip(event):
    data = event_to_dict(event)
    assert event_from_dict(json.loads(json.dumps(data))) == event


def test_event_dict_shape():
    assert event_to_dict(MessageStatusUpdate("w1", DeliveryStatus.READ)) == {
        "event": "status",
        "provider_message_id": "w1",
        "status": "read",
        "error": "",
        "timestamp": None,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1770146178, datetime(2026, 2, 3, 19, 16, 18, tzinfo=UTC)),  # seconds (Meta, Evolution)
        (1770146178000, datetime(2026, 2, 3, 19, 16, 18, tzinfo=UTC)),  # milliseconds (UAZAPI)
        ("1770146178", datetime(2026, 2, 3, 19, 16, 18, tzinfo=UTC)),
        (10**30, None),  # out of range: the caller uses the receipt time
        (float("nan"), None),
        (-5, None),
        ("amanhã", None),
        (True, None),
    ],
)
def test_epoch_is_read_as_seconds_or_milliseconds_by_size(value, expected):
    from integrations.messaging.base import from_epoch

    assert from_epoch(value) == expected


def test_storable_text_replaces_nul_and_lone_surrogates_only():
    from integrations.messaging.base import storable_text

    assert storable_text("a\x00b\ud800c\udfff") == "a\ufffdb\ufffdc\ufffd"
    assert storable_text(json.loads('"\\ud83d\\ude00 olá"')) == "😀 olá"  # a joined pair is a real character
