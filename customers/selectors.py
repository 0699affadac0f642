"""Reads of the customers app shared by the apps above it."""

from django.db.models import Q, QuerySet

# provider_contact_ids key marking a staff member's simulator customer (the console chat and the
# flow builder's preview). Only that service writes it: provider keys come from Provider, so no
# webhook can set it. Such customers and their rows are tests: dashboards, exports and analytics
# leave them out by default.
TEST_CUSTOMER_KEY = "simulator"


def test_customer_q(path: str = "") -> Q:
    """Rows whose customer (reached through `path`, e.g. "customer__"; "" for Customer itself) is a test one."""
    return Q(**{f"{path}provider_contact_ids__has_key": TEST_CUSTOMER_KEY})


def without_test_customers(queryset: QuerySet) -> QuerySet:
    """`queryset` without test customers' rows, for a model that is Customer or has a `customer`
    (or `conversation.customer`) foreign key; unchanged for other models."""
    model = queryset.model
    if model._meta.label == "customers.Customer":
        return queryset.exclude(test_customer_q())
    names = {f.name for f in model._meta.get_fields()}
    if "customer" in names:
        return queryset.exclude(test_customer_q("customer__"))
    if "conversation" in names:
        return queryset.exclude(test_customer_q("conversation__customer__"))
    return queryset
