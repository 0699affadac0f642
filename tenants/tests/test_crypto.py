import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from tenants import crypto
from tenants.crypto import CredentialDecryptError, mask_secret
from tenants.models import CompanySetting
from tenants.services import company_setting_get, company_setting_set

PLAINTEXT = "mp-access-token-1234567890"


def raw_secret(setting) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret_value FROM {CompanySetting._meta.db_table} WHERE id = %s", [setting.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    def use(*keys):
        settings.CRED_ENCRYPTION_KEY = list(keys)

    return use


def test_database_holds_ciphertext_not_the_secret(company_a):
    setting = company_setting_set(
        company=company_a, key="mercadopago_access_token", value=PLAINTEXT, value_type="secret"
    )

    raw = raw_secret(setting)

    assert PLAINTEXT not in raw
    assert crypto.decrypt(raw) == PLAINTEXT
    assert company_setting_get(company=company_a, key="mercadopago_access_token") == PLAINTEXT


def test_old_values_decrypt_after_a_new_key_is_put_in_front(company_a, keys):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old_key)
    setting = company_setting_set(
        company=company_a, key="mercadopago_access_token", value=PLAINTEXT, value_type="secret"
    )

    keys(new_key, old_key)

    assert CompanySetting.objects.for_company(company_a).get(pk=setting.pk).secret_value == PLAINTEXT
    call_command("rotate_credentials", stdout=open("/dev/null", "w"))
    keys(new_key)
    assert CompanySetting.objects.for_company(company_a).get(pk=setting.pk).secret_value == PLAINTEXT


def test_a_removed_key_gives_a_clear_error(company_a, keys):
    keys(Fernet.generate_key().decode())
    setting = company_setting_set(
        company=company_a, key="mercadopago_access_token", value=PLAINTEXT, value_type="secret"
    )
    keys(Fernet.generate_key().decode())

    with pytest.raises(CredentialDecryptError, match="CRED_ENCRYPTION_KEY"):
        CompanySetting.objects.for_company(company_a).get(pk=setting.pk)


def test_mask_never_shows_the_secret():
    assert mask_secret(PLAINTEXT) == "••••••7890"
    assert mask_secret("short") == "••••••"
    assert mask_secret("") == ""


def test_secret_is_masked_in_api_and_admin(company_a, api_client_a, admin_client_a):
    setting = company_setting_set(
        company=company_a, key="mercadopago_access_token", value=PLAINTEXT, value_type="secret"
    )

    api = api_client_a.get(f"/api/company-settings/{setting.pk}/")
    changelist = admin_client_a.get("/admin/tenants/companysetting/")
    change = admin_client_a.get(f"/admin/tenants/companysetting/{setting.pk}/change/")

    assert api.status_code == 200
    assert api.json()["masked_secret"] == "••••••7890"
    assert "secret_value" not in api.json()
    for response in (api, changelist, change):
        assert PLAINTEXT not in response.content.decode()


def test_blank_secret_in_admin_form_keeps_the_stored_value(company_a, admin_client_a):
    setting = company_setting_set(
        company=company_a, key="mercadopago_access_token", value=PLAINTEXT, value_type="secret"
    )

    response = admin_client_a.post(
        f"/admin/tenants/companysetting/{setting.pk}/change/",
        {"key": "mercadopago_access_token", "value": "", "secret_value": "", "description": "x"},
    )

    assert response.status_code == 302
    assert CompanySetting.objects.for_company(company_a).get(pk=setting.pk).secret_value == PLAINTEXT


@pytest.mark.parametrize(("under_make_run", "expected"), [(False, 1), (True, 0)])
def test_the_development_key_warning_is_said_once_per_process_and_not_under_make_run(
    settings, monkeypatch, under_make_run, expected
):
    settings.CRED_ENCRYPTION_KEY = []
    said = []
    monkeypatch.setattr(crypto.logger, "warning", lambda event, **kw: said.append(event))
    if under_make_run:
        monkeypatch.setenv(crypto.DEV_KEY_WARNED_ENV, "1")
    crypto._warn_dev_key_once.cache_clear()

    for _ in range(3):
        crypto.decrypt(crypto.encrypt("segredo"))

    assert said == ["credentials_key_derived"] * expected
    crypto._warn_dev_key_once.cache_clear()
