"""Build one valid row of any model, generically, so the isolation harness covers new models for free.

Every text value carries the company's marker, so a leak of company B's data into a response
read by company A's user is found by searching the body for B's marker.
Models the generic builder cannot fill register a function in BUILDERS.
"""

import datetime
import decimal
import itertools
import uuid
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from flows.models import Subflow
from tenants.models import Company, CompanyOwned, Membership

BUILDERS: dict[type[models.Model], Callable] = {}
_sequence = itertools.count(1)


class ObjectBuilder:
    """Creates (and memoises) one instance per (model, company), related rows in the same company."""

    def __init__(self, marker_for: Callable[[Company], str]):
        self.marker_for = marker_for
        self.built: dict[tuple[type, int], models.Model] = {}

    def user_of(self, company: Company):
        key = (get_user_model(), company.pk)
        if key not in self.built:
            user = get_user_model().objects.create(username=f"{self.marker_for(company)}-user", is_staff=True)
            Membership.objects.for_company(company).create(company=company, user=user, role=Membership.Role.AGENT)
            self.built[key] = user
        return self.built[key]

    def get(self, model: type[models.Model], company: Company) -> models.Model:
        if model is Company:
            return company
        if model is get_user_model():
            return self.user_of(company)
        key = (model, company.pk)
        if key not in self.built:
            builder = BUILDERS.get(model, generic_build)
            self.built[key] = builder(self, model, company)
        return self.built[key]


def generic_build(builder: ObjectBuilder, model: type[models.Model], company: Company) -> models.Model:
    values = {}
    marker = builder.marker_for(company)
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            target = field.related_model
            if target is Company or issubclass(target, CompanyOwned) or target is get_user_model():
                values[field.name] = builder.get(target, company)
            elif not field.null:
                values[field.name] = target._base_manager.first()
            continue
        if field.has_default() and not field.choices:
            continue
        if field.null and not field.choices:
            continue
        values[field.name] = value_for(field, marker)
    instance = model(**values)
    instance.save()
    return model._base_manager.get(pk=instance.pk)


def build_membership(builder: ObjectBuilder, model, company: Company) -> Membership:
    """The membership that gives the company's marker user its role."""
    return Membership.objects.for_company(company).get(user=builder.user_of(company))


BUILDERS[Membership] = build_membership


def value_for(field: models.Field, marker: str):
    seq = next(_sequence)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"{marker}-{seq}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{marker}-{seq}"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(field, models.CharField | models.TextField):
        text = f"{marker}-{seq}"
        return text[: field.max_length] if field.max_length else text
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("1.00")
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.IntegerField):
        return 1  # within any sane range check (quantities, ratings)
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date.today()
    if isinstance(field, models.TimeField):
        return datetime.time(12, 0)
    if isinstance(field, models.DurationField):
        return datetime.timedelta(minutes=1)
    if isinstance(field, models.JSONField):
        return {"marker": marker}
    if isinstance(field, models.BinaryField):
        return marker.encode()
    if isinstance(field, models.FileField):
        return f"{marker}-{seq}.txt"
    raise NotImplementedError(f"No generic value for {field.model.__name__}.{field.name}: add a builder in BUILDERS")


def build_subflow(builder: ObjectBuilder, model, company: Company):
    """A subflow without a parent: the generic builder would recurse on the self-reference."""
    flow = builder.get(model._meta.get_field("flow").related_model, company)
    return model._base_manager.create(company=company, flow=flow, name=f"{builder.marker_for(company)}-subflow")


BUILDERS[Subflow] = build_subflow


def build_imported_cart(builder: ObjectBuilder, model, company: Company):
    """An imported WooCommerce cart (the leads proxy of Cart): not a second open bot cart of the same customer."""
    from leads.models import Customer  # noqa: PLC0415 - proxies load after the apps

    return model._base_manager.create(
        company=company,
        customer=builder.get(Customer, company),
        source="woocommerce",
        status="abandoned",
        external_id=f"{builder.marker_for(company)}-woo",
        last_activity_at=timezone.now(),
    )


def _register_proxies() -> None:
    from leads.proxies import ImportedCart  # noqa: PLC0415

    BUILDERS[ImportedCart] = build_imported_cart


_register_proxies()
