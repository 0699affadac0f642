"""The customer's last orders beside a conversation in the staff inbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.selectors import LAST_ORDERS, last_orders_panel_section
from tenants.scoping import company_scope

pytestmark = pytest.mark.usefixtures("english")


def test_last_orders_newest_first_with_status_total_and_link(company_a, conversation_a):
    now = timezone.now()
    with company_scope(company_a):
        orders = [
            Order.objects.create(
                company=company_a,
                customer=conversation_a.customer,
                status="paid",
                total=Decimal("10.00") * (n + 1),
                placed_at=now - timedelta(days=n),
            )
            for n in range(LAST_ORDERS + 1)
        ]
        Order.objects.create(company=company_a, customer=CustomerFactory(company=company_a), total=1, placed_at=now)

        section = last_orders_panel_section(conversation_a)

    assert [row.url for row in section.rows] == [
        reverse("admin:orders_order_change", args=[order.pk]) for order in orders[:LAST_ORDERS]
    ]
    assert section.rows[0].value == "Paid · R$ 10.00"


def test_a_customer_without_orders_sees_none(company_a, conversation_a):
    with company_scope(company_a):
        section = last_orders_panel_section(conversation_a)

    assert (section.rows, section.empty) == ([], "No orders yet.")
