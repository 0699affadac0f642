import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.mercadopago import (
    InvalidSignature,
    MercadoPagoCredentials,
    Notification,
    NotificationMalformed,
    PaymentInfo,
    PaymentStatus,
    PixCharge,
    create_pix_payment,
    get_payment,
    parse_notification,
    verify_notification,
)
from integrations.testing.fake_server import FakeServer

FIXTURES = Path(__file__).parent / "fixtures" / "mercadopago"
TOKEN = "TEST-8971123456789-011912-abcdef"
PAYMENTS = "/v1/payments"
BRT = timezone(timedelta(hours=-4))  # the offset Mercado Pago's sample dates use
SANDBOX_QR = (
    "00020126580014br.gov.bcb.pix0136b76aa9c2-2ec4-4110-954e-ebfe34f05b61520400005303986540512.34"
    "5802BR5911TE35069Wi056014Begz kGOBJEUte62230519mpqrinter132741051963042B7C"
)
DOCS_QR_WITH_BAD_CRC = (
    "00020126600014br.gov.bcb.pix0117john@yourdomain.com0217additional data520400005303986540510.00"
    "5802BR5913Maria Silva6008Brasilia62070503***6304E2CA"
)

# Signature vector (constructed with Python hmac; see fixtures/mercadopago/SOURCES.md).
SECRET = "your_secret_key_here"
REQUEST_ID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e"
TS_MS = "1742505638683"
V1 = "5e0a7ed2ea5ece575e9d1a9bb80f7ce6ca43d6d30e8be93413bae108b94ad7cd"
SIGNED_AT = datetime.fromtimestamp(1742505638.683, tz=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def creds(server) -> MercadoPagoCredentials:
    return MercadoPagoCredentials(access_token=TOKEN, webhook_secret=SECRET, base_url=server.url)


def charge(server, **overrides) -> PixCharge:
    args = {
        "amount": Decimal("12.34"),
        "description": "Pedido 1001 - Pizzaria Bella",
        "payer_email": "cliente@example.com",
        "external_reference": "BALCAO-1001",
        "idempotency_key": "0d5b4a3e-6f1c-4f7e-9b1a-2c3d4e5f6a7b",
    }
    return create_pix_payment(creds(server), **{**args, **overrides})


def signed_headers(**overrides) -> dict:
    return {"x-signature": f"ts={TS_MS},v1={V1}", "x-request-id": REQUEST_ID, **overrides}


def test_create_pix_payment_sends_documented_request():
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=fixture("payment_pix_created.json"))

        charge(server)

    [request] = server.requests
    assert (request.method, request.path) == ("POST", PAYMENTS)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-Idempotency-Key"] == "0d5b4a3e-6f1c-4f7e-9b1a-2c3d4e5f6a7b"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        "transaction_amount": 12.34,
        "description": "Pedido 1001 - Pizzaria Bella",
        "payment_method_id": "pix",
        "payer": {"email": "cliente@example.com"},
        "external_reference": "BALCAO-1001",
    }


def test_create_pix_payment_parses_created_payment():
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=fixture("payment_pix_created.json"))

        result = charge(server)

    transaction = fixture("payment_pix_created.json")["point_of_interaction"]["transaction_data"]
    assert result == PixCharge(
        payment_id="1327410519",
        status=PaymentStatus.PENDING,
        qr_code=SANDBOX_QR,
        qr_code_base64=transaction["qr_code_base64"],
        ticket_url=(
            "https://www.mercadopago.com.br/sandbox/payments/1327410519/ticket"
            "?caller_id=1664124048&hash=cce2d9d3-f914-4611-98bf-b5c686c42849"
        ),
        expires_at=datetime(2024, 3, 6, 10, 15, 2, tzinfo=BRT),
    )


def test_create_pix_payment_sends_notification_url_and_expiry():
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=fixture("payment_pix_created.json"))

        charge(
            server,
            amount=Decimal("59.90"),
            notification_url="https://balcao.example.com/webhook/mercadopago/pizzaria-a/",
            expires_at=datetime(2024, 3, 5, 11, 0, tzinfo=timezone(timedelta(hours=-3))),
        )

    body = server.requests[0].json
    assert body["transaction_amount"] == 59.9
    assert body["notification_url"] == "https://balcao.example.com/webhook/mercadopago/pizzaria-a/"
    assert body["date_of_expiration"] == "2024-03-05T11:00:00.000-03:00"


