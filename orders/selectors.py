"""Reads of orders: nested child rows for serializers without touching the default manager unscoped."""


def children(obj, related_name: str, model):
    """`obj.<related_name>.all()` from the prefetch cache when the view prefetched it, else an
    explicit company query (reverse managers use the fail-closed manager, which needs a scope)."""
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if related_name in cache:
        return list(cache[related_name])
    field = obj._meta.get_field(related_name).field.name
    return list(model.objects.for_company(obj.company_id).filter(**{field: obj}).order_by("pk"))
