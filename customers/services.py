"""One Customer per person, found by any of their identities (phones in E.164, valid e-mails lowercased)."""

from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.db_copy import among, copy_insert_ignoring_conflicts
from customers.models import Customer, CustomerIdentity, CustomerLink
from customers.phones import normalize_phone
from tenants.models import Company


@lru_cache(maxsize=65536)
def phone_key(raw: str) -> str:
    """The E.164 form of a phone as typed, or "" (cached: imports see the same few numbers again and again)."""
    return normalize_phone(raw) or ""


@lru_cache(maxsize=65536)
def email_identity(text: str | None) -> str:
    """The lowercased address when `text` is a valid e-mail address, else "" ("nao tenho" identifies nobody)."""
    candidate = (text or "").strip().lower()
    if not candidate or len(candidate) > 254:
        return ""
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate


@dataclass(frozen=True)
class Person:
    name: str = ""
    phone_raw: str = ""
    email: str = ""
    # Normalised once, when built (plain attributes: functools.cached_property takes a lock on every read
    # in Python 3.11, and an import looks at each person several times).
    phone: str = field(init=False, compare=False, repr=False)
    email_key: str = field(init=False, compare=False, repr=False)  # lowercased when valid, "" otherwise
    email_kept: str = field(init=False, compare=False, repr=False)  # the identity, else the text as typed

    def __post_init__(self):
        email_key = email_identity(self.email)
        object.__setattr__(self, "phone", phone_key(self.phone_raw or ""))
        object.__setattr__(self, "email_key", email_key)
        object.__setattr__(self, "email_kept", email_key or (self.email or "").strip())


@lru_cache(maxsize=65536)
def person_of(name: str, phone_raw: str, email: str) -> Person:
    """The Person for a name, phone and e-mail as typed, normalised once per process (an import meets
    the same repeat customers batch after batch; a Person is immutable)."""
    return Person(name, phone_raw, email)


def customers_resolve(*, company: Company, people: list[Person], source: str = "") -> tuple[list[Customer | None], int]:
    """The Customer of each person (None when neither phone nor a valid e-mail is usable), creating missing ones.

    See `customer_ids_resolve`, which does the work and gives ids only (what imports need)."""
    ids, created = customer_ids_resolve(company=company, people=people, source=source)
    found = Customer.objects.for_company(company).in_bulk({pk for pk in ids if pk})
    return [found[pk] if pk else None for pk in ids], created


class _Known:
    """A customer as resolution sees it (no model instance: a batch looks at thousands)."""

    __slots__ = ("email", "name", "phone", "pk")

    def __init__(self, pk: int | None, name: str, phone: str, email: str):
        self.pk, self.name, self.phone, self.email = pk, name, phone, email


class KnownCustomers:
    """What earlier batches of one import resolved: identity key -> customer, so that a later batch asks
    the database only for keys it has not seen. Bounded (emptied past `limit` keys: memory stays flat
    on a store of millions). Trusted for one run only: a customer merged or deleted by staff while the
    run goes makes that run fail on the missing row (the next run asks again)."""

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.owner: dict[str, _Known] = {}
        self.by_pk: dict[int, _Known] = {}

    def remember(self, owner: dict[str, "_Known"]) -> None:
        if len(self.owner) + len(owner) > self.limit:
            self.owner.clear()
            self.by_pk.clear()
        self.owner.update(owner)
        self.by_pk.update((known.pk, known) for known in owner.values())


