from decimal import Decimal

import pytest
from django.utils import translation

from catalog.tests.factories import ProductFactory
from conversations.models import Channel, Message
from conversations.tests.factories import ConversationFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order, Payment
from orders.payments import pix_charge_create
from orders.services import OrderLine, order_place
from tenants.services import company_setting_set


@pytest.fixture
def english():
    """Assert the English msgids whatever the compiled pt-BR catalog holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def customer_a(company_a):
    return CustomerFactory(company=company_a)


@pytest.fixture
def conversation_a(company_a, customer_a):
    return ConversationFactory(
        company=company_a, customer=customer_a, channel__name="principal", channel__status=Channel.Status.CONNECTED
    )


def outbound_texts(company) -> list[str]:
    return list(
        Message.objects.for_company(company)
        .filter(direction=Message.Direction.OUTBOUND)
        .order_by("id")
        .values_list("text", flat=True)
    )


def static_pix_order_place(company, customer, *, price: Decimal, merchant_name: str):
    """An order paid by static Pix (the key typed the usual way), waiting for staff to confirm it."""
    company_setting_set(company=company, key="pix_key", value="(11) 98765-4321")
    company_setting_set(company=company, key="pix_merchant_name", value=merchant_name)
    product = ProductFactory(company=company, price=price, stock=5)
    order = order_place(
        company=company, customer=customer, lines=[OrderLine(product, "Pizza", 1, product.price)], payment_method="pix"
    )
    assert pix_charge_create(order=order).provider == Payment.Provider.STATIC_PIX
    return Order.objects.for_company(company).get(pk=order.pk)
