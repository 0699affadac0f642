"""Row locks of carts (conventions in `tenants.lock_objects`)."""

from django.db.models import QuerySet

from carts.models import Cart
from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import Company


def cart_qs_select_for_update(*, company: Company | int | None = None, skip_locked: bool = False) -> QuerySet[Cart]:
    return company_owned_qs_select_for_update(Cart, company=company, skip_locked=skip_locked)
