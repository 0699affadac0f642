"""Row locks of orders and payments (conventions in `tenants.lock_objects`)."""

from django.db.models import QuerySet

from orders.models import Order, Payment
from tenants.lock_objects import company_owned_qs_select_for_update
from tenants.models import Company


def order_qs_select_for_update(*, company: Company | int | None = None, skip_locked: bool = False) -> QuerySet[Order]:
    return company_owned_qs_select_for_update(Order, company=company, skip_locked=skip_locked)


def payment_qs_select_for_update(
    *, company: Company | int | None = None, skip_locked: bool = False
) -> QuerySet[Payment]:
    return company_owned_qs_select_for_update(Payment, company=company, skip_locked=skip_locked)
