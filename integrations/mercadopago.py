"""Mercado Pago client for Pix: create a charge, read a payment, check and parse notifications.

Shapes follow the public Mercado Pago docs ("Checkout API - Pix", "Obter pagamento", "Webhooks");
fixtures and their sources are in tests/fixtures/mercadopago/SOURCES.md. A notification only carries
an id: the status that counts is always the one `get_payment` reads with the company's own token.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from config.json_input import UntrustedJsonError, loads_untrusted
from integrations import http
from integrations.errors import PermanentError
from integrations.pix import InvalidBRCode, parse_brcode

MP_BASE_URL = "https://api.mercadopago.com"
DEFAULT_TOLERANCE_SECONDS = 300  # a signed notification older than 5 minutes is treated as a replay
MILLISECONDS_THRESHOLD = 10**11  # a ts above this is in milliseconds (10**11 s is year 5138)
MAX_TS_DIGITS = 16  # milliseconds until year 316 000; longer is garbage, not a timestamp
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class MercadoPagoCredentials:
    access_token: str = field(repr=False)
    webhook_secret: str = field(default="", repr=False)
    base_url: str = MP_BASE_URL


class PaymentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    AUTHORIZED = "authorized"
    IN_PROCESS = "in_process"
    IN_MEDIATION = "in_mediation"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"

    @property
    def is_paid(self) -> bool:
        return self is PaymentStatus.APPROVED

    @property
    def is_failed(self) -> bool:
        """The money did not arrive or went back: the order must not be treated as paid."""
        return self in _FAILED


_FAILED = frozenset(
    {PaymentStatus.REJECTED, PaymentStatus.CANCELLED, PaymentStatus.REFUNDED, PaymentStatus.CHARGED_BACK}
)


@dataclass(frozen=True)
class PixCharge:
    payment_id: str
    status: PaymentStatus
    qr_code: str  # the "copia e cola" BR Code
    qr_code_base64: str  # PNG of the QR code, base64, as Mercado Pago renders it
    ticket_url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class PaymentInfo:
    payment_id: str
    status: PaymentStatus
    status_detail: str
    amount: Decimal
    external_reference: str | None
    date_approved: datetime | None


@dataclass(frozen=True)
class Notification:
    topic: str  # "payment", "merchant_order", ...
    action: str  # "payment.created", "payment.updated"; "" for IPN
    resource_id: str

    @property
    def payment_id(self) -> str | None:
        return self.resource_id if self.topic == "payment" else None


class InvalidSignature(ValueError):
    """The notification's x-signature is missing, wrong or too old."""


class NotificationMalformed(ValueError):
    """The notification has no recognisable topic and resource id."""


def create_pix_payment(
    creds: MercadoPagoCredentials,
    *,
    amount: Decimal,
    description: str,
    payer_email: str,
    external_reference: str,
    idempotency_key: str,
    notification_url: str | None = None,
    expires_at: datetime | None = None,
    timeout: float | None = None,
) -> PixCharge:
    """Create a Pix payment and return its copy-and-paste code and QR image.

    POST /v1/payments with payment_method_id "pix", the Bearer token and X-Idempotency-Key: the
    same key makes Mercado Pago answer with the same payment instead of a second one, so a retry
    after a timeout is safe. `amount` is a Decimal > 0 with at most 2 places; `expires_at` an aware
    datetime (Mercado Pago accepts 30 min to 30 days; default 24 h). The returned `qr_code` has been
    checked with pix.parse_brcode. ValueError for bad arguments (nothing is sent); RetryableError
    for network trouble, timeouts, 429 and 5xx; PermanentError for other 4xx (401 bad token, 400
    rejected data; `.status` holds the HTTP status) and unusable answers.
    """
    if not idempotency_key:
        raise ValueError("idempotency_key is required so a retried request cannot charge twice")
    if not payer_email or "@" not in payer_email:
        raise ValueError("payer_email must be an e-mail address")
    body: dict[str, Any] = {
        "transaction_amount": float(_checked_amount(amount)),  # exact: at most 2 places, shortest repr
        "description": description,
        "payment_method_id": "pix",
        "payer": {"email": payer_email},
        "external_reference": external_reference,
    }
    if notification_url:
        body["notification_url"] = notification_url
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        body["date_of_expiration"] = expires_at.isoformat(timespec="milliseconds")

    response = http.request(
        "POST",
        _url(creds, "/v1/payments"),
        json=body,
        headers={**_auth(creds), "X-Idempotency-Key": idempotency_key},
        timeout=timeout,
    )
    payment = _json_object(response, "create payment")
    transaction = ((payment.get("point_of_interaction") or {}).get("transaction_data")) or {}
    qr_code = transaction.get("qr_code")
    if not qr_code:
        raise PermanentError("Mercado Pago payment has no point_of_interaction.transaction_data.qr_code")
    try:
        parse_brcode(qr_code)
    except InvalidBRCode as exc:
        raise PermanentError(f"Mercado Pago returned an invalid Pix code: {exc}") from exc
    return PixCharge(
        payment_id=_payment_id(payment),
        status=_status(payment),
        qr_code=qr_code,
        qr_code_base64=transaction.get("qr_code_base64") or "",
        ticket_url=transaction.get("ticket_url") or "",
        expires_at=_datetime(payment.get("date_of_expiration")),
    )


