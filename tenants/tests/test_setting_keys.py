"""Declared CompanySetting keys: their type and rule are checked wherever a setting is written."""

import pytest
from django.core.exceptions import ValidationError

from tenants.models import CompanySetting
from tenants.services import company_setting_set
from tenants.setting_keys import declare_setting, declared_settings, whole_number_between

DAYS = declare_setting(
    "test_days_kept", value_type="number", default=30, description="test", validate=whole_number_between(1, 365)
)


@pytest.mark.parametrize(("value_type", "value"), [("string", "30"), ("number", 0), ("number", 2.5), ("number", 366)])
def test_a_declared_key_refuses_what_breaks_its_declaration(company_a, value_type, value):
    with pytest.raises(ValidationError):
        company_setting_set(company=company_a, key="test_days_kept", value=value, value_type=value_type)

    assert not CompanySetting.objects.for_company(company_a).exists()


def test_a_declared_key_reads_its_value_or_its_default(company_a, company_b):
    company_setting_set(company=company_a, key="test_days_kept", value=45, value_type="number")
    CompanySetting.objects.for_company(company_b).create(  # stored before the rule existed
        company=company_b, key="test_days_kept", value_type="string", value="x"
    )

    assert (DAYS.get(company_a), DAYS.get(company_b)) == (45, 30)


def test_the_api_and_the_admin_form_say_what_is_wrong(api_client_a, admin_client_a, company_a):
    response = api_client_a.post(
        "/api/company-settings/", {"key": "test_days_kept", "value_type": "number", "value": 0}, format="json"
    )
    page = admin_client_a.post(
        "/admin/tenants/companysetting/add/", {"key": "test_days_kept", "value_type": "string", "value": '"30"'}
    )

    assert (response.status_code, list(response.json())) == (400, ["value"])
    assert page.status_code == 200 and page.context["adminform"].form.errors
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_a_second_different_declaration_is_a_bug():
    with pytest.raises(ValueError, match="declared twice"):
        declare_setting("test_days_kept", value_type="number", default=31, description="test", validate=DAYS.validate)


def test_the_retention_keys_are_declared_at_start():
    keys = {declared.key: declared.default for declared in declared_settings()}

    assert {
        "retention_inbound_events_days": 30,
        "retention_received_files_days": 180,
        "retention_conversations_without_order_days": 730,
        "retention_abandoned_carts_days": 7,
    }.items() <= keys.items()
