from decimal import Decimal

import factory

from catalog.models import Category, DeliveryZone, Product
from tenants.tests.factories import CompanyOwnedFactory


class CategoryFactory(CompanyOwnedFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Categoria {n}")


class ProductFactory(CompanyOwnedFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory, company=factory.SelfAttribute("..company"))
    name = factory.Sequence(lambda n: f"Produto {n}")
    price = Decimal("40.00")
    stock = None


class DeliveryZoneFactory(CompanyOwnedFactory):
    class Meta:
        model = DeliveryZone

    neighbourhood = factory.Sequence(lambda n: f"Bairro {n}")
    fee = Decimal("5.00")
