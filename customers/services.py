"""One Customer per person: merged across sources by normalised phone and lowercased email."""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from customers.phones import normalize_phone
from tenants.models import Company


@dataclass(frozen=True)
class Person:
    name: str = ""
    phone_raw: str = ""
    email: str = ""

    @cached_property
    def phone(self) -> str:  # normalised once: a person is looked at several times per batch
        return normalize_phone(self.phone_raw) or ""

    @cached_property
    def email_key(self) -> str:
        return (self.email or "").strip().lower()


def customers_resolve(*, company: Company, people: list[Person]) -> tuple[list[Customer | None], int]:
    """The Customer of each person (None when neither phone nor email is usable), creating missing ones.

    Bulk: one query to find existing customers, one bulk insert for new ones, one bulk update for
    blanks filled in. Returns (customers in the order of `people`, number created).
    """
    phones = {p.phone for p in people if p.phone}
    emails = {p.email_key for p in people if p.email_key}
    manager = Customer.objects.for_company(company)
    existing = list(manager.filter(Q(phone__in=phones) | Q(email__in=emails))) if phones or emails else []
    by_phone = {c.phone: c for c in existing if c.phone}
    by_email = {c.email: c for c in existing if c.email}
    created: list[Customer] = []
    changed: dict[int, Customer] = {}
    result: list[Customer | None] = []
    for person in people:
        customer = by_phone.get(person.phone) if person.phone else None
        customer = customer or (by_email.get(person.email_key) if person.email_key else None)
        if customer is None and (person.phone or person.email_key):
            customer = Customer(company=company, name=person.name[:200], phone=person.phone, email=person.email_key)
            created.append(customer)
        elif customer is not None and _fill_blanks(customer, person, by_phone, by_email) and customer.pk:
            changed[customer.pk] = customer
        if customer is not None:
            if customer.phone:
                by_phone.setdefault(customer.phone, customer)
            if customer.email:
                by_email.setdefault(customer.email, customer)
        result.append(customer)
    manager.bulk_create(created)
    bulk_update_stamped(manager, list(changed.values()), ("name", "phone", "email"))
    return result, len(created)


def bulk_update_stamped(manager, rows: list, fields: tuple[str, ...]) -> None:
    """Bulk update of changed rows, stamping updated_at (bulk_update skips auto_now); nothing when empty."""
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    manager.bulk_update(rows, [*fields, "updated_at"])


def _fill_blanks(customer: Customer, person: Person, by_phone: dict, by_email: dict) -> bool:
    """Complete a known customer with what this source adds, never overwriting, never stealing a key."""
    changed = False
    if not customer.name and person.name:
        customer.name, changed = person.name[:200], True
    if not customer.phone and person.phone and person.phone not in by_phone:
        customer.phone, changed = person.phone, True
    if not customer.email and person.email_key and person.email_key not in by_email:
        customer.email, changed = person.email_key, True
    return changed
