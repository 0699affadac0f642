"""The recovery desk's staff pages (issue 21) in the browser: a customer with several identities, the
lead list's "already a customer" column, the imported-cart list with recovery and the recovering order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts.models import Cart
from customers.services import Person, customers_resolve
from leads.models import Lead
from leads.recovery import recovery_refresh
from orders.models import Order
from tests.browser.plugin import SCREENSHOT_DIR

pytestmark = pytest.mark.browser


def shot(browser, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT_DIR / f"recovery-{name}.png"))


def test_customer_identities_lead_flag_and_cart_recovery_pages(browser_login, manager_a, company_a):
    people = [Person(name="Ana Souza", phone_raw="(11) 98765-4321", email="ana@example.com"),
              Person(name="Ana Souza", phone_raw="(21) 99876-5432", email="ana@example.com"),
              Person(name="Bia", phone_raw="(31) 99876-5432", email="nao tenho")]  # fmt: skip
    ana, _, bia = customers_resolve(company=company_a, people=people)[0]
    now = timezone.now()
    leads = Lead.objects.for_company(company_a)
    leads.create(company=company_a, customer=ana, external_id="1", name="Ana Souza", phone=ana.phone, submitted_at=now)
    leads.create(company=company_a, customer=bia, external_id="2", name="Bia", email="nao tenho", submitted_at=now)
    order = Order.objects.for_company(company_a).create(
        company=company_a, customer=ana, source="woocommerce", external_id="101", status="completed",
        external_status="completed", placed_at=now - timedelta(days=39), total=Decimal("359.70"),
    )  # fmt: skip
    for external_id, person in (("sessao-ana", ana), ("sessao-bia", bia)):
        Cart.objects.for_company(company_a).create(
            company=company_a, customer=person, source="woocommerce", external_id=external_id, status="abandoned",
            external_status="abandoned", last_activity_at=now - timedelta(days=40), external_total=Decimal("359.70"),
        )  # fmt: skip
    recovery_refresh(company_a)
    browser = browser_login(manager_a)

    browser.get(f"{browser.live_server_url}/admin/customers/customer/{ana.pk}/change/")
    shot(browser, "customer")
    page = browser.page_source
    assert "+5521998765432" in page and "ana@example.com" in page

    browser.get(f"{browser.live_server_url}/admin/leads/lead/")
    shot(browser, "leads")
    assert "já é cliente" in browser.page_source.lower()

    browser.get(f"{browser.live_server_url}/admin/leads/importedcart/")
    shot(browser, "carts")
    page = browser.page_source
    assert "sessao-ana" in page and order.number in page  # "Woo #101"
