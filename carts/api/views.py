from rest_framework import mixins, viewsets

from carts.api.serializers import CartSerializer
from carts.models import Cart
from tenants.api import CompanyScopedViewSetMixin


class CartViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Carts (`?status=`, `?source=`); staff may toggle `email_sent` and `whatsapp_sent`."""

    model = Cart
    serializer_class = CartSerializer

    def scope_queryset(self, queryset):
        queryset = queryset.prefetch_related("items").order_by("-last_activity_at", "-id")
        for name in ("status", "source"):
            value = self.request.query_params.get(name)
            if value:
                queryset = queryset.filter(**{name: value})
        return queryset
