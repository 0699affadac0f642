"""Completed orders pushed to the company's ERP (Tiny or Pontta), if it chose one.

A company picks its ERP with the CompanySetting `erp_provider` ("" = none, "tiny", "pontta") and
stores the credentials as encrypted secrets: `tiny_token` for Tiny (optional plain `tiny_base_url`); `pontta_email`,
`pontta_password`, `pontta_business_unit` and `pontta_base_url` for Pontta. Nothing falls back to a
default account: a missing credential is an error recorded on the order.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.errors import PermanentError, RetryableError
from integrations.pontta import PonttaClient, PonttaCredentials
from integrations.tiny import (
    TINY_BASE_URL,
    TinyCredentials,
    TinyCustomer,
    TinyOrder,
    TinyOrderItem,
    find_order_id,
    push_order,
)
from orders.models import Order, OrderItem
from tenants.services import company_setting_get
from tenants.tasks import task_publish_on_commit

TINY = "tiny"
PONTTA = "pontta"
ERP_PROVIDERS = ("", TINY, PONTTA)
ERROR_MAX_CHARS = 1000
TINY_PAYMENT = {"pix": "pix", "cash": "dinheiro", "card": "credito"}  # Tiny's forma_pagamento values


QUEUE_UNREACHABLE = _("The ERP push could not be queued (task queue unreachable): use “Push to ERP again”.")


class ErpNotConfigured(PermanentError):
    """The company chose an ERP but some credential of it is missing."""


def erp_provider_get(company) -> str:
    """The company's ERP ("tiny", "pontta") or "" (none, or an unknown value)."""
    value = company_setting_get(company=company, key="erp_provider", default="") or ""
    value = str(value).strip().lower()
    return value if value in ERP_PROVIDERS else ""


def erp_push_on_commit(order: Order) -> bool:
    """Enqueue the ERP push of `order` once the caller's transaction commits; False, and nothing
    enqueued, when the company has no ERP. The order-status service calls it, inside its
    transaction, when an order becomes completed."""
    if not erp_provider_get(order.company_id):
        return False
    from orders.erp_tasks import order_erp_push_task  # noqa: PLC0415 - the task module imports this one

    company_id, order_id = order.company_id, order.pk

    def say_unqueued(error: Exception) -> None:  # the order is committed: say so on it
        Order.objects.for_company(company_id).filter(pk=order_id, erp_id="").update(
            erp_error=f"{QUEUE_UNREACHABLE} ({type(error).__name__})"
        )

    task_publish_on_commit(order_erp_push_task, on_refused=say_unqueued, company_id=company_id, order_id=order_id)
    return True


def erp_push_again(order: Order) -> bool:
    """Clear the recorded error of a completed order and enqueue its push again (the admin action);
    False if not possible."""
    if order.status != Order.Status.COMPLETED or order.erp_id:
        return False
    with transaction.atomic():
        if not erp_push_on_commit(order):
            return False
        Order.objects.for_company(order.company_id).filter(pk=order.pk).update(erp_error="")
    return True


def order_erp_push(*, order_id: int) -> str | None:
    """Push one order (the body of `order_erp_push_task`, inside the company scope); the ERP id.

    An order that already has an ERP id is not sent again. Tiny is idempotent by order number; for
    Pontta a retry first looks for a ticket with the order's subject. The result is recorded on the
    order (`erp_id` or `erp_error`, `erp_attempts`, `erp_last_try_at`). A RetryableError is
    re-raised for the task to retry; a PermanentError (bad credentials, rejected data) is recorded
    and None returned.
    """
    order = Order.objects.select_related("company", "customer").filter(pk=order_id).first()
    if order is None:
        return None  # deleted since it was enqueued
    if order.erp_id:
        return order.erp_id  # already pushed: a duplicated or retried task sends nothing
    provider = erp_provider_get(order.company)
    if not provider:
        return None
    try:
        erp_id = _push(provider, order)
    except RetryableError as exc:
        _record(order, provider, error=str(exc))
        raise
    except PermanentError as exc:
        _record(order, provider, error=str(exc))
        return None
    _record(order, provider, erp_id=erp_id)
    return erp_id


def _record(order: Order, provider: str, *, erp_id: str = "", error: str = "") -> None:
    Order.objects.for_company(order.company_id).filter(pk=order.pk).update(
        erp_provider=provider,
        erp_id=erp_id,
        erp_error=error[:ERROR_MAX_CHARS],
        erp_attempts=F("erp_attempts") + 1,
        erp_last_try_at=timezone.now(),
    )


