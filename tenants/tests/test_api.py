from django.db import DataError
from rest_framework.test import APIClient

from tenants.api import exception_handler
from tenants.models import CompanySetting
from tenants.services import api_token_issue
from tenants.tests.factories import CompanySettingFactory, MembershipFactory


def test_token_is_bound_to_its_company(api_client_a, company_a, company_b):
    CompanySettingFactory(company=company_a, key="a")
    CompanySettingFactory(company=company_b, key="b")

    response = api_client_a.get("/api/company-settings/")

    assert response.status_code == 200
    assert [row["key"] for row in response.json()["results"]] == ["a"]
    assert response.json()["count"] == 1


def test_same_user_token_of_company_b_sees_b(company_a, company_b, manager_a):
    MembershipFactory(company=company_b, user=manager_a)
    CompanySettingFactory(company=company_b, key="b")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company_b, user=manager_a)}")

    assert [row["key"] for row in client.get("/api/company-settings/").json()["results"]] == ["b"]


def test_foreign_id_is_404_like_a_missing_one(api_client_a, company_b):
    theirs = CompanySettingFactory(company=company_b)

    foreign = api_client_a.get(f"/api/company-settings/{theirs.pk}/")
    missing = api_client_a.get("/api/company-settings/999999999/")
    deleted = api_client_a.delete(f"/api/company-settings/{theirs.pk}/")

    assert foreign.status_code == missing.status_code == deleted.status_code == 404
    assert foreign.json() == missing.json()
    assert CompanySetting.objects.for_company(company_b).filter(pk=theirs.pk).exists()


def test_viewer_token_cannot_write(company_a, viewer_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company_a, user=viewer_a)}")

    read = client.get("/api/company-settings/")
    write = client.post("/api/company-settings/", {"key": "k", "value_type": "string", "value": "v"}, format="json")

    assert read.status_code == 200
    assert write.status_code == 403
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_bad_token_and_no_token_are_refused(db):
    client = APIClient()
    anonymous = client.get("/api/company-settings/")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    bad = client.get("/api/company-settings/")

    assert anonymous.status_code in (401, 403)
    assert bad.status_code == 401


def test_token_of_a_removed_member_stops_working(company_a, manager_a):
    key = api_token_issue(company=company_a, user=manager_a)
    manager_a.memberships.model.objects.for_company(company_a).filter(user=manager_a).delete()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/company-settings/").status_code == 403


def test_session_auth_uses_the_switched_company(admin_client_a, company_a):
    CompanySettingFactory(company=company_a, key="a")

    response = admin_client_a.get("/api/company-settings/")

    assert [row["key"] for row in response.json()["results"]] == ["a"]


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/company-settings/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"drf_spectacular_sidecar" in docs.content or b"/static/" in docs.content


def test_list_is_paginated(api_client_a, company_a, settings):
    rows = [CompanySetting(company=company_a, key=f"k{n}", value="v") for n in range(settings.API_PAGE_SIZE + 1)]
    CompanySetting.objects.for_company(company_a).bulk_create(rows)

    body = api_client_a.get("/api/company-settings/").json()

    assert body["count"] == settings.API_PAGE_SIZE + 1
    assert len(body["results"]) == settings.API_PAGE_SIZE
    assert body["next"] is not None


def test_routes_answer_with_and_without_the_trailing_slash(api_client_a, company_a):
    CompanySettingFactory(company=company_a, key="a")

    with_slash = api_client_a.get("/api/company-settings/")
    without_slash = api_client_a.get("/api/company-settings")
    created = api_client_a.post("/api/company-settings", {"key": "pix_key", "value": "pix@loja.com.br"}, format="json")

    assert with_slash.status_code == without_slash.status_code == 200
    assert without_slash.json() == with_slash.json()
    assert created.status_code == 201, created.content


def test_a_value_the_database_cannot_hold_is_a_400():
    response = exception_handler(DataError("integer out of range"), {})

    assert response.status_code == 400
    assert "non_field_errors" in response.data
