"""The demo pizzeria's menu, delivery zones, default fee and static Pix key. Idempotent."""

from decimal import Decimal

from catalog.models import Category, DeliveryZone, Product
from catalog.services import default_delivery_fee_set, stock_set
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tenants.services import company_setting_set

MENU = {
    "Pizzas": [
        ("Pizza Margherita", "45.00", 20),
        ("Pizza de Calabresa", "42.00", 20),
        ("Pizza Portuguesa", "48.00", 15),
        ("Pizza Quatro Queijos", "50.00", 10),
    ],
    "Bebidas": [("Coca-Cola 2L", "12.00", 30), ("Guaraná Antarctica 2L", "10.00", 30)],
}
ZONES = [("Centro", "5.00"), ("Jardim América", "7.00"), ("Vila Nova", "9.00")]


def load(company) -> None:
    with company_scope(company):
        for position, (category_name, products) in enumerate(MENU.items()):
            category, _ = Category.objects.get_or_create(
                company=company, name=category_name, defaults={"position": position}
            )
            for index, (name, price, stock) in enumerate(products):
                product, created = Product.objects.get_or_create(
                    company=company,
                    name=name,
                    defaults={"category": category, "price": Decimal(price), "position": index},
                )
                if created:
                    stock_set(product=product, quantity=stock, reference="demo")
        for neighbourhood, fee in ZONES:
            DeliveryZone.objects.get_or_create(
                company=company, neighbourhood=neighbourhood, defaults={"fee": Decimal(fee)}
            )
        default_delivery_fee_set(company=company, fee=Decimal("10.00"))
        for key, value in (
            ("pix_key", "pix@pizzaria-demo.com.br"),
            ("pix_merchant_name", company.name),
            ("pix_merchant_city", "São Paulo"),
        ):
            company_setting_set(company=company, key=key, value=value, value_type=CompanySetting.ValueType.STRING)