def _push(provider: str, order: Order) -> str:
    items = list(OrderItem.objects.for_company(order.company_id).filter(order=order).select_related("product"))
    if provider == TINY:
        return push_order(_tiny_credentials(order.company), _tiny_order(order, items))
    client, contact = _pontta_client(order.company), _pontta_contact(order)
    subject = str(_("Order #%(id)s") % {"id": order.pk})
    if order.erp_attempts:
        # Pontta tickets have no idempotency key: after a failed try (maybe a timeout that created
        # it) look for the order's ticket before opening another one.
        existing = next((t for t in client.list_tickets(contact_id=contact) if t.subject == subject), None)
        if existing is not None:
            return existing.id
    return client.create_ticket(contact, subject, order_summary(order, items)).id


def _secret(company, key: str) -> str:
    value = company_setting_get(company=company, key=key, default="") or ""
    if not str(value).strip():
        raise ErpNotConfigured(str(_("ERP credential missing in the company settings: %(key)s") % {"key": key}))
    return str(value).strip()


def _tiny_credentials(company) -> TinyCredentials:
    # `tiny_base_url` (optional, plain text) exists for a Tiny proxy or a local fake; the token never defaults.
    base_url = company_setting_get(company=company, key="tiny_base_url", default="") or TINY_BASE_URL
    return TinyCredentials(token=_secret(company, "tiny_token"), base_url=base_url)


def _pontta_client(company) -> PonttaClient:
    credentials = PonttaCredentials(
        base_url=_secret(company, "pontta_base_url"),
        email=_secret(company, "pontta_email"),
        password=_secret(company, "pontta_password"),
        business_unit=_secret(company, "pontta_business_unit"),
    )
    return PonttaClient(credentials, cache=cache, company_key=str(company.pk))


def erp_connection_check(company) -> tuple[bool, str]:
    """Reach the company's ERP with its saved credentials, writing nothing (the settings page's
    "Testar"): Tiny looks an order number up, Pontta lists tickets. (ok, what happened)."""
    provider = erp_provider_get(company)
    if not provider:
        return False, str(_("No ERP chosen."))
    try:
        if provider == TINY:
            find_order_id(_tiny_credentials(company), "BALCAO-0")
        else:
            _pontta_client(company).list_tickets()
    except (PermanentError, RetryableError) as exc:
        return False, str(_("The ERP refused or did not answer: %(error)s") % {"error": str(exc)[:300]})
    return True, str(_("Connected to %(erp)s.") % {"erp": provider.capitalize()})


def tiny_order_number(order: Order) -> str:
    """Tiny's `numero_pedido_ecommerce`: the idempotency key of the push."""
    return f"BALCAO-{order.pk}"


def _tiny_order(order: Order, items: list[OrderItem]) -> TinyOrder:
    customer = order.customer
    return TinyOrder(
        number=tiny_order_number(order),
        order_date=timezone.localdate(order.placed_at or order.created_at),
        customer=TinyCustomer(
            name=(customer.name if customer else "") or str(_("WhatsApp customer")),
            phone=(customer.phone if customer else "").removeprefix("+55"),
            email=customer.email if customer else "",
            address=order.address[:200],
            neighborhood=order.neighbourhood,
        ),
        items=tuple(
            TinyOrderItem(
                description=item.name,
                quantity=Decimal(item.quantity),
                unit_price=item.unit_price,
                code=item.product.sku if item.product else "",
            )
            for item in items
        ),
        shipping=order.delivery_fee,
        payment_method=TINY_PAYMENT.get(order.payment_method, ""),
        notes=str(_("WhatsApp order #%(id)s") % {"id": order.pk}),
    )


def _pontta_contact(order: Order) -> str:
    """The contact the ticket is for: the id a GOSAC/Pontta channel gave the customer, else the phone."""
    customer = order.customer
    if customer is None:
        raise PermanentError("Order has no customer to open a Pontta ticket for")
    ids = customer.provider_contact_ids or {}
    contact = ids.get(PONTTA) or ids.get("gosac") or customer.phone
    if not contact:
        raise PermanentError("Customer has no contact id or phone for a Pontta ticket")
    return str(contact)


def order_summary(order: Order, items: list[OrderItem]) -> str:
    """Plain-text summary of the order for an ERP ticket: items, fees, total, payment, address."""
    lines = [f"{item.quantity}x {item.name} — {item.unit_price * item.quantity:.2f}" for item in items]
    lines += [
        str(_("Delivery: %(v)s") % {"v": f"{order.delivery_fee:.2f}"}),
        str(_("Total: %(v)s") % {"v": f"{order.total:.2f}"}),
        str(_("Payment: %(v)s") % {"v": order.get_payment_method_display() or "-"}),
    ]
    if order.address:
        lines.append(str(_("Address: %(v)s") % {"v": order.address}))
    return "\n".join(lines)
