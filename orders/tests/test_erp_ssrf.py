"""The ERP base URLs a company sets (Tiny, Pontta) and its Google key's token_uri cannot reach inside."""

import json

import pytest
from django.core.exceptions import ValidationError

from integrations.tests.test_google_sheets import SERVICE_ACCOUNT
from orders.erp_tasks import order_erp_push_task
from orders.models import Order
from orders.services import order_transition
from orders.tests.test_erp import _completed_order, _secret
from tenants.services import company_setting_set

pytestmark = pytest.mark.usefixtures("english")  # orders/tests/conftest.py


def _configure(company, provider, base_url):
    company_setting_set(company=company, key="erp_provider", value=provider, value_type="string")
    if provider == "tiny":
        _secret(company, "tiny_token", "tiny-token-123")
        company_setting_set(company=company, key="tiny_base_url", value=base_url, value_type="string")
    else:
        for key, value in {"email": "a@b.c", "password": "p", "business_unit": "bu-1", "base_url": base_url}.items():
            _secret(company, f"pontta_{key}", value)


@pytest.mark.parametrize("provider", ["tiny", "pontta"])
def test_an_erp_url_inside_fails_the_push_visibly_and_reaches_nothing(
    company_a, customer_a, inside, settings, provider
):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # saved while allowed (or while its DNS answered elsewhere)
    _configure(company_a, provider, f"http://127.0.0.1:{inside.port}/api")
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    order = _completed_order(company_a, customer_a)
    order_transition(order=order, to="completed", notify=False)

    result = order_erp_push_task(company_id=company_a.pk, order_id=order.pk)

    failed = Order.objects.for_company(company_a).get(pk=order.pk)
    assert result is None  # permanent: not retried
    assert "127.0.0.1, a private or local address" in failed.erp_error
    assert inside.connections == []


@pytest.mark.parametrize("key", ["tiny_base_url", "pontta_base_url"])
def test_an_erp_url_inside_is_refused_when_saved(company_a, settings, key):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    value_type = "string" if key == "tiny_base_url" else "secret"

    with pytest.raises(ValidationError) as refused:
        company_setting_set(company=company_a, key=key, value="http://169.254.169.254/api", value_type=value_type)

    field = "value" if value_type == "string" else "secret_value"
    assert refused.value.message_dict == {
        field: ["This URL points to a private or local address, which is not allowed."]
    }


def test_settings_api_refuses_a_service_account_whose_token_uri_points_inside(api_client_a, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    key = {**SERVICE_ACCOUNT, "token_uri": "http://127.0.0.1:8000/token"}

    answer = api_client_a.put(
        "/api/settings/google_service_account_json/",
        {"value": json.dumps(key), "type": "secret"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    good = api_client_a.put(
        "/api/settings/google_service_account_json/",
        {"value": json.dumps(SERVICE_ACCOUNT), "type": "secret"},  # Google's own token_uri (not resolvable here)
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {"secret_value": ["This URL points to a private or local address, which is not allowed."]}
    assert good.status_code == 201
