"""Queries per request stay constant as data grows, for every admin page and every API read.

Two companies hold the same kinds of data, one with SMALL rows of every model and one with LARGE
(built by `tests.builders.build_rows`: each round is a fresh set of related rows, and the first
round's rows get one child per round, so lists grow and so do an object's items and messages).
Each company's manager opens the same page; the number of SQL queries must be equal. Pages and
operations are discovered like the isolation harness does, so a new admin or endpoint is covered
by being registered.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tenants.models import Company
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.builders import ObjectBuilder, build_rows
from tests.isolation import PATH_PARAM, _fill, api_operations, is_tenant_model
from tests.test_tenant_isolation import tenant_models

SMALL, LARGE = 2, 12


@dataclass
class Tenant:
    company: Company
    manager: object
    first: ObjectBuilder
    token: str

    def admin_client(self) -> Client:
        client = Client()
        client.force_login(self.manager)
        return client

    def api_client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")
        return client

    def first_row(self, model):
        return self.first.get(model, self.company)


def _tenant(slug: str, rows: int) -> Tenant:
    company = Company.objects.create(name=slug, slug=slug)
    # An owner sees every row of the company (other members' API tokens included).
    manager = MembershipFactory(company=company, user=UserFactory(username=f"{slug}-owner"), role="owner").user
    first = build_rows(company, tenant_models(), rows, marker=slug)
    return Tenant(company, manager, first, api_token_issue(company=company, user=manager))


@pytest.fixture(scope="module")
def tenants(django_db_setup, django_db_blocker):
    """Both companies, built once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _tenant("qsmall", SMALL), _tenant("qlarge", LARGE)
        transaction.set_rollback(True)


def count_queries(request) -> tuple[int, int, list[str]]:
    request()  # warm-up: per-process caches (content types, company access) fill on the first call
    reset_queries()  # a request clears the query log when it starts: begin with an empty one
    with CaptureQueriesContext(connection) as captured:
        response = request()
    return response.status_code, len(captured), [q["sql"] for q in captured.captured_queries]


def assert_constant(small_request, large_request):
    small_status, small_count, _ = count_queries(small_request)
    large_status, large_count, large_sql = count_queries(large_request)
    assert small_status == large_status
    extra = "\n".join(large_sql)
    assert large_count == small_count, f"{small_count} queries with {SMALL} rows, {large_count} with {LARGE}:\n{extra}"
    return small_status


# --- admin ------------------------------------------------------------------------------------


def admin_pages():
    for model in admin.site._registry:
        if not is_tenant_model(model):
            continue
        for view in ("changelist", "change"):
            yield pytest.param(model, view, id=f"{model._meta.label}-{view}")


@pytest.mark.parametrize(("model", "view"), list(admin_pages()))
def test_admin_page_queries_do_not_grow_with_rows(tenants, db, model, view):
    small, large = tenants
    prefix = f"{admin.site.name}:{model._meta.app_label}_{model._meta.model_name}"

    def page(tenant):
        args = [tenant.first_row(model).pk] if view == "change" else []
        url = reverse(f"{prefix}_{view}", args=args)
        client = tenant.admin_client()
        return lambda: client.get(url)

    status = assert_constant(page(small), page(large))

    assert status == 200


def test_every_tenant_model_has_rows_at_both_sizes(tenants, db):
    """The builder reached every model and the large company has more of each: no page above was
    measured on an empty table or on equal sizes."""
    small, large = tenants
    empty = [
        f"{model._meta.label} in {t.company.slug}"
        for model in tenant_models()
        for t in (small, large)
        if not model._default_manager.for_company(t.company).exists()
    ]
    not_grown = [
        model._meta.label
        for model in tenant_models()
        if model._default_manager.for_company(large.company).count()
        <= model._default_manager.for_company(small.company).count()
    ]

    assert empty == []
    assert not_grown == []


# --- API --------------------------------------------------------------------------------------


def api_reads():
    for path, method, view in api_operations():
        model = getattr(getattr(view, "queryset", None), "model", None)
        if method != "get" or model is None:
            continue
        yield pytest.param(path, model, id=path)


@pytest.mark.parametrize(("path", "model"), list(api_reads()))
def test_api_read_queries_do_not_grow_with_rows(tenants, db, path, model):
    small, large = tenants

    def call(tenant):
        url, _ = _fill(path, PATH_PARAM.findall(path), model, tenant.first_row)
        client = tenant.api_client()
        return lambda: client.get(url)

    status = assert_constant(call(small), call(large))

    assert status == 200
