"""Each role walks every admin model, action, page and API operation; the answers match the matrix."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import AdminSite
from rest_framework.test import APIClient

from config.api_router import router
from tenants import permissions
from tenants.admin_mixins import CompanyScopedAdmin
from tenants.models import Company, CompanyOwned, CompanySetting, Membership
from tenants.permissions import EVERYONE
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.builders import ObjectBuilder
from tests.leaky_urls import leaky_site
from tests.permission_matrix import RoleWorld, admin_actions, matrix_gaps, stale_entries, walk_admin, walk_api

ROLES = [role.value for role in Membership.Role]


@pytest.fixture
def role_world(db):
    company = Company.objects.create(name="Alpha", slug="alpha")
    builder = ObjectBuilder(marker_for=lambda c: "alpha")
    for model in apps.get_models():
        if issubclass(model, CompanyOwned):
            builder.get(model, company)
    return RoleWorld(company=company, builder=builder)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


def member(company, role):
    return MembershipFactory(company=company, user=UserFactory(username=f"{role}-alpha"), role=role).user


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_admin_the_matrix_gives_it(role_world, client, superuser, role):
    client.force_login(member(role_world.company, role))
    actions = admin_actions(admin.site, role_world.company, superuser)

    assert walk_admin(role_world, admin.site, client, role, actions) == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_api_the_matrix_gives_it(role_world, role):
    client = APIClient()
    user = member(role_world.company, role)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=role_world.company, user=user)}")

    assert walk_api(role_world, client, role) == []


def test_everything_the_admin_and_the_api_offer_is_in_the_matrix(role_world, superuser):
    actions = admin_actions(admin.site, role_world.company, superuser)

    assert matrix_gaps(admin.site, actions) == []


def test_the_matrix_names_nothing_that_no_longer_exists(role_world, superuser):
    actions = admin_actions(admin.site, role_world.company, superuser)
    basenames = {basename for _prefix, _viewset, basename in router.registry}

    assert stale_entries(admin.site, actions, basenames) == []


# --- The harness catches what is missing or wrong ----------------------------------------------


class PlantedSettingAdmin(CompanyScopedAdmin):
    actions = ["planted_action"]

    @admin.action(description="planted")
    def planted_action(self, request, queryset):
        queryset.update(description="planted")


class PlantedCompanyAdmin(admin.ModelAdmin):
    """A model admin the matrix has never heard of would be caught by its label."""


@pytest.fixture
def planted_site():
    site = AdminSite(name="planted")
    site.register(CompanySetting, PlantedSettingAdmin)
    return site


def test_an_admin_action_or_route_missing_from_the_matrix_is_reported(role_world, superuser, planted_site, settings):
    settings.ROOT_URLCONF = "tests.leaky_urls"
    actions = admin_actions(planted_site, role_world.company, superuser)

    gaps = matrix_gaps(planted_site, actions, urlconf="tests.leaky_urls")

    assert "admin action tenants.CompanySetting.planted_action: no entry in ADMIN['tenants.CompanySetting'].actions" in (
        gaps
    )
    assert any(gap.startswith("API GET /api/leaky-memberships/: no entry API['leaky-membership']") for gap in gaps)


def test_an_admin_model_missing_from_the_matrix_is_reported(role_world, superuser, monkeypatch):
    site = AdminSite(name="planted")
    site.register(Company, PlantedCompanyAdmin)
    monkeypatch.delitem(permissions.ADMIN, "tenants.Company")

    gaps = matrix_gaps(site, admin_actions(site, role_world.company, superuser), urlconf="tests.leaky_urls")

    assert "admin model tenants.Company: no entry in tenants.permissions.ADMIN" in gaps


def test_the_walk_reports_an_admin_that_ignores_the_matrix(role_world, client, superuser, settings):
    """The leaky admin lets anyone edit memberships: a viewer's edit is reported, and its page too."""
    settings.ROOT_URLCONF = "tests.leaky_urls"
    client.force_login(member(role_world.company, "viewer"))

    findings = walk_admin(role_world, leaky_site, client, "viewer", admin_actions(leaky_site, role_world.company, superuser))

    assert "viewer admin tenants.Membership add page: answered 200, the matrix refuses it (403 expected)" in findings
    assert any(f.startswith("viewer admin tenants.Membership change POST: answered") for f in findings)
    assert any(f.startswith("viewer admin tenants.Membership page membership_peek GET: answered") for f in findings)


def test_the_walk_reports_an_api_that_ignores_the_matrix(role_world, monkeypatch):
    """A matrix that refuses viewers to read settings, while the API lets them: reported."""
    monkeypatch.setitem(permissions.API, "company-setting", permissions.rest(read=EVERYONE - {"viewer"}))
    monkeypatch.setattr(permissions, "api_allows", lambda access, basename, action: access.can_read)
    client = APIClient()
    user = member(role_world.company, "viewer")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=role_world.company, user=user)}")

    findings = walk_api(role_world, client, "viewer")

    assert "viewer API GET /api/company-settings/: answered 200, the matrix refuses it (403 expected)" in findings
