import factory
from django.utils import timezone

from carts.models import Cart, CartItem
from customers.models import Customer
from tenants.tests.factories import CompanyOwnedFactory


class CustomerFactory(CompanyOwnedFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Cliente {n}")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")


class CartFactory(CompanyOwnedFactory):
    class Meta:
        model = Cart

    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))
    last_activity_at = factory.LazyFunction(timezone.now)


class CartItemFactory(CompanyOwnedFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory, company=factory.SelfAttribute("..company"))
    name = "Item"
    unit_price = 10
    quantity = 1