@pytest.mark.parametrize(
    ("status", "fixture_name", "error"),
    [
        (400, "error_bad_request.json", PermanentError),
        (401, "error_unauthorized.json", PermanentError),
        (500, "error_internal.json", RetryableError),
        (503, "error_internal.json", RetryableError),
        (429, "error_internal.json", RetryableError),
    ],
)
def test_create_pix_payment_maps_http_errors(status, fixture_name, error):
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=status, json=fixture(fixture_name))

        with pytest.raises(error) as raised:
            charge(server)

    assert len(server.requests) == 1
    if error is PermanentError:
        assert raised.value.status == status
    assert TOKEN not in str(raised.value)


def test_create_pix_payment_timeout_is_retryable():
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=fixture("payment_pix_created.json"), delay=1.0)

        with pytest.raises(RetryableError):
            charge(server, timeout=0.2)


def test_unreachable_mercado_pago_is_retryable():
    with FakeServer() as server:
        url = server.url
    unreachable = MercadoPagoCredentials(access_token=TOKEN, base_url=url)

    with pytest.raises(RetryableError):
        create_pix_payment(
            unreachable,
            amount=Decimal("1.00"),
            description="x",
            payer_email="a@b.co",
            external_reference="r",
            idempotency_key="k",
        )


def test_create_pix_payment_rejects_invalid_pix_code_from_provider():
    answer = fixture("payment_pix_created.json")
    answer["point_of_interaction"]["transaction_data"]["qr_code"] = DOCS_QR_WITH_BAD_CRC
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=answer)

        with pytest.raises(PermanentError, match="invalid Pix code: BR Code CRC mismatch"):
            charge(server)


def test_create_pix_payment_without_qr_code_is_permanent_error():
    answer = fixture("payment_pix_created.json")
    del answer["point_of_interaction"]
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=answer)

        with pytest.raises(PermanentError, match="has no point_of_interaction.transaction_data.qr_code"):
            charge(server)


def test_non_json_answer_is_permanent_error():
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, body=b"<html>oops</html>")

        with pytest.raises(PermanentError, match="create payment answer is not JSON"):
            charge(server)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": Decimal("0")}, "greater than zero"),
        ({"amount": Decimal("10.001")}, "at most 2 decimal places"),
        ({"amount": 10.5}, "must be a Decimal"),
        ({"idempotency_key": ""}, "idempotency_key is required"),
        ({"payer_email": "cliente"}, "payer_email must be an e-mail"),
        ({"expires_at": datetime(2024, 3, 5, 11, 0)}, "timezone-aware"),
    ],
)
def test_invalid_arguments_send_nothing(overrides, message):
    with FakeServer() as server:
        server.add("POST", PAYMENTS, status=201, json=fixture("payment_pix_created.json"))

        with pytest.raises(ValueError, match=message):
            charge(server, **overrides)

    assert server.requests == []


def test_get_payment_reads_approved_payment():
    with FakeServer() as server:
        server.add("GET", f"{PAYMENTS}/1327410519", json=fixture("payment_pix_approved.json"))

        info = get_payment(creds(server), "1327410519")

    [request] = server.requests
    assert (request.method, request.path, request.headers["Authorization"]) == (
        "GET",
        "/v1/payments/1327410519",
        f"Bearer {TOKEN}",
    )
    assert info == PaymentInfo(
        payment_id="1327410519",
        status=PaymentStatus.APPROVED,
        status_detail="accredited",
        amount=Decimal("12.34"),
        external_reference="BALCAO-1001",
        date_approved=datetime(2024, 3, 5, 10, 17, 41, tzinfo=BRT),
    )
    assert info.status.is_paid


