"""The static Pix confirmation as staff see it (issue 20): the board's "Pix recebido" button and the
order page's "Pix a confirmar" field, in a real Chromium; screenshots in var/test-screenshots/."""

from decimal import Decimal

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from conversations.models import Channel
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.tests.conftest import static_pix_order_place
from tenants.models import Membership
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.browser.driver import wait_until

SHOTS = settings.BASE_DIR / "var" / "test-screenshots"


@pytest.fixture
def waiting_pix(transactional_db):
    company = CompanyFactory(name="Pizzaria Alfa", slug="alfa")
    user = UserFactory(username="gerente")
    MembershipFactory(company=company, user=user, role=Membership.Role.MANAGER)
    customer = CustomerFactory(company=company, name="Maria")
    ConversationFactory(company=company, customer=customer, channel__status=Channel.Status.CONNECTED)
    order = static_pix_order_place(company, customer, price=Decimal("45.00"), merchant_name="Pizzaria Alfa")
    return user, order


def test_staff_confirm_a_static_pix_on_the_board_and_see_it_on_the_order_page(browser_login, waiting_pix):
    user, order = waiting_pix
    browser = browser_login(user)
    SHOTS.mkdir(parents=True, exist_ok=True)

    browser.get(f"{browser.live_server_url}/admin/orders/order/{order.pk}/change/")
    assert "Pix recebido: confirmar pagamento" in browser.page_source
    browser.save_screenshot(str(SHOTS / "static-pix-order-page.png"))

    browser.get(f"{browser.live_server_url}/admin/orders/order/board/")
    button = browser.find_element(By.CSS_SELECTOR, f'[data-order="{order.pk}"] .confirm-pix button')
    browser.save_screenshot(str(SHOTS / "static-pix-board.png"))
    button.click()

    wait_until(lambda: "confirmado" in browser.page_source, what="the confirmation message")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    browser.save_screenshot(str(SHOTS / "static-pix-board-confirmed.png"))
