"""Merging two customers from the desk: every row follows (customers.services.customers_merge), then
the recovery matches are computed again, since one person's carts and orders now meet."""

from customers.models import Customer
from customers.services import customers_merge
from leads.recovery import recovery_refresh
from tenants.models import Company


def customers_merge_two(*, company: Company, customers: list[Customer]) -> tuple[Customer, dict[str, int]]:
    """Merge two customers of `company`: the older one (lower id) stays. ValueError unless exactly two."""
    if len(customers) != 2:
        raise ValueError("select exactly two customers")
    keep, gone = sorted(customers, key=lambda customer: customer.pk)
    moved = customers_merge(company=company, keep=keep, gone=gone)
    recovery_refresh(company)
    return keep, moved