def test_get_payment_reads_pending_payment():
    with FakeServer() as server:
        server.add("GET", f"{PAYMENTS}/1327410519", json=fixture("payment_pix_created.json"))

        info = get_payment(creds(server), 1327410519)

    assert (info.status, info.status_detail, info.date_approved) == (
        PaymentStatus.PENDING,
        "pending_waiting_transfer",
        None,
    )


def test_get_unknown_payment_is_permanent_error():
    with FakeServer() as server:
        with pytest.raises(PermanentError) as raised:
            get_payment(creds(server), "999")

    assert raised.value.status == 404


def test_get_payment_with_unknown_status_is_permanent_error():
    answer = {**fixture("payment_pix_approved.json"), "status": "teleported"}
    with FakeServer() as server:
        server.add("GET", f"{PAYMENTS}/1327410519", json=answer)

        with pytest.raises(PermanentError, match="unknown status 'teleported'"):
            get_payment(creds(server), "1327410519")


@pytest.mark.parametrize("payment_id", ["12/../../users/me", "abc", "", "١٢٣"])
def test_get_payment_rejects_non_numeric_id_without_calling(payment_id):
    with FakeServer() as server:
        with pytest.raises(ValueError, match="payment_id must be digits"):
            get_payment(creds(server), payment_id)

    assert server.requests == []


@pytest.mark.parametrize(
    ("value", "paid", "failed"),
    [
        ("pending", False, False),
        ("approved", True, False),
        ("authorized", False, False),
        ("in_process", False, False),
        ("in_mediation", False, False),
        ("rejected", False, True),
        ("cancelled", False, True),
        ("refunded", False, True),
        ("charged_back", False, True),
    ],
)
def test_payment_statuses(value, paid, failed):
    status = PaymentStatus(value)

    assert (status.is_paid, status.is_failed) == (paid, failed)


def test_credentials_repr_hides_secrets():
    text = repr(MercadoPagoCredentials(access_token=TOKEN, webhook_secret=SECRET))

    assert TOKEN not in text
    assert SECRET not in text
    assert "https://api.mercadopago.com" in text


def test_signature_of_documented_request_is_valid():
    verify_notification(
        headers=signed_headers(), query_params={"data.id": "123456", "type": "payment"}, secret=SECRET, now=SIGNED_AT
    )


def test_signature_accepts_any_header_case_and_parse_qs_lists():
    headers = {"X-Signature": f"ts={TS_MS}, v1={V1.upper()}", "X-Request-Id": REQUEST_ID}

    verify_notification(
        headers=headers,
        query_params=parse_qs("data.id=123456&type=payment"),
        secret=SECRET,
        now=SIGNED_AT + timedelta(seconds=299),
    )


@pytest.mark.parametrize(
    ("headers", "query", "message"),
    [
        (signed_headers(**{"x-signature": f"ts={TS_MS},v1={'0' * 64}"}), {"data.id": "123456"}, "does not match"),
        (signed_headers(), {"data.id": "123457"}, "does not match"),
        (signed_headers(**{"x-request-id": "another-request"}), {"data.id": "123456"}, "does not match"),
        (signed_headers(**{"x-signature": f"ts=1742505638684,v1={V1}"}), {"data.id": "123456"}, "does not match"),
        (signed_headers(), {}, "does not match"),
        ({"x-request-id": REQUEST_ID}, {"data.id": "123456"}, "missing x-signature"),
        (signed_headers(**{"x-signature": f"v1={V1}"}), {"data.id": "123456"}, "must carry ts and v1"),
        (signed_headers(**{"x-signature": f"ts={TS_MS}"}), {"data.id": "123456"}, "must carry ts and v1"),
        (signed_headers(**{"x-signature": "garbage"}), {"data.id": "123456"}, "must carry ts and v1"),
        (signed_headers(**{"x-signature": f"ts=¹²,v1={V1}"}), {"data.id": "123456"}, "must carry ts and v1"),
        (signed_headers(**{"x-signature": f"ts={'9' * 400},v1={V1}"}), {"data.id": "123456"}, "must carry ts and v1"),
        (signed_headers(**{"x-signature": f"ts={TS_MS},v1=éé"}), {"data.id": "123456"}, "does not match"),
    ],
)
def test_tampered_or_incomplete_signature_is_rejected(headers, query, message):
    with pytest.raises(InvalidSignature, match=message):
        verify_notification(headers=headers, query_params=query, secret=SECRET, now=SIGNED_AT)


