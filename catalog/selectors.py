"""Reads of the catalog: what the bot lists and how a product is found."""

from catalog.models import DeliveryZone, Product
from tenants.models import Company


def products_for_sale(*, company: Company) -> list[Product]:
    """Active products of active (or no) categories, ordered by category then position."""
    return list(
        Product.objects.for_company(company)
        .filter(active=True)
        .exclude(category__active=False)
        .select_related("category")
        .order_by("category__position", "category__name", "position", "name", "id")
    )


def zones_active(*, company: Company) -> list[DeliveryZone]:
    return list(DeliveryZone.objects.for_company(company).filter(active=True).order_by("neighbourhood"))


def format_price(value) -> str:
    """R$ 1.234,50 — Brazilian money format."""
    text = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"