def customer_ids_resolve(
    *, company: Company, people: list[Person], source: str = "", known: KnownCustomers | None = None
) -> tuple[list[int | None], int]:
    """The customer id of each person (None when neither phone nor a valid e-mail is usable), creating missing ones.

    A person is found by any identity of any customer (CustomerIdentity, or a customer's own phone/e-mail
    columns): the phone first, then the e-mail. The phone or e-mail a person brings that nobody has yet
    becomes another identity of their customer. When the phone is one customer's and the e-mail
    another's, the person is the phone's customer and a CustomerLink records the pair (`source` says
    which record), for staff to merge. Set-based: one query for every identity of the batch, one for
    the customers' own columns, one bulk insert each for new customers, identities and links. With
    `known` (one import's KnownCustomers), keys resolved by earlier batches are not asked again. Returns
    (ids in the order of `people`, number created).
    """
    phones = {p.phone for p in people if p.phone}
    emails = {p.email_key for p in people if p.email_key}
    manager = Customer.objects.for_company(company)
    owner: dict[str, _Known] = {}
    one: dict[int, _Known] = known.by_pk if known is not None else {}  # one record per customer (`is`)
    if known is not None:
        owner = {key: known.owner[key] for key in phones | emails if key in known.owner}
        phones, emails = phones - owner.keys(), emails - owner.keys()
    keys = phones | emails
    if keys:
        identities = CustomerIdentity.objects.for_company(company).filter(among(CustomerIdentity, "value", keys))
        for value, pk, *columns in identities.values_list(
            "value", "customer_id", "customer__name", "customer__phone", "customer__email"
        ):
            owner[value] = one.get(pk) or one.setdefault(pk, _Known(pk, *columns))
        # A customer's own columns matter only for keys no identity holds (a key found both ways keeps
        # the identity's customer): once a store has been imported, this query is skipped.
        phones, emails = phones - owner.keys(), emails - owner.keys()
        by_columns = manager.filter(among(Customer, "phone", phones) | among(Customer, "email", emails)).values_list(
            "id", "name", "phone", "email"
        )
        for pk, name, phone, email in by_columns if phones or emails else ():
            for key in (phone, email):
                if key:
                    owner.setdefault(key, one.setdefault(pk, _Known(pk, name, phone, email)))
    created: list[_Known] = []
    changed: dict[int, _Known] = {}
    new_identities: list[tuple[_Known, str, str]] = []
    links: dict[tuple[int, int], str] = {}
    pending_links: list[tuple[_Known, _Known, str]] = []
    result: list[_Known | None] = []
    for person in people:
        by_phone = owner.get(person.phone) if person.phone else None
        by_email = owner.get(person.email_key) if person.email_key else None
        customer = by_phone or by_email
        if customer is None and (person.phone or person.email_key):
            customer = _Known(None, person.name[:200], person.phone, person.email_key)
            created.append(customer)
        elif customer is not None and _fill_blanks(customer, person, owner) and customer.pk:
            changed[customer.pk] = customer
        if by_phone is not None and by_email is not None and by_phone is not by_email:
            pending_links.append((by_phone, by_email, source))
        if customer is not None:
            for kind, key in (
                (CustomerIdentity.Kind.PHONE, person.phone),
                (CustomerIdentity.Kind.EMAIL, person.email_key),
            ):
                if key and key not in owner:
                    owner[key] = customer
                    new_identities.append((customer, kind, key))
        result.append(customer)
    rows = [Customer(company=company, name=c.name, phone=c.phone, email=c.email) for c in created]
    manager.bulk_create(rows)
    for record, row in zip(created, rows, strict=True):
        record.pk = row.pk
    bulk_update_stamped(
        manager,
        [Customer(pk=c.pk, company=company, name=c.name, phone=c.phone, email=c.email) for c in changed.values()],
        ("name", "phone", "email"),
    )
    if new_identities:  # COPY into a staging table, one INSERT ... ON CONFLICT DO NOTHING
        copy_insert_ignoring_conflicts(
            CustomerIdentity,
            [
                CustomerIdentity(company=company, customer_id=c.pk, kind=kind, value=key)
                for c, kind, key in new_identities
            ],
        )
    for first, second, why in pending_links:
        pair = (min(first.pk, second.pk), max(first.pk, second.pk))
        links.setdefault(pair, why)
    if links:
        CustomerLink.objects.for_company(company).bulk_create(
            [
                CustomerLink(company=company, customer_id=a, other_id=b, reason=why[:255])
                for (a, b), why in links.items()
            ],
            ignore_conflicts=True,
        )
    if known is not None:
        known.remember(owner)
    return [c.pk if c is not None else None for c in result], len(created)


