"""Erasing a person (LGPD art. 18, IV and VI): everything deleted, except what the shop's books need.

Orders and their payments stay for fiscal records, with nothing that names the person: the link to
the customer (name, phone, e-mail), the delivery address and neighbourhood, the ERP's error text and
the item notes are removed; amounts, items and dates are untouched. Everything else goes: the
customer, leads, conversations, messages, received files (from storage too), raw inbound events
naming them, flow positions, carts, session contexts, earlier export files, and staff's admin
history of those rows. The customer row goes last, so a run stopped half-way can be asked again
and finishes the job.

After an erasure a new message from the same number starts a fresh customer, and a later
WooCommerce import brings back what the store still holds about them, nothing more.
"""

import re
import unicodedata
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from carts.models import Cart, CartItem, SessionContext
from conversations.models import Conversation, InboundEvent, Message, ReceivedFile
from customers.models import Customer
from customers.phones import normalize_phone
from flows.models import FlowPosition
from leads.models import Lead
from orders.models import Order, OrderItem, Payment
from privacy.models import PrivacyRequest
from privacy.selectors import Identities, label, person_identities, person_rows
from privacy.services.deletion import conversations_delete, received_files_delete, rows_delete
from tenants.models import Company

Progress = Callable[[str, int, int], None]  # (kind, done, total)

# What an erasure does to each kind of row (the confirmation page lists these), by model label.
DELETED = tuple(
    label(model)
    for model in (
        Customer,
        Lead,
        Conversation,
        Message,
        ReceivedFile,
        InboundEvent,
        FlowPosition,
        Cart,
        CartItem,
        SessionContext,
    )
)
ANONYMISED = (label(Order), label(Payment))
EXPORT_FILES = "export_files"  # earlier export zips of the person, in the record's counts
MAX_REASON_CHARS = 500


def person_erase_plan(*, company: Company, customer: Customer) -> dict[str, dict[str, int]]:
    """What erasing the customer would do, as row counts: {"deleted": {...}, "anonymised": {...}}."""
    rows = person_rows(company=company, customer=customer)
    return {
        "deleted": {kind: rows[kind].count() for kind in DELETED},
        "anonymised": {kind: rows[kind].count() for kind in ANONYMISED},
    }


def erasure_reason_check(*, customer: Customer, reason: str) -> str:
    """The reason, stripped; ValidationError when empty, too long, or naming the person (the erasure
    record must hold no personal data: no name, e-mail or phone of theirs)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the data is erased (e.g. the person's request by e-mail).")})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError(
            {"reason": _("Keep the reason under %(count)s characters.") % {"count": MAX_REASON_CHARS}}
        )
    if _names_the_person(reason, customer, person_identities(customer)):
        raise ValidationError(
            {
                "reason": _(
                    "The reason must not contain the person's name, e-mail or phone: it is kept after the erasure."
                )
            }
        )
    return reason


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _names_the_person(reason: str, customer: Customer, identities: Identities) -> bool:
    folded = _folded(reason)
    name = _folded(customer.name).strip()
    if len(name) >= 3 and name in folded:
        return True
    if identities.email and identities.email in folded:
        return True
    digits = re.sub(r"\D", "", reason)
    return any(token in digits for token in identities.raw_tokens() if token.isdigit())


def person_erase(
    *,
    company: Company,
    customer: Customer,
    reason: str,
    requested_by: str,
    record: PrivacyRequest | None = None,
    progress: Progress | None = None,
) -> PrivacyRequest:
    """Erase the person (see module docstring) and return the erasure record, with row counts.

    `record` is the request being run (the task's); without one a record is created. Raises
    ValidationError for a bad reason before anything is touched. Not one transaction: batches
    commit as they go, the customer row last (see privacy.services.deletion).
    """
    reason = erasure_reason_check(customer=customer, reason=reason)
    if record is None:
        record = PrivacyRequest.objects.for_company(company).create(
            company=company,
            kind=PrivacyRequest.Kind.ERASURE,
            status=PrivacyRequest.Status.RUNNING,
            customer_ref=customer.pk,
            requested_by=requested_by[:150],
            reason=reason,
        )
    report = progress or (lambda kind, done, total: None)
    plan = person_erase_plan(company=company, customer=customer)
    totals = {**plan["deleted"], **plan["anonymised"]}
    for kind, total in totals.items():
        report(kind, 0, total)

    def step(kind):
        return lambda done: report(kind, done, totals.get(kind, done))

    rows = person_rows(company=company, customer=customer)
    deleted = {EXPORT_FILES: _export_files_delete(company, customer)}
    files, events = label(ReceivedFile), label(InboundEvent)
    deleted[files] = received_files_delete(rows[files], company=company, progress=step(files))
    deleted[events] = rows_delete(rows[events], company=company, progress=step(events))
    for kind, count in conversations_delete(
        rows[label(Conversation)], company=company, progress=step(label(Message))
    ).items():
        deleted[kind] = deleted.get(kind, 0) + count
    for kind in (label(SessionContext), label(CartItem), label(Cart), label(Lead)):
        deleted[kind] = rows_delete(rows[kind], company=company, progress=step(kind))
    anonymised = _orders_anonymise(company, customer)
    _test_contact_forget(company, person_identities(customer))
    deleted[label(Customer)] = rows_delete(rows[label(Customer)], company=company)
    for kind, total in totals.items():
        report(kind, total, total)
    record.counts = {"deleted": deleted, "anonymised": anonymised}
    record.save(update_fields=["counts"])
    return record


def _export_files_delete(company: Company, customer: Customer) -> int:
    """Earlier export zips of the person (they hold everything being erased)."""
    exports = PrivacyRequest.objects.for_company(company).filter(customer_ref=customer.pk).exclude(file="")
    done = 0
    for request in exports:
        request.file.delete(save=False)
        PrivacyRequest.objects.for_company(company).filter(pk=request.pk).update(file="")
        done += 1
    return done


def _orders_anonymise(company: Company, customer: Customer) -> dict[str, int]:
    orders = Order.objects.for_company(company).filter(customer=customer)
    ids = list(orders.values_list("pk", flat=True))
    payments = Payment.objects.for_company(company).filter(order__in=ids).count()
    OrderItem.objects.for_company(company).filter(order__in=ids).exclude(note="").update(note="")
    Order.objects.for_company(company).filter(pk__in=ids).update(
        customer=None, address="", neighbourhood="", erp_error="", contact_email="", contact_phone=""
    )
    return {label(Order): len(ids), label(Payment): payments}


def _test_contact_forget(company: Company, identities: Identities) -> None:
    """The person may be the company's test contact: their number goes, and test mode with it."""
    if company.test_contact and normalize_phone(company.test_contact) in identities.phones:
        company.test_contact, company.test_mode = "", False
        company.save(update_fields=["test_contact", "test_mode"])
