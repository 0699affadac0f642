import pytest
from django.core.exceptions import ValidationError

from tenants.models import CompanySetting
from tenants.services import company_setting_get, company_setting_set


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("string", "olá"), ("boolean", True), ("number", 3.5), ("number", 7), ("json", {"a": [1, 2]})],
)
def test_typed_values_round_trip(company_a, value_type, value):
    company_setting_set(company=company_a, key="k", value=value, value_type=value_type)

    assert company_setting_get(company=company_a, key="k") == value


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("boolean", "yes"), ("number", "3"), ("number", True), ("json", "[]"), ("string", 1), ("nope", "x")],
)
def test_mistyped_values_are_refused(company_a, value_type, value):
    with pytest.raises(ValidationError):
        company_setting_set(company=company_a, key="k", value=value, value_type=value_type)

    assert not CompanySetting.objects.for_company(company_a).exists()


def test_api_refuses_a_mistyped_value_with_a_field_error(api_client_a):
    response = api_client_a.post(
        "/api/company-settings/", {"key": "k", "value_type": "boolean", "value": "sim"}, format="json"
    )

    assert response.status_code == 400
    assert "value" in response.json()


def test_api_creates_in_the_tokens_company(api_client_a, company_a):
    response = api_client_a.post(
        "/api/company-settings/", {"key": "k", "value_type": "boolean", "value": True}, format="json"
    )

    assert response.status_code == 201
    assert CompanySetting.objects.for_company(company_a).get(key="k").value is True


def test_duplicate_key_is_a_400_not_a_500(api_client_a):
    payload = {"key": "k", "value_type": "string", "value": "a"}
    api_client_a.post("/api/company-settings/", payload, format="json")

    response = api_client_a.post("/api/company-settings/", payload, format="json")

    assert response.status_code == 400
