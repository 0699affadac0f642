"""Typed settings: every key is declared by the app that reads it; a value is read by its key's type.

The three refusals the settings pages promise: a key no feature reads, a malformed value, and a
secret read back, each in the service, the API and the admin.
"""

import pytest
from django.core.exceptions import ValidationError

from tenants import settings_registry
from tenants.models import CompanySetting
from tenants.services import company_setting_get, company_setting_set
from tenants.settings_registry import SettingSpec, parse_setting_text

SECRET_TEXT = "APP_USR-super-secret-4242"


@pytest.fixture
def declared(monkeypatch):
    """Declare a key of a kind for one test (the real keys have no boolean or JSON one)."""

    def declare(key, kind):
        monkeypatch.setitem(settings_registry._SPECS, key, SettingSpec(key, kind, key, group="tests"))

    return declare


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("string", "olá"), ("boolean", True), ("number", 3.5), ("number", 7), ("json", {"a": [1, 2]})],
)
def test_typed_values_round_trip(company_a, declared, value_type, value):
    declared("k", value_type)

    company_setting_set(company=company_a, key="k", value=value, value_type=value_type)

    assert company_setting_get(company=company_a, key="k") == value


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("boolean", "yes"), ("number", "3"), ("number", True), ("json", "[]"), ("string", 1), ("nope", "x")],
)
def test_mistyped_values_are_refused(company_a, declared, value_type, value):
    declared("k", value_type if value_type != "nope" else "string")

    with pytest.raises(ValidationError):
        company_setting_set(company=company_a, key="k", value=value, value_type=value_type)

    assert not CompanySetting.objects.for_company(company_a).exists()


def test_api_refuses_a_mistyped_value_with_a_field_error(api_client_a):
    response = api_client_a.post("/api/company-settings/", {"key": "wp_db_port", "value": "3306"}, format="json")

    assert response.status_code == 400
    assert "value" in response.json()


def test_api_creates_in_the_tokens_company_with_the_declared_type(api_client_a, company_a):
    response = api_client_a.post("/api/company-settings/", {"key": "wp_db_port", "value": 3306}, format="json")

    assert response.status_code == 201
    stored = CompanySetting.objects.for_company(company_a).get(key="wp_db_port")
    assert (stored.value, stored.value_type) == (3306, "number")


def test_duplicate_key_is_a_400_not_a_500(api_client_a):
    payload = {"key": "pix_key", "value_type": "string", "value": "a"}
    api_client_a.post("/api/company-settings/", payload, format="json")

    response = api_client_a.post("/api/company-settings/", payload, format="json")

    assert response.status_code == 400


# --- an unknown key is refused ------------------------------------------------------------------


def test_an_unknown_key_is_refused_by_the_service_the_api_and_the_admin(company_a, api_client_a, admin_client_a):
    with pytest.raises(ValidationError) as service:
        company_setting_set(company=company_a, key="wp_db_hots", value="127.0.0.1", value_type="string")
    api = api_client_a.post("/api/company-settings/", {"key": "wp_db_hots", "value": "x"}, format="json")
    seed_api = api_client_a.put("/api/settings/wp_db_hots/", {"value": "x"}, format="json")
    admin = admin_client_a.post("/admin/tenants/companysetting/add/", {"key": "wp_db_hots", "value": "x"})

    assert "key" in service.value.message_dict
    assert api.status_code == 400 and "key" in api.json()
    assert seed_api.status_code == 400 and "key" in seed_api.json()
    assert admin.status_code == 200 and "key" in admin.context["adminform"].form.errors
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_a_declared_key_with_another_type_is_refused(company_a):
    with pytest.raises(ValidationError) as refused:
        company_setting_set(company=company_a, key="wp_db_password", value="plain", value_type="string")

    assert "value_type" in refused.value.message_dict


# --- a malformed value is refused; a well-formed one needs no quotes ----------------------------


