"""Staff's simulator customers (console chat, the builder's preview) are tests: their orders,
conversations and messages are left out of the dashboard's figures, the exports and the flow
analytics by default."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from console.selectors import dashboard_figures
from conversations.tests.factories import ConversationFactory, MessageFactory
from customers.selectors import TEST_CUSTOMER_KEY
from customers.tests.factories import CustomerFactory
from flows.analytics import conversations_analytics
from orders.tests.factories import OrderFactory
from tenants.scoping import company_scope


def _shop(company):
    now = timezone.now()
    real = CustomerFactory(company=company, name="Maria", phone="+5511987654321")
    tester = CustomerFactory(company=company, name="Simulador", provider_contact_ids={TEST_CUSTOMER_KEY: "1"})
    for customer, total in ((real, "30.00"), (tester, "500.00")):
        OrderFactory(company=company, customer=customer, total=Decimal(total), status="confirmed", placed_at=now)
        MessageFactory(conversation=ConversationFactory(company=company, customer=customer))
    return now


def test_simulator_rows_are_absent_from_dashboard_figures(company_a):
    with company_scope(company_a):
        now = _shop(company_a)
        figures = dashboard_figures(company_a, now - timedelta(days=1), now + timedelta(days=1))

    assert (figures["orders"], figures["revenue"], figures["conversations"]) == (1, Decimal("30.00"), 1)
    assert figures["messages_in"] == 1


def test_simulator_rows_are_absent_from_exports(api_client_a, company_a):
    with company_scope(company_a):
        _shop(company_a)

    orders = api_client_a.get("/api/orders/export/?type=csv").content.decode()
    customers = api_client_a.get("/api/customers/export/?type=csv").content.decode()

    assert "Maria" in orders and "Simulador" not in orders and "500" not in orders
    assert "Maria" in customers and "Simulador" not in customers


def test_simulator_rows_are_absent_from_flow_analytics_unless_asked_for(api_client_a, company_a):
    with company_scope(company_a):
        now = _shop(company_a)
        with_tests = conversations_analytics(now=now, include_tests=True)

    body = api_client_a.get("/api/analytics/conversations/").json()

    assert sum(row["count"] for row in body["by_status"]) == 1
    assert sum(day["messages_count"] for day in body["daily_messages"]) == 1
    assert sum(row["count"] for row in with_tests["by_status"]) == 2
    asked = api_client_a.get("/api/analytics/conversations/?include_tests=true").json()
    assert sum(row["count"] for row in asked["by_status"]) == 2