def test_signature_with_another_secret_is_rejected():
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_notification(
            headers=signed_headers(), query_params={"data.id": "123456"}, secret="other-secret", now=SIGNED_AT
        )


def test_missing_secret_rejects_everything():
    with pytest.raises(InvalidSignature, match="no webhook secret configured"):
        verify_notification(headers=signed_headers(), query_params={"data.id": "123456"}, secret="", now=SIGNED_AT)


@pytest.mark.parametrize("offset", [timedelta(seconds=301), timedelta(seconds=-301), timedelta(days=365)])
def test_stale_or_future_signature_is_rejected(offset):
    with pytest.raises(InvalidSignature, match="more than 300s away from now"):
        verify_notification(
            headers=signed_headers(), query_params={"data.id": "123456"}, secret=SECRET, now=SIGNED_AT + offset
        )


def test_timestamp_in_seconds_is_accepted():
    manifest = f"id:123456;request-id:{REQUEST_ID};ts:1704908010;"
    v1 = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    headers = signed_headers(**{"x-signature": f"ts=1704908010,v1={v1}"})
    signed_at = datetime.fromtimestamp(1704908010, tz=UTC)

    verify_notification(headers=headers, query_params={"data.id": "123456"}, secret=SECRET, now=signed_at)
    with pytest.raises(InvalidSignature, match="away from now"):
        verify_notification(
            headers=headers, query_params={"data.id": "123456"}, secret=SECRET, now=signed_at + timedelta(minutes=6)
        )


def test_alphanumeric_data_id_is_lowercased_and_missing_request_id_left_out():
    manifest = f"id:ord01jq4s4ky8hwq6na5pxb65b3d3;ts:{TS_MS};"
    v1 = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()

    verify_notification(
        headers={"x-signature": f"ts={TS_MS},v1={v1}"},
        query_params={"data.id": "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3"},
        secret=SECRET,
        now=SIGNED_AT,
    )


def test_parse_webhook_body():
    body = (FIXTURES / "webhook_payment_updated.json").read_bytes()

    notification = parse_notification(body, {"data.id": "123456", "type": "payment"})

    assert notification == Notification(topic="payment", action="payment.updated", resource_id="123456")
    assert notification.payment_id == "123456"


def test_parse_ipn_query_string():
    notification = parse_notification(b"", parse_qs("topic=payment&id=1327410519"))

    assert notification == Notification(topic="payment", action="", resource_id="1327410519")


def test_parse_ipn_json_body_with_resource_url():
    body = b'{"resource": "https://api.mercadolibre.com/merchant_orders/9876543", "topic": "merchant_order"}'

    notification = parse_notification(body)

    assert notification == Notification(topic="merchant_order", action="", resource_id="9876543")
    assert notification.payment_id is None


def test_parse_ipn_json_body_with_payment_id():
    notification = parse_notification(b'{"resource": "1327410519", "topic": "payment"}')

    assert notification.payment_id == "1327410519"


def test_parse_webhook_query_without_body():
    notification = parse_notification(b"", {"data.id": "123456", "type": "payment"})

    assert notification == Notification(topic="payment", action="", resource_id="123456")


@pytest.mark.parametrize(
    ("body", "query", "message"),
    [
        (b"", None, "neither a JSON body"),
        (b"not json", {}, "neither a JSON body"),
        (b'{"action": "payment.updated", "type": "payment"}', None, "neither a JSON body"),
        (b'{"type": "payment", "data": {"id": "12/../34"}}', None, "unexpected characters"),
        (b'{"type": "payment", "data": {"id": true}}', None, "string or a number"),
        (b'{"data": {"id": "123"}}', None, "no topic/type"),
        (b"[1, 2]", {"topic": "payment"}, "string or a number"),
        (b"\xff\xfe", None, "neither a JSON body"),
    ],
)
def test_malformed_notifications_are_rejected(body, query, message):
    with pytest.raises(NotificationMalformed, match=message):
        parse_notification(body, query)
