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
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from customers.models import Customer
from flows.models import FlowVersion, Subflow
from leads.models import ImportedCart
from privacy.models import PrivacyRequest
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
    return model._base_manager.create(
        company=company,
        customer=builder.get(Customer, company),
        source="woocommerce",
        status="abandoned",
        external_id=f"{builder.marker_for(company)}-woo",
        last_activity_at=timezone.now(),
    )


BUILDERS[ImportedCart] = build_imported_cart


def build_privacy_request(builder: ObjectBuilder, model, company: Company):
    """A finished export whose zip is in storage, so that its download answers like a real one."""
    marker = builder.marker_for(company)
    request = model._base_manager.create(
        company=company,
        kind="export",
        status="succeeded",
        customer_ref=builder.get(Customer, company).pk,
        requested_by=f"{marker}-user",
        reason=f"{marker}-reason",
        finished_at=timezone.now(),
    )
    request.file.save(f"{marker}.zip", ContentFile(f"{marker}-zip".encode()), save=True)
    return request


BUILDERS[PrivacyRequest] = build_privacy_request


def build_rows(company: Company, models_to_build, count: int, marker: str) -> ObjectBuilder:
    """`count` rows of every model for query-count tests and benches; returns the first row's builder.

    Each round builds every model afresh with its own related rows (so per-parent constraints such
    as "one open cart per customer" hold), and then adds one more row of every model whose foreign
    keys point at the first round's rows, so those rows get `count` children each (items,
    messages, positions...). A row the schema allows only once is skipped, the same at every size.
    """
    from django.db import IntegrityError, transaction  # noqa: PLC0415

    models_to_build = list(models_to_build)
    first = None
    for round_no in range(count):
        builder = ObjectBuilder(marker_for=lambda c, n=round_no: f"{marker}{n}")
        for model in models_to_build:
            _try_build(builder, model, company, transaction, IntegrityError)
        if first is None:
            first = builder
            continue
        for model in models_to_build:
            child = ObjectBuilder(marker_for=first.marker_for)
            child.built = {key: obj for key, obj in first.built.items() if key[0] is not model}
            _try_build(child, model, company, transaction, IntegrityError)
            if (model, company.pk) in child.built:
                _fill_optional_relations(child.built[(model, company.pk)], first, company, transaction, IntegrityError)
    return first


def _fill_optional_relations(obj, first, company, transaction, integrity_error) -> None:
    """Point the row's empty nullable foreign keys (a subflow's parent, a cart's zone...) at the first
    round's rows, so pages that show them are measured with them set."""
    for field in type(obj)._meta.concrete_fields:
        target = first.built.get((field.related_model, company.pk)) if field.many_to_one else None
        if target is None or not field.null or getattr(obj, field.attname) is not None or target.pk == obj.pk:
            continue
        try:
            with transaction.atomic():
                type(obj)._base_manager.filter(pk=obj.pk).update(**{field.attname: target.pk})
        except integrity_error:
            continue


def _try_build(builder, model, company, transaction, integrity_error) -> None:
    try:
        with transaction.atomic():
            builder.get(model, company)
    except integrity_error:
        builder.built.pop((model, company.pk), None)


def build_flow_version(builder: ObjectBuilder, model, company: Company):
    """A published version, with its template saying so (as publishing leaves them): a template at
    version 0 holding a version 1 is a state no code path makes, and its next publish would collide."""
    version = generic_build(builder, model, company)
    type(version.template)._base_manager.filter(pk=version.template_id).update(published_version=version.number)
    return version


BUILDERS[FlowVersion] = build_flow_version
