import factory

from customers.models import Customer
from tenants.tests.factories import CompanyOwnedFactory


class CustomerFactory(CompanyOwnedFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Cliente {n}")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")
