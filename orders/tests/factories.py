from decimal import Decimal

import factory

from customers.tests.factories import CustomerFactory
from orders.models import Order, OrderItem, Payment
from tenants.tests.factories import CompanyOwnedFactory


class OrderFactory(CompanyOwnedFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))
    total = Decimal("10.00")


class OrderItemFactory(CompanyOwnedFactory):
    class Meta:
        model = OrderItem

    company = factory.SelfAttribute("order.company")
    order = factory.SubFactory(OrderFactory)
    name = factory.Sequence(lambda n: f"Item {n}")
    quantity = 1
    unit_price = Decimal("10.00")
    total = factory.LazyAttribute(lambda item: item.unit_price * item.quantity)


class PaymentFactory(CompanyOwnedFactory):
    """A pending Mercado Pago Pix charge of the whole `order`, in its company."""

    class Meta:
        model = Payment

    company = factory.SelfAttribute("order.company")
    order = factory.SubFactory(OrderFactory)
    provider = Payment.Provider.MERCADOPAGO
    amount = factory.SelfAttribute("order.total")
