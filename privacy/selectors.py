"""Reads of the privacy desk: find a person, and every row that belongs to them in every app.

A person is one Customer of one company. Their rows are those linked to the customer, plus the
leads and raw inbound events that name one of their identities (phones with and without the
ninth digit, the e-mail, the chat ids providers gave them) without being linked.
"""

import re
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from carts.models import Cart, CartItem, SessionContext
from conversations.models import Conversation, InboundEvent, Message, ReceivedFile
from customers.models import Customer, CustomerIdentity, CustomerLink
from customers.phones import BRAZIL_COUNTRY_CODE, normalize_phone, phone_match_keys
from flows.models import FlowPosition
from leads.models import Lead
from orders.models import Order, OrderItem, Payment
from privacy.models import PrivacyRequest
from tenants.models import Company

# Chat ids shorter than this (GOSAC's numeric contact ids, say "4711") would match unrelated
# numbers in other people's raw events; those events carry the phone anyway.
MIN_CONTACT_ID_CHARS = 8


@dataclass(frozen=True)
class Identities:
    """Everything a person is known by: E.164 phones (with and without the ninth digit), the
    lowercased e-mail, and the chat ids providers gave them."""

    phones: frozenset[str]
    email: str
    contact_ids: frozenset[str]

    def raw_tokens(self) -> set[str]:
        """The strings that name the person inside a raw provider body: phone digits (international
        and national, with and without the ninth digit) and the longer chat ids."""
        tokens = set()
        for phone in self.phones:
            digits = phone.lstrip("+")
            tokens.add(digits)
            if digits.startswith(BRAZIL_COUNTRY_CODE):
                tokens.add(digits[len(BRAZIL_COUNTRY_CODE) :])
        tokens |= {contact for contact in self.contact_ids if len(contact) >= MIN_CONTACT_ID_CHARS}
        return tokens


def person_identities(customer: Customer) -> Identities:
    """The phones (every form, every identity of the customer), e-mail and provider ids of a person."""
    phones = set(phone_match_keys(customer.phone)) if customer.phone else set()
    for value in (
        CustomerIdentity.objects.for_company(customer.company_id)
        .filter(customer=customer, kind=CustomerIdentity.Kind.PHONE)
        .values_list("value", flat=True)
    ):
        phones |= set(phone_match_keys(value))
    contact_ids = {str(value) for value in (customer.provider_contact_ids or {}).values() if value}
    return Identities(
        phones=frozenset(phones), email=(customer.email or "").strip().lower(), contact_ids=frozenset(contact_ids)
    )


def person_find(*, company: Company, phone: str = "", email: str = "") -> Customer | None:
    """The customer with this phone (any form, with or without the ninth digit) or e-mail; else the
    customer of a lead that has it. None when nobody matches (or the phone is not a phone)."""
    customers = Customer.objects.for_company(company)
    leads = Lead.objects.for_company(company).exclude(customer=None)
    if phone:
        keys = phone_match_keys(phone) | ({normalize_phone(phone)} - {None})
        if not keys:
            return None
        found = customers.filter(phone__in=keys).order_by("pk").first()
        return found or _customer_of(leads.filter(phone__in=keys))
    email = email.strip().lower()
    if not email:
        return None
    found = customers.filter(email__iexact=email).order_by("pk").first()
    return found or _customer_of(leads.filter(email__iexact=email))


def _customer_of(leads: QuerySet) -> Customer | None:
    lead = leads.select_related("customer").order_by("pk").first()
    return lead.customer if lead is not None else None


def inbound_events_of(*, company: Company, identities: Identities) -> QuerySet:
    """The company's raw inbound events whose body names one of the person's raw tokens as a whole
    word. Cost: one pass over the company's stored events (kept 30 days by default, see retention)."""
    tokens = identities.raw_tokens()
    events = InboundEvent.objects.for_company(company)
    if not tokens:
        return events.none()
    # Valid as a Python regex (SQLite) and a PostgreSQL ARE: re.escape only escapes with "\".
    alternatives = "|".join(re.escape(token) for token in sorted(tokens))
    return events.filter(body__regex=rf"(^|[^0-9A-Za-z])({alternatives})([^0-9A-Za-z]|$)")


def leads_of(*, company: Company, customer: Customer, identities: Identities) -> QuerySet:
    """The customer's leads, and the unlinked ones with one of their phones or their e-mail."""
    match = Q(customer=customer) | Q(customer=None, phone__in=identities.phones)
    if identities.email:
        match |= Q(customer=None, email__iexact=identities.email)
    return Lead.objects.for_company(company).filter(match)


def label(model) -> str:
    """A model's label as exports and counts name it ("app_label.modelname")."""
    return model._meta.label_lower


def person_rows(*, company: Company, customer: Customer) -> dict[str, QuerySet]:
    """Every row of the person, by model label, in the order an export lists them. Orders and
    payments are those linked to the customer (an erasure unlinks them)."""
    identities = person_identities(customer)

    def scoped(model):
        return model.objects.for_company(company)

    rows = (
        scoped(Customer).filter(pk=customer.pk),
        scoped(CustomerIdentity).filter(customer=customer),
        scoped(CustomerLink).filter(Q(customer=customer) | Q(other=customer)),
        leads_of(company=company, customer=customer, identities=identities),
        scoped(Conversation).filter(customer=customer),
        scoped(Message).filter(conversation__customer=customer),
        scoped(ReceivedFile).filter(conversation__customer=customer),
        inbound_events_of(company=company, identities=identities),
        scoped(FlowPosition).filter(conversation__customer=customer),
        scoped(Cart).filter(customer=customer),
        scoped(CartItem).filter(cart__customer=customer),
        scoped(SessionContext).filter(customer=customer),
        scoped(Order).filter(customer=customer),
        scoped(OrderItem).filter(order__customer=customer),
        scoped(Payment).filter(order__customer=customer),
        scoped(PrivacyRequest).filter(customer_ref=customer.pk),
    )
    return {label(queryset.model): queryset.order_by("pk") for queryset in rows}


# Rows whose admin history (django.contrib.admin's LogEntry) is part of the person's data.
LOGGED_MODELS = (Customer, Lead, Conversation, Cart, Order)


def admin_history_of(rows: dict[str, QuerySet]) -> QuerySet:
    """Staff's admin history of the person's customer, leads, conversations, carts and orders."""
    match = Q(pk__in=[])
    for model in LOGGED_MODELS:
        ids = [str(pk) for pk in rows[label(model)].values_list("pk", flat=True)]
        if ids:
            match |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
    return LogEntry.objects.filter(match).order_by("pk")
