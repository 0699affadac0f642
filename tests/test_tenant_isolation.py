"""Company A's manager walks every admin page and API operation while company B's data exists."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import get_resolver
from rest_framework.test import APIClient

from config.api_router import router
from tenants.admin_mixins import CompanyScopedAdminMixin
from tenants.api import CompanyScopedViewSetMixin
from tenants.managers import CompanyManager
from tenants.models import Company, CompanyOwned, Membership
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.builders import ObjectBuilder
from tests.isolation import MARKER_B, World, walk_admin, walk_api


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, CompanyOwned)]


@pytest.fixture
def world(db):
    company_a = Company.objects.create(name="Alpha", slug="alpha")
    company_b = Company.objects.create(name=f"{MARKER_B} company", slug=MARKER_B)
    # The owner: the role that sees the most of its company (other members' API tokens included).
    user_a = MembershipFactory(company=company_a, user=UserFactory(username="alpha-owner"), role="owner").user
    builder = ObjectBuilder(marker_for=lambda c: MARKER_B if c == company_b else "alpha")
    for model in tenant_models():
        builder.get(model, company_a)
        builder.get(model, company_b)
    return World(company_a=company_a, company_b=company_b, user_a=user_a, builder=builder)


def test_admin_shows_company_a_nothing_of_company_b(world, client):
    client.force_login(world.user_a)

    assert walk_admin(world, admin.site, client) == []


def test_api_shows_company_a_nothing_of_company_b(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=world.company_a, user=world.user_a)}")

    assert walk_api(world, client) == []


def test_every_tenant_model_uses_the_scoped_manager():
    wrong = [m._meta.label for m in tenant_models() if not isinstance(m._default_manager, CompanyManager)]

    assert wrong == []


def test_every_unique_constraint_includes_company():
    offenders = []
    for model in tenant_models():
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                offenders.append(f"{model._meta.label}.{field.name}")
        for constraint in model._meta.constraints:
            if getattr(constraint, "fields", None) and "company" not in constraint.fields:
                offenders.append(f"{model._meta.label}:{constraint.name}")
        for together in model._meta.unique_together:
            if "company" not in together:
                offenders.append(f"{model._meta.label}:{together}")

    assert offenders == []


def test_every_admin_of_a_tenant_model_is_scoped():
    unscoped = [
        m._meta.label
        for m, model_admin in admin.site._registry.items()
        if issubclass(m, CompanyOwned) and not isinstance(model_admin, CompanyScopedAdminMixin)
    ]
    inlines = [
        f"{m._meta.label}:{inline.__name__}"
        for m, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
        if issubclass(inline.model, CompanyOwned) and not issubclass(inline, CompanyScopedAdminMixin)
    ]

    assert unscoped + inlines == []


def test_every_registered_viewset_is_scoped():
    unscoped = [prefix for prefix, viewset, _ in router.registry if not issubclass(viewset, CompanyScopedViewSetMixin)]

    assert unscoped == []


def test_no_api_view_bypasses_the_router():
    """Any DRF view under /api/ that is not from the router must be scoped too (or be schema/docs)."""
    allowed = {"SpectacularAPIView", "SpectacularSwaggerSplitView", "APIRootView"}
    stray = []

    def visit(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                visit(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None and not issubclass(cls, CompanyScopedViewSetMixin) and cls.__name__ not in allowed:
                stray.append(f"{prefix}{pattern.pattern} -> {cls.__name__}")

    visit(get_resolver().url_patterns)

    assert stray == []


def test_membership_roles_are_the_documented_four():
    assert [r.value for r in Membership.Role] == ["owner", "manager", "agent", "viewer"]