def bulk_update_stamped(manager, rows: list, fields: tuple[str, ...]) -> None:
    """Bulk update of changed rows, stamping updated_at (bulk_update skips auto_now); nothing when empty."""
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    manager.bulk_update(rows, [*fields, "updated_at"])


def _fill_blanks(customer: _Known, person: Person, owner: dict) -> bool:
    """Complete a known customer with what this source adds, never overwriting, never stealing a key."""
    changed = False
    if not customer.name and person.name:
        customer.name, changed = person.name[:200], True
    if not customer.phone and person.phone and owner.get(person.phone, customer) is customer:
        customer.phone, changed = person.phone, True
    if not customer.email and person.email_key and owner.get(person.email_key, customer) is customer:
        customer.email, changed = person.email_key, True
    return changed


# --- Merging two customers -----------------------------------------------------------------------


class MergeBlocked(Exception):
    """Both customers have a row of which a customer may have only one (the label says which kind)."""


def customers_merge(*, company: Company, keep: Customer, gone: Customer) -> dict[str, int]:
    """Merge `gone` into `keep` (same company): every row pointing at `gone` (leads, carts, orders,
    conversations... found through the model's relations, so new apps follow too) points at `keep`,
    its identities and provider ids move, blanks of `keep` are filled, and `gone` is deleted.

    Returns {relation label: rows moved}. Runs in one transaction: when a row cannot follow because
    `keep` already has its own (e.g. the one open bot cart or session context per customer), nothing
    is merged and MergeBlocked names the kind of row.
    """
    if keep.company_id != company.pk or gone.company_id != company.pk or keep.pk == gone.pk:
        raise ValueError("merge two different customers of the company")
    moved: dict[str, int] = {}
    with transaction.atomic():
        identities = CustomerIdentity.objects.for_company(company)
        taken = set(identities.filter(customer=keep).values_list("value", flat=True))
        identities.filter(customer=gone, value__in=taken).delete()
        moved["identities"] = identities.filter(customer=gone).update(customer=keep)
        for key, kind in ((gone.phone, CustomerIdentity.Kind.PHONE), (gone.email, CustomerIdentity.Kind.EMAIL)):
            if key and key not in taken and key not in (keep.phone, keep.email):
                identities.update_or_create(company=company, value=key, defaults={"customer": keep, "kind": kind})
        for relation in Customer._meta.related_objects:
            model, field = relation.related_model, relation.field
            if model in (CustomerIdentity,) or not field.many_to_one:
                continue
            rows = model._base_manager.filter(**{field.name: gone})
            label = model._meta.label_lower
            if model is CustomerLink:
                rows.delete()
                continue
            try:
                with transaction.atomic():
                    count = rows.update(**{field.name: keep})
            except IntegrityError as exc:
                # e.g. both have an open bot cart or a session context: nothing is lost, nothing merged.
                raise MergeBlocked(label) from exc
            if count:
                moved[label] = moved.get(label, 0) + count
        CustomerLink.objects.for_company(company).filter(Q(customer=gone) | Q(other=gone)).delete()
        if not keep.name and gone.name:
            keep.name = gone.name
        keep.provider_contact_ids = {**gone.provider_contact_ids, **keep.provider_contact_ids}
        if not keep.opted_out_at and gone.opted_out_at:
            keep.opted_out_at = gone.opted_out_at  # an opt-out is never lost in a merge
        phone, email = gone.phone, gone.email
        gone.delete()
        if not keep.phone and phone:
            keep.phone = phone
        if not keep.email and email:
            keep.email = email
        keep.save()
    return moved
