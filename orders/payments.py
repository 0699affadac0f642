"""Pix charges for orders (Mercado Pago or a static Pix key) and payment status changes.

Company settings used (tenants.services.company_setting_get/set):
    mercadopago_access_token (secret), mercadopago_webhook_secret (secret)  -> Mercado Pago
    pix_key, pix_merchant_name, pix_merchant_city (text)                    -> static BR Code
Mercado Pago wins when its token is set. Settings' MERCADOPAGO_BASE_URL (optional) points the
client elsewhere (tests: the fake server).
"""

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.public_url import public_url
from integrations import mercadopago, pix
from orders.lock_objects import payment_qs_select_for_update
from orders.models import Order, Payment
from orders.services import order_transition
from tenants.models import Company
from tenants.services import company_setting_get

logger = structlog.get_logger(__name__)

PIX_EXPIRES_AFTER = timedelta(minutes=30)  # Mercado Pago's minimum; the unpaid sweep cancels before
_MP_STATUS = {
    mercadopago.PaymentStatus.APPROVED: Payment.Status.APPROVED,
    mercadopago.PaymentStatus.REJECTED: Payment.Status.REJECTED,
    mercadopago.PaymentStatus.CANCELLED: Payment.Status.CANCELLED,
    mercadopago.PaymentStatus.REFUNDED: Payment.Status.REFUNDED,
    mercadopago.PaymentStatus.CHARGED_BACK: Payment.Status.REFUNDED,
}


class PixNotConfigured(Exception):
    """The company has neither a Mercado Pago token nor a complete static Pix key."""


@dataclass(frozen=True)
class StaticPixConfig:
    key: str
    merchant_name: str
    merchant_city: str


def mercadopago_credentials(company: Company) -> mercadopago.MercadoPagoCredentials | None:
    token = company_setting_get(company=company, key="mercadopago_access_token", default="")
    if not token:
        return None
    return mercadopago.MercadoPagoCredentials(
        access_token=token,
        webhook_secret=company_setting_get(company=company, key="mercadopago_webhook_secret", default="") or "",
        base_url=getattr(settings, "MERCADOPAGO_BASE_URL", mercadopago.MP_BASE_URL),
    )


def static_pix_config(company: Company) -> StaticPixConfig | None:
    values = [company_setting_get(company=company, key=k, default="") for k in ("pix_key", "pix_merchant_name")]
    city = company_setting_get(company=company, key="pix_merchant_city", default="") or "SAO PAULO"
    if not all(values):
        return None
    return StaticPixConfig(key=values[0], merchant_name=values[1], merchant_city=city)


def payment_qr_url(payment: Payment) -> str:
    """Absolute URL of the payment's QR PNG (unguessable public id)."""
    path = reverse("payment-qr", kwargs={"public_id": payment.public_id})
    return public_url(path)


def pix_charge_create(*, order: Order) -> Payment:
    """Create (or return the existing pending) Pix charge of `order` and move it to awaiting_payment.

    Mercado Pago: the pending Payment row is written (or reused) first, then the charge is created
    with X-Idempotency-Key = the row's public id, so a retry that finds the row reuses the key and
    Mercado Pago answers with the same charge. The HTTP call runs inside the caller's transaction:
    the bot's checkout action calls this during message processing, under the conversation's row
    lock, and if that transaction rolls back the row (and so the key) is gone while the charge stays.
    Raises PixNotConfigured, integrations errors (RetryableError/PermanentError) from Mercado Pago.
    """
    company = order.company
    existing = (
        Payment.objects.for_company(company)
        .filter(order=order, status=Payment.Status.PENDING)
        .exclude(qr_payload="")
        .first()
    )
    if existing is not None:
        return existing
    creds = mercadopago_credentials(company)
    if creds is not None:
        payment = _mercadopago_charge(order, creds)
    else:
        config = static_pix_config(company)
        if config is None:
            raise PixNotConfigured(company.slug)
        payment = Payment.objects.for_company(company).create(
            company=company,
            order=order,
            provider=Payment.Provider.STATIC_PIX,
            amount=order.total,
            qr_payload=pix.build_static_brcode(
                key=config.key,
                merchant_name=config.merchant_name,
                merchant_city=config.merchant_city,
                amount=order.total,
                txid=f"PED{order.pk}",
            ),
        )
    if order.status == Order.Status.PENDING:
        order_transition(order=order, to=Order.Status.AWAITING_PAYMENT, notify=False)
    return payment


