"""A NUL byte in a URL (path or query string) is a 400 before any lookup can hit PostgreSQL."""

import pytest

from orders.models import Order


@pytest.mark.parametrize(
    "url",
    [
        "/webhook/ab%00cd/",
        "/webhook/mercadopago/ab%00cd/",
        "/webhook/ab%00cd",
        "/api/orders/?status=%00",
        "/api/settings/a%00b/",
        "/admin/orders/order/1%00/change/",
        "/cron/reset-states?x=%00",
    ],
)
def test_nul_in_the_address_is_a_400(admin_client_a, url):
    for method in ("get", "post"):
        response = getattr(admin_client_a, method)(url)

        assert response.status_code == 400, (method, url, response.status_code)


def test_nul_in_an_api_query_filter_changes_nothing(api_client_a, company_a):
    assert api_client_a.get("/api/carts/?source=%00").status_code == 400
    assert Order.objects.for_company(company_a).count() == 0
