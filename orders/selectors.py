"""Reads of orders: nested child rows for serializers, and which orders count as placed in a period."""

from django.db.models import QuerySet

from orders.models import Order


def children(obj, related_name: str, model):
    """`obj.<related_name>.all()` from the prefetch cache when the view prefetched it, else an
    explicit company query (reverse managers use the fail-closed manager, which needs a scope)."""
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if related_name in cache:
        return list(cache[related_name])
    field = obj._meta.get_field(related_name).field.name
    return list(model.objects.for_company(obj.company_id).filter(**{field: obj}).order_by("pk"))


def orders_placed(company, start=None, end=None) -> QuerySet:
    """The company's orders placed in [start, end) (an open side when None) that were not cancelled:
    what "orders" and "revenue" count everywhere (dashboard, recovery figures)."""
    orders = Order.objects.for_company(company).exclude(status=Order.Status.CANCELLED).filter(placed_at__isnull=False)
    if start:
        orders = orders.filter(placed_at__gte=start)
    if end:
        orders = orders.filter(placed_at__lt=end)
    return orders
