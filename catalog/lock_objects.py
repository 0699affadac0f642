"""Row locks of the catalog (conventions in `tenants.lock_objects`)."""

from django.db.models import QuerySet

from catalog.models import Product
from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import Company


def product_qs_select_for_update(*, company: Company | int | None = None) -> QuerySet[Product]:
    return company_owned_qs_select_for_update(Product, company=company)
