"""Whatever a client sends the API, it answers a 4xx, never a 500: hostile JSON, the browsable API."""

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tenants.services import api_token_issue
from tests.isolation import PATH_PARAM, _fill, api_operations
from tests.test_tenant_isolation import world  # noqa: F401 - the fixture: both companies, every model


@pytest.fixture
def order_a(company_a):
    return Order.objects.for_company(company_a).create(company=company_a, source="whatsapp", status="placed")


@pytest.mark.parametrize(
    "body",
    [
        '{"status": "\\ud800"}',  # a lone surrogate: the "not a valid choice" answer could not be encoded
        '{"status": "' + "\udcff" + '"}',
        "[" * 100_000,
        '{"status": NaN}',
    ],
    ids=["escaped-surrogate", "raw-surrogate", "deep", "nan"],
)
def test_hostile_json_is_a_400_and_changes_nothing(api_client_a, order_a, body):
    response = api_client_a.post(
        f"/api/orders/{order_a.pk}/transition/",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )

    assert response.status_code == 400
    order_a.refresh_from_db()
    assert order_a.status == "placed"


def test_the_browsable_api_renders_every_page_for_a_token(world):  # noqa: F811
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=world.company_a, user=world.user_a)}")
    failures = []
    for path, method, view in api_operations():
        model = getattr(getattr(view, "queryset", None), "model", None)
        if method != "get" or model is None:
            continue
        url, _ = _fill(path, PATH_PARAM.findall(path), model, world.a)
        response = client.get(url, HTTP_ACCEPT="text/html")
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
        elif response.get("Content-Type", "").startswith("text/html"):
            assert b"<html" in response.content

    assert failures == []
