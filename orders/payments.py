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
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.public_url import public_url
from integrations import mercadopago, pix
from orders.lock_objects import payment_qs_select_for_update
from orders.models import Order, Payment
from orders.notifications import customer_notify
from orders.services import order_transition
from tenants.models import Company
from tenants.services import company_setting_get
from tenants.tasks import task_publish_on_commit

logger = structlog.get_logger(__name__)

PIX_EXPIRES_AFTER = timedelta(minutes=30)  # Mercado Pago's minimum; the unpaid sweep cancels before
CHARGE_LOOKUP_SLACK = timedelta(minutes=10)  # clocks differ: a found charge may predate our row a little
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

    Static key: the code is built here (no network) and returned in `qr_payload`.
    Mercado Pago: only the pending Payment row is written (or reused) here, in the caller's
    transaction, and `pix_charge_task` is published after it commits; the returned row has no code
    yet, and the task sends it to the customer (`pix_charge_run`). No network call is made inside
    the caller's transaction, and a rolled-back order leaves no charge behind.
    Raises PixNotConfigured.
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
    from orders.payment_tasks import pix_charge_task  # noqa: PLC0415 - the task module imports this one

    company = order.company
    payer_email(company, order.customer)  # refused before any row when no payer e-mail can be given
    payment = (
        Payment.objects.for_company(company)
        .filter(order=order, provider=Payment.Provider.MERCADOPAGO, status=Payment.Status.PENDING, external_id="")
        .first()
    ) or Payment.objects.for_company(company).create(
        company=company, order=order, provider=Payment.Provider.MERCADOPAGO, amount=order.total
    )
    task_publish_on_commit(pix_charge_task, company_id=company.pk, payment_id=payment.pk)
    return payment


def pix_idempotency_key(payment: Payment) -> str:
    """X-Idempotency-Key of a charge: the order and the attempt (one Payment row per attempt), so
    every retry of that attempt asks Mercado Pago for the same charge."""
    return f"balcao-order-{payment.order_id}-payment-{payment.pk}"


def pix_charge_run(*, payment_id: int) -> Payment | None:
    """Create the Mercado Pago charge of a pending Payment row exactly once and send its code.

    Claim, call, record (as conversations.services.delivery): the attempt is counted and committed
    before the call, the call runs outside any transaction with `pix_idempotency_key`, and the
    answer is recorded (row locked) together with the messages that give the customer the code. A
    repeat after a lost answer first looks the charge up by its external_reference (`order:<id>`)
    and records what it finds instead of creating a second one. Nothing happens for a row that
    already has its charge or is no longer pending. Raises RetryableError / PermanentError.
    """
    payment = Payment.objects.select_related("order", "order__customer", "company").filter(pk=payment_id).first()
    if payment is None or payment.status != Payment.Status.PENDING or payment.external_id:
        return payment
    order = payment.order
    creds = mercadopago_credentials(payment.company)
    if creds is None:
        raise PixNotConfigured(payment.company.slug)
    charge = None
    if payment.charge_attempts:
        recorded = frozenset(
            Payment.objects.for_company(payment.company_id)
            .filter(order=order)
            .exclude(external_id="")
            .values_list("external_id", flat=True)
        )
        charge = mercadopago.find_pix_payment(
            creds,
            external_reference=f"order:{order.pk}",
            amount=payment.amount,
            created_after=payment.created_at - CHARGE_LOOKUP_SLACK,
            exclude_ids=recorded,
        )
        if charge is not None:
            logger.info("pix_charge_found", payment_id=payment.pk, attempts=payment.charge_attempts)
    if charge is None:
        Payment.objects.filter(pk=payment.pk).update(charge_attempts=F("charge_attempts") + 1)
        charge = _mercadopago_create(order, payment, creds)
    return _charge_record(payment, charge)


def _mercadopago_create(order: Order, payment: Payment, creds: mercadopago.MercadoPagoCredentials):
    company = order.company
    email = payer_email(company, order.customer)
    return mercadopago.create_pix_payment(
        creds,
        amount=order.total,
        description=f"{company.name} #{order.pk}"[:200],
        payer_email=email,
        external_reference=f"order:{order.pk}",
        idempotency_key=pix_idempotency_key(payment),
        notification_url=public_url(reverse("mercadopago-webhook", kwargs={"webhook_key": company.webhook_key})),
        expires_at=timezone.now() + PIX_EXPIRES_AFTER,
    )


def _charge_record(payment: Payment, charge: mercadopago.PixCharge) -> Payment:
    with transaction.atomic():
        locked = payment_qs_select_for_update(company=payment.company_id).get(pk=payment.pk)
        if locked.external_id:
            return locked
        locked.external_id = charge.payment_id
        locked.qr_payload = charge.qr_code
        locked.expires_at = charge.expires_at
        locked.charge_error = ""
        locked.save(update_fields=["external_id", "qr_payload", "expires_at", "charge_error", "updated_at"])
        for text in pix_code_texts(locked):
            customer_notify(company_id=locked.company_id, customer=payment.order.customer, text=text)
    logger.info("pix_charge_created", payment_id=payment.pk, order_id=payment.order_id)
    return locked


def pix_charge_fail(*, payment_id: int, error: str) -> None:
    """The charge could not be created (refused, or the retries ran out): recorded on the row for
    staff, and the customer is told that the team will contact them."""
    with transaction.atomic():
        payment = payment_qs_select_for_update().select_related("order__customer").filter(pk=payment_id).first()
        if payment is None or payment.external_id or payment.charge_error:
            return
        payment.charge_error = error[:2000]
        payment.save(update_fields=["charge_error", "updated_at"])
        customer_notify(
            company_id=payment.company_id,
            customer=payment.order.customer,
            text=_("We could not create the Pix now; our team will contact you."),
        )
    logger.warning("pix_charge_failed", payment_id=payment_id)


def pix_code_texts(payment: Payment) -> list[str]:
    """What the customer gets once the code exists: the copy-and-paste code and the QR link."""
    return [_("Pix copy-and-paste code:"), payment.qr_payload, _("QR code: %(url)s") % {"url": payment_qr_url(payment)}]


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


def static_pix_waiting_ids(company) -> dict[int, dict]:
    """{order id: {"alerted": bool, "receipt": bool}} of the company's orders whose static Pix waits
    for staff (one query)."""
    rows = (
        Payment.objects.for_company(company)
        .filter(
            provider=Payment.Provider.STATIC_PIX,
            status=Payment.Status.PENDING,
            order__status__in=(Order.Status.PENDING, Order.Status.AWAITING_PAYMENT),
        )
        .values_list("order_id", "alerted_at", "receipt_message_id")
    )
    return {
        order_id: {"alerted": alerted is not None, "receipt": receipt is not None}
        for order_id, alerted, receipt in rows
    }


def order_move_by_staff(order: Order, to: str, by_user) -> None:
    """A staff member moves an order on the board. Paid, while a static Pix waits for staff, is that
    Pix confirmed (payment approved, customer told), never a bare status change that would leave the
    payment pending. InvalidTransition as order_transition."""
    if to == Order.Status.PAID and static_pix_waiting(order) is not None:
        try:
            confirm_static_pix(order, by_user)
            return
        except NothingToConfirm:
            pass  # confirmed meanwhile by someone else: the plain transition says what is possible
    order_transition(order=order, to=to)
