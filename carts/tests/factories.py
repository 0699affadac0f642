import factory
from django.utils import timezone

from carts.models import Cart, CartItem
from customers.tests.factories import CustomerFactory
from tenants.tests.factories import CompanyOwnedFactory


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
