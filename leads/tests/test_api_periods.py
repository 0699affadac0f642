"""Every API operation with a period filter answers 400, never 500, for days it cannot represent."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tenants.models import Company


def period_operations() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        for method, operation in operations.items()
        if method == "get" and any(p["name"] == "until" for p in operation.get("parameters", []))
    )


def test_the_period_filter_is_found_on_the_lists():
    assert {"/api/orders/", "/api/carts/", "/api/leads/", "/api/customers/", "/api/orders/export/"} <= set(
        period_operations()
    )


OUT_OF_RANGE = [
    ("America/Sao_Paulo", "until=9999-12-31"),  # the day after does not exist
    ("Asia/Tokyo", "since=0001-01-01"),  # its midnight is in year 0 in UTC
    ("America/Sao_Paulo", "since=9999-12-31&until=9999-12-31"),
]


@pytest.mark.parametrize("path", period_operations())
def test_days_beyond_the_representable_range_are_a_400(api_client_a, company_a, path):
    for zone, query in OUT_OF_RANGE:
        Company.objects.filter(pk=company_a.pk).update(timezone=zone)

        response = api_client_a.get(f"{path}?{query}")

        assert response.status_code == 400, (query, response.content)
        assert set(response.json()) <= {"since", "until"}


@pytest.mark.parametrize("query", ["since=2026-02-30", "until=20261101", "since=%ED%A0%80"])
def test_malformed_days_are_a_400(api_client_a, query):
    assert api_client_a.get(f"/api/orders/?{query}").status_code == 400
