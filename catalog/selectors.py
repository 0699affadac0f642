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


def products_for_sale_by_sku(*, company: Company, skus) -> dict[str, Product]:
    """The products for sale among `skus` (a Meta catalog's retailer ids), by SKU: one indexed query
    (the unique company + SKU constraint), whatever the size of the catalog."""
    return {
        product.sku: product
        for product in Product.objects.for_company(company)
        .filter(active=True, sku__in=[sku for sku in skus if sku])
        .exclude(category__active=False)
        .select_related("category")
    }


def zones_active(*, company: Company) -> list[DeliveryZone]:
    return list(DeliveryZone.objects.for_company(company).filter(active=True).order_by("neighbourhood"))


def format_price(value) -> str:
    """R$ 1.234,50 — Brazilian money format."""
    text = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"
