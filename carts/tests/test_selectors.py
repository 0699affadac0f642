"""The open cart beside a conversation in the staff inbox."""

from decimal import Decimal

import pytest
from django.urls import reverse

from carts.selectors import open_cart_panel_section
from carts.tests.factories import CartFactory, CartItemFactory
from orders.tests.conftest import conversation_a, customer_a, english  # noqa: F401 - fixtures
from tenants.scoping import company_scope

pytestmark = pytest.mark.usefixtures("english")


def test_open_cart_shows_its_items_and_total_linked_to_the_cart(company_a, conversation_a):  # noqa: F811
    with company_scope(company_a):
        cart = CartFactory(company=company_a, customer=conversation_a.customer)
        CartItemFactory(company=company_a, cart=cart, name="Margherita", unit_price=Decimal("40.00"), quantity=2)

        section = open_cart_panel_section(conversation_a)

    url = reverse("admin:carts_cart_change", args=[cart.pk])
    assert section.title == "Open cart"
    assert [(row.label, row.value, row.url) for row in section.rows[:1]] == [("2×", "Margherita", url)]
    assert section.rows[-1].label == "Total" and section.rows[-1].value.startswith("R$ 8")


def test_no_open_cart_says_so(company_a, conversation_a):  # noqa: F811
    with company_scope(company_a):
        CartFactory(company=company_a, customer=conversation_a.customer, status="checked_out")

        section = open_cart_panel_section(conversation_a)

    assert (section.rows, section.empty) == ([], "No open cart.")