def test_a_host_is_text_without_quotes(company_a, admin_client_a):
    response = admin_client_a.post("/admin/tenants/companysetting/add/", {"key": "wp_db_host", "value": "127.0.0.1"})

    assert response.status_code == 302
    assert company_setting_get(company=company_a, key="wp_db_host") == "127.0.0.1"


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("wp_db_port", "três mil"),
        ("erp_provider", "bling"),
        ("wp_timezone", "Mars/Olympus"),
        ("default_delivery_fee", "-5"),
    ],
)
def test_a_malformed_value_is_refused_in_the_admin(company_a, admin_client_a, key, typed):
    response = admin_client_a.post("/admin/tenants/companysetting/add/", {"key": key, "value": typed})

    assert response.status_code == 200
    assert "value" in response.context["adminform"].form.errors
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_a_malformed_value_is_refused_by_the_api(api_client_a, company_a):
    response = api_client_a.put("/api/settings/erp_provider/", {"value": "bling"}, format="json")

    assert response.status_code == 400 and "value" in response.json()
    assert not CompanySetting.objects.for_company(company_a).exists()


@pytest.mark.parametrize(
    ("kind", "typed", "value"),
    [
        ("number", "3306", 3306),
        ("number", "5,50", 5.5),
        ("boolean", "Sim", True),
        ("boolean", "não", False),
        ("json", '{"a": 1}', {"a": 1}),
    ],
)
def test_typed_text_is_read_by_the_keys_kind(kind, typed, value):
    assert parse_setting_text(SettingSpec("k", kind, "k"), typed) == value


@pytest.mark.parametrize(("kind", "typed"), [("number", "3 mil"), ("boolean", "talvez"), ("json", "{a: 1}")])
def test_unreadable_text_is_refused(kind, typed):
    with pytest.raises(ValidationError):
        parse_setting_text(SettingSpec("k", kind, "k"), typed)


# --- a secret is never read back --------------------------------------------------------------


def test_a_secret_is_never_read_back(company_a, api_client_a, admin_client_a):
    setting = company_setting_set(company=company_a, key="mercadopago_access_token", value=SECRET_TEXT)

    pages = [
        api_client_a.get("/api/company-settings/"),
        api_client_a.get(f"/api/company-settings/{setting.pk}/"),
        api_client_a.get("/api/settings/"),
        admin_client_a.get("/admin/tenants/companysetting/"),
        admin_client_a.get(f"/admin/tenants/companysetting/{setting.pk}/change/"),
        admin_client_a.get("/admin/tenants/companysetting/integrations/mercadopago/"),
    ]

    assert [page.status_code for page in pages] == [200] * len(pages)
    for page in pages:
        assert SECRET_TEXT not in page.content.decode()
    assert "secret_value" not in api_client_a.get(f"/api/company-settings/{setting.pk}/").json()


def test_a_secret_cannot_be_asked_for_as_a_field(company_a, api_client_a):
    setting = company_setting_set(company=company_a, key="mercadopago_access_token", value=SECRET_TEXT)

    response = api_client_a.get(f"/api/company-settings/{setting.pk}/", {"fields": "secret_value"})

    assert SECRET_TEXT not in response.content.decode()


def test_memoized_reads_of_a_company_cost_one_query_and_see_its_own_writes(
    company_a, company_b, django_assert_num_queries
):
    from tenants.services import company_setting_delete, company_settings_memoized

    company_setting_set(company=company_a, key="pix_key", value="a@loja-a.com.br")
    company_setting_set(company=company_a, key="pix_merchant_name", value="Loja A")
    company_setting_set(company=company_b, key="pix_key", value="b@loja-b.com.br")

    with company_settings_memoized():
        with django_assert_num_queries(2):  # one per company, however many keys are read
            assert company_setting_get(company=company_a, key="pix_key") == "a@loja-a.com.br"
            assert company_setting_get(company=company_a, key="pix_merchant_name") == "Loja A"
            assert company_setting_get(company=company_a, key="pix_merchant_city", default="SP") == "SP"
            assert company_setting_get(company=company_b, key="pix_key") == "b@loja-b.com.br"
        company_setting_set(company=company_a, key="pix_key", value="novo@loja-a.com.br")
        assert company_setting_get(company=company_a, key="pix_key") == "novo@loja-a.com.br"
        company_setting_delete(company=company_a, key="pix_key")
        assert company_setting_get(company=company_a, key="pix_key") is None
    with django_assert_num_queries(1):  # outside the block: read each time
        assert company_setting_get(company=company_b, key="pix_key") == "b@loja-b.com.br"