def _mercadopago_charge(order: Order, creds: mercadopago.MercadoPagoCredentials) -> Payment:
    company = order.company
    email = payer_email(company, order.customer)
    payment = (
        Payment.objects.for_company(company)
        .filter(order=order, provider=Payment.Provider.MERCADOPAGO, status=Payment.Status.PENDING, external_id="")
        .first()
    ) or Payment.objects.for_company(company).create(
        company=company, order=order, provider=Payment.Provider.MERCADOPAGO, amount=order.total
    )
    charge = mercadopago.create_pix_payment(
        creds,
        amount=order.total,
        description=f"{company.name} #{order.pk}"[:200],
        payer_email=email,
        external_reference=f"order:{order.pk}",
        idempotency_key=str(payment.public_id),
        notification_url=public_url(reverse("mercadopago-webhook", kwargs={"webhook_key": company.webhook_key})),
        expires_at=timezone.now() + PIX_EXPIRES_AFTER,
    )
    payment.external_id = charge.payment_id
    payment.qr_payload = charge.qr_code
    payment.expires_at = charge.expires_at
    payment.save(update_fields=["external_id", "qr_payload", "expires_at", "updated_at"])
    return payment


def payer_email(company: Company, customer) -> str:
    """The payer e-mail of a charge: the customer's own when known, else the company's
    `mercadopago_payer_email`, else settings.MERCADOPAGO_PAYER_EMAIL; PixNotConfigured without any."""
    if customer is not None and customer.email:
        return customer.email
    email = company_setting_get(company=company, key="mercadopago_payer_email", default="") or ""
    email = email or getattr(settings, "MERCADOPAGO_PAYER_EMAIL", "")
    if not email:
        raise PixNotConfigured("no payer e-mail: set MERCADOPAGO_PAYER_EMAIL or the company's payer e-mail")
    return email


def payment_apply_status(*, payment: Payment, status: str, status_detail: str = "") -> bool:
    """Set the payment's status; idempotent (same status -> False, nothing else happens).

    Approved moves a pending/awaiting order to paid, which tells the customer once (the order
    row lock and its status check make a second approval a no-op). A payment approved after its
    order was cancelled stays recorded for staff to refund; the order is not revived.
    """
    with transaction.atomic():
        locked = payment_qs_select_for_update(company=payment.company_id).get(pk=payment.pk)
        if locked.status == status:
            return False
        locked.status = status
        locked.status_detail = status_detail[:100]
        if status == Payment.Status.APPROVED:
            locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "status_detail", "approved_at", "updated_at"])
        payment.status = locked.status
        if status == Payment.Status.APPROVED:
            order = Order.objects.for_company(payment.company_id).select_related("customer").get(pk=locked.order_id)
            if order.status in (Order.Status.PENDING, Order.Status.AWAITING_PAYMENT):
                order_transition(order=order, to=Order.Status.PAID)
            else:
                logger.warning("payment_approved_for_closed_order", order_id=order.pk, order_status=order.status)
        return True


class NotificationRefused(Exception):
    """Bad signature/secret: the notification is not trusted and nothing was done."""


def signed_payment_id(query_params) -> str | None:
    """The `data.id` of the query string: the one id the x-signature covers."""
    value = query_params.get("data.id") if query_params else None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value).strip() if value not in (None, "") else None