def get_payment(creds: MercadoPagoCredentials, payment_id: str, *, timeout: float | None = None) -> PaymentInfo:
    """Read a payment's current status and amount: GET /v1/payments/{id}, with the errors of
    `create_pix_payment`. `payment_id` must be digits (ValueError otherwise)."""
    payment_id = str(payment_id)
    if not _is_ascii_digits(payment_id):
        raise ValueError("payment_id must be digits")
    response = http.request("GET", _url(creds, f"/v1/payments/{payment_id}"), headers=_auth(creds), timeout=timeout)
    payment = _json_object(response, "get payment")
    try:
        amount = Decimal(str(payment["transaction_amount"]))
    except (KeyError, InvalidOperation) as exc:
        raise PermanentError("Mercado Pago payment has no valid transaction_amount") from exc
    reference = payment.get("external_reference")
    return PaymentInfo(
        payment_id=_payment_id(payment),
        status=_status(payment),
        status_detail=payment.get("status_detail") or "",
        amount=amount,
        external_reference=str(reference) if reference not in (None, "") else None,
        date_approved=_datetime(payment.get("date_approved")),
    )


def verify_notification(
    *,
    headers: Mapping[str, str],
    query_params: Mapping[str, Any],
    secret: str,
    now: datetime | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise InvalidSignature unless the notification was signed with `secret` recently.

    Header `x-signature: ts=<ts>,v1=<hex>` must equal HMAC-SHA256(secret,
    "id:<data.id>;request-id:<x-request-id>;ts:<ts>;"), where data.id comes from the query string
    (lower-cased when it has letters) and absent parts are left out, as the docs say. `ts` may be
    in seconds or milliseconds and must be within `tolerance_seconds` of `now` (default: the current
    time). Legacy IPN calls cannot be verified this way (the docs say so): treat them only as a hint
    to call `get_payment`.
    """
    if not secret:
        raise InvalidSignature("no webhook secret configured; cannot verify the notification")
    signature = _header(headers, "x-signature")
    if not signature:
        raise InvalidSignature("missing x-signature header")
    parts = dict(part.strip().split("=", 1) for part in signature.split(",") if "=" in part)
    ts, received = parts.get("ts", "").strip(), parts.get("v1", "").strip().lower()
    if not _is_ascii_digits(ts) or len(ts) > MAX_TS_DIGITS or not received:
        raise InvalidSignature("x-signature header must carry ts and v1")

    expected = hmac.new(secret.encode(), _manifest(headers, query_params, ts).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace")):
        raise InvalidSignature("x-signature does not match")

    signed_at = int(ts) / 1000 if int(ts) >= MILLISECONDS_THRESHOLD else int(ts)
    current = now.timestamp() if now is not None else time.time()
    if abs(current - signed_at) > tolerance_seconds:
        raise InvalidSignature(f"x-signature timestamp is more than {tolerance_seconds}s away from now")


def parse_notification(body: bytes, query_params: Mapping[str, Any] | None = None) -> Notification:
    """The topic, action and resource id of a Webhooks JSON body ({"action", "type", "data": {"id"}}),
    an IPN JSON body ({"resource", "topic"}) or an IPN query string (?topic=payment&id=123, or
    ?type=&data.id=). NotificationMalformed (a ValueError) when no topic and id can be found."""
    payload = _json_or_none(body)
    if isinstance(payload, dict):
        data = payload.get("data")
        if isinstance(data, dict) and data.get("id") is not None:
            topic = payload.get("type") or payload.get("topic")
            return _notification(topic, payload.get("action") or "", data["id"])
        if payload.get("resource") is not None:
            resource = str(payload["resource"]).rstrip("/").rsplit("/", 1)[-1]  # an id or a resource URL
            return _notification(payload.get("topic"), "", resource)
    query = query_params or {}
    if _query_value(query, "topic") is not None:
        return _notification(_query_value(query, "topic"), "", _query_value(query, "id"))
    if _query_value(query, "data.id") is not None:
        return _notification(_query_value(query, "type"), "", _query_value(query, "data.id"))
    raise NotificationMalformed("notification has neither a JSON body with data.id nor ?topic=&id=")


def _manifest(headers: Mapping[str, str], query_params: Mapping[str, Any], ts: str) -> str:
    data_id = _query_value(query_params, "data.id")
    if data_id is not None and not _is_ascii_digits(data_id):
        data_id = data_id.lower()
    request_id = _header(headers, "x-request-id")
    manifest = f"id:{data_id};" if data_id else ""
    manifest += f"request-id:{request_id};" if request_id else ""
    return manifest + f"ts:{ts};"


def _notification(topic: Any, action: str, resource_id: Any) -> Notification:
    if not isinstance(topic, str) or not topic:
        raise NotificationMalformed("notification has no topic/type")
    if isinstance(resource_id, bool) or not isinstance(resource_id, str | int):
        raise NotificationMalformed("notification id must be a string or a number")
    resource_id = str(resource_id)
    if not _RESOURCE_ID.match(resource_id):
        raise NotificationMalformed("notification id has unexpected characters")
    return Notification(topic=topic, action=str(action), resource_id=resource_id)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return None


def _query_value(query_params: Mapping[str, Any], name: str) -> str | None:
    value = query_params.get(name)
    if isinstance(value, list | tuple):  # urllib.parse.parse_qs gives lists
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


def _json_or_none(body: bytes) -> Any:
    try:
        return loads_untrusted(body or b"null")
    except UntrustedJsonError:
        return None


def _checked_amount(amount: Decimal) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise ValueError("amount must be a Decimal (floats lose cents)")
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise ValueError("amount must be greater than zero")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("amount must have at most 2 decimal places")
    return amount


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _url(creds: MercadoPagoCredentials, path: str) -> str:
    return creds.base_url.rstrip("/") + path


def _auth(creds: MercadoPagoCredentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {creds.access_token}"}


def _json_object(response, what: str) -> dict:
    try:
        payload = response.json()
    except ValueError as exc:
        raise PermanentError(f"Mercado Pago {what} answer is not JSON") from exc
    if not isinstance(payload, dict):
        raise PermanentError(f"Mercado Pago {what} answer is not a JSON object")
    return payload


def _payment_id(payment: dict) -> str:
    payment_id = payment.get("id")
    if isinstance(payment_id, bool) or not isinstance(payment_id, int | str) or not _is_ascii_digits(str(payment_id)):
        raise PermanentError("Mercado Pago payment has no numeric id")
    return str(payment_id)


def _status(payment: dict) -> PaymentStatus:
    try:
        return PaymentStatus(payment.get("status"))
    except ValueError as exc:
        raise PermanentError(f"Mercado Pago payment has unknown status {payment.get('status')!r}") from exc


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise PermanentError(f"Mercado Pago date {value!r} is not ISO 8601") from exc


def find_pix_payment(
    creds: MercadoPagoCredentials,
    *,
    external_reference: str,
    amount: Decimal,
    created_after: datetime | None = None,
    exclude_ids: frozenset[str] = frozenset(),
    timeout: float | None = None,
) -> PixCharge | None:
    """The Pix payment an earlier create call made, when its answer was lost (a timeout, a crash).

    GET /v1/payments/search?external_reference=...: the newest payment of that reference with this
    amount, created after `created_after`, not one of `exclude_ids` (charges already recorded) and
    still carrying its Pix code. None when there is none: creating it (same idempotency key) is then
    safe. Errors as `create_pix_payment`.
    """
    response = http.request(
        "GET",
        _url(creds, "/v1/payments/search"),
        params={"external_reference": external_reference, "sort": "date_created", "criteria": "desc"},
        headers=_auth(creds),
        timeout=timeout,
    )
    results = _json_object(response, "search payments").get("results")
    if not isinstance(results, list):
        raise PermanentError("Mercado Pago search answer has no results list")
    wanted = _checked_amount(amount)
    for payment in results:
        if not isinstance(payment, dict) or payment.get("payment_method_id") != "pix":
            continue
        payment_id = _payment_id(payment)
        created = _datetime(payment.get("date_created"))
        if payment_id in exclude_ids or (created_after and created and created < created_after):
            continue
        try:
            same_amount = Decimal(str(payment.get("transaction_amount"))) == wanted
        except InvalidOperation:
            continue
        transaction = (payment.get("point_of_interaction") or {}).get("transaction_data") or {}
        if not same_amount or not transaction.get("qr_code"):
            continue
        try:
            parse_brcode(transaction["qr_code"])
        except InvalidBRCode as exc:
            raise PermanentError(f"Mercado Pago returned an invalid Pix code: {exc}") from exc
        return PixCharge(
            payment_id=payment_id,
            status=_status(payment),
            qr_code=transaction["qr_code"],
            qr_code_base64=transaction.get("qr_code_base64") or "",
            ticket_url=transaction.get("ticket_url") or "",
            expires_at=_datetime(payment.get("date_of_expiration")),
        )
    return None
