"""A customer's page lists their orders, carts, conversations and leads, each linking to the full list."""

from decimal import Decimal

from django.urls import reverse

from carts.tests.factories import CartFactory
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory
from leads.tests.factories import LeadFactory
from orders.tests.factories import OrderFactory


def test_the_customer_page_shows_what_the_person_has_with_the_shop(admin_client_a, company_a, company_b):
    maria = CustomerFactory(company=company_a, name="Maria")
    other = CustomerFactory(company=company_a, name="Outra")
    orders = [OrderFactory(company=company_a, customer=maria, total=Decimal("1234.50")) for _ in range(7)]
    OrderFactory(company=company_a, customer=other)
    cart = CartFactory(company=company_a, customer=maria)
    conversation = ConversationFactory(company=company_a, customer=maria)
    lead = LeadFactory(company=company_a, customer=maria, name="Maria do formulário")

    page = admin_client_a.get(reverse("admin:customers_customer_change", args=[maria.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("admin:orders_order_change", args=[orders[-1].pk]) in html
    assert reverse("admin:orders_order_change", args=[orders[0].pk]) not in html  # the latest five only
    assert "R$ 1.234,50" in html
    assert reverse("admin:carts_cart_change", args=[cart.pk]) in html
    assert reverse("admin:conversations_conversation_change", args=[conversation.pk]) in html
    assert reverse("admin:leads_lead_change", args=[lead.pk]) in html
    assert "Ver todos (7)" in html
    for changelist, count in (
        ("orders_order", 7),
        ("carts_cart", 1),
        ("conversations_conversation", 1),
        ("leads_lead", 1),
    ):
        listed = admin_client_a.get(reverse(f"admin:{changelist}_changelist"), {"customer__id__exact": maria.pk})
        assert listed.status_code == 200, changelist
        assert listed.context["cl"].result_count == count, changelist


def test_a_new_customer_has_no_related_lists_yet(admin_client_a, company_a):
    page = admin_client_a.get(reverse("admin:customers_customer_add"))

    assert page.status_code == 200
    assert "Ver todos" not in page.content.decode()