def mercadopago_notification_handle(*, company: Company, headers, query_params, body: bytes) -> str:
    """Verify a Mercado Pago notification, read the payment with the company's token, apply it.

    Returns what happened: "applied", "unchanged", "ignored" (not a payment / unknown payment).
    Raises NotificationRefused (bad or missing signature), NotificationMalformed, and the client's
    RetryableError/PermanentError when Mercado Pago cannot be read.
    """
    creds = mercadopago_credentials(company)
    if creds is None or not creds.webhook_secret:
        raise NotificationRefused("Mercado Pago is not configured for this company")
    try:
        mercadopago.verify_notification(headers=headers, query_params=query_params, secret=creds.webhook_secret)
    except mercadopago.InvalidSignature as exc:
        raise NotificationRefused(str(exc)) from exc
    notification = mercadopago.parse_notification(body, query_params)
    if notification.payment_id is None:
        return "ignored"
    signed_id = signed_payment_id(query_params)
    if signed_id is None or str(notification.payment_id).strip().lower() != signed_id.lower():
        # Only the signed query `data.id` is trusted; a body naming another payment is refused.
        raise NotificationRefused("the notification's data.id is not the signed one")
    payment_id = signed_id
    payment = (
        Payment.objects.for_company(company)
        .filter(provider=Payment.Provider.MERCADOPAGO, external_id=payment_id)
        .first()
    )
    if payment is None:
        return "ignored"
    info = mercadopago.get_payment(creds, payment_id)
    status = _MP_STATUS.get(info.status, Payment.Status.PENDING)
    if status == Payment.Status.APPROVED and info.amount != payment.amount:
        logger.warning("mercadopago_amount_mismatch", payment_id=payment.pk)
        return "ignored"
    return (
        "applied"
        if payment_apply_status(payment=payment, status=status, status_detail=info.status_detail)
        else "unchanged"
    )


# -- static Pix: confirmed by people ----------------------------------------------------------------

STATIC_PIX_ALERT_SETTING = "static_pix_alert_min"  # CompanySetting: minutes before staff are alerted
STATIC_PIX_ALERT_DEFAULT_MIN = 30


class NothingToConfirm(Exception):
    """The order has no static Pix payment waiting for confirmation."""


def static_pix_waiting(order: Order) -> Payment | None:
    """The order's static Pix payment waiting for staff, or None."""
    if order.status not in (Order.Status.PENDING, Order.Status.AWAITING_PAYMENT):
        return None
    return (
        Payment.objects.for_company(order.company_id)
        .filter(order=order, provider=Payment.Provider.STATIC_PIX, status=Payment.Status.PENDING)
        .order_by("-created_at")
        .first()
    )


def confirm_static_pix(order: Order, by_user) -> Payment:
    """A staff member saw the money of a static Pix: the payment is approved (recorded with who
    confirmed it), the order paid and the customer told once. NothingToConfirm when there is no
    static Pix payment waiting (already confirmed, cancelled, or Mercado Pago)."""
    payment = static_pix_waiting(order)
    if payment is None:
        raise NothingToConfirm(order.pk)
    with transaction.atomic():
        locked = payment_qs_select_for_update(company=order.company_id).get(pk=payment.pk)
        if locked.status != Payment.Status.PENDING:
            raise NothingToConfirm(order.pk)
        locked.confirmed_by = by_user
        locked.save(update_fields=["confirmed_by", "updated_at"])
        payment_apply_status(payment=locked, status=Payment.Status.APPROVED, status_detail="confirmed by staff")
    return locked


def static_pix_receipt_attach(*, company: Company, customer, message) -> Payment | None:
    """Keep `message` (an image or document the customer sent) as the receipt of their latest
    static Pix payment waiting for staff; that payment, or None when there is none."""
    with transaction.atomic():
        payment = (
            payment_qs_select_for_update(company=company)
            .filter(
                provider=Payment.Provider.STATIC_PIX,
                status=Payment.Status.PENDING,
                order__customer=customer,
                order__status__in=(Order.Status.PENDING, Order.Status.AWAITING_PAYMENT),
            )
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            return None
        payment.receipt_message = message
        payment.receipt_received_at = timezone.now()
        payment.save(update_fields=["receipt_message", "receipt_received_at", "updated_at"])
    logger.info("static_pix_receipt_received", payment_id=payment.pk, order_id=payment.order_id)
    return payment


def static_pix_alert_after(company: Company) -> timedelta:
    minutes = company_setting_get(company=company, key=STATIC_PIX_ALERT_SETTING, default=None)
    try:
        minutes = int(minutes) if minutes not in (None, "") else STATIC_PIX_ALERT_DEFAULT_MIN
    except (TypeError, ValueError):
        minutes = STATIC_PIX_ALERT_DEFAULT_MIN
    return timedelta(minutes=max(1, minutes))
