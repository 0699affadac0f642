from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from carts.api.serializers import CartSerializer
from carts.models import Cart
from exports.api import PERIOD_PARAMETERS, ExportViewSetMixin, period_filter
from exports.writers import CART_MESSAGE, column
from tenants.api import CompanyScopedViewSetMixin


@extend_schema(parameters=PERIOD_PARAMETERS)
class CartViewSet(
    ExportViewSetMixin,  # export/?type=csv|xlsx|txt|whatsapp
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Carts (`?status=`, `?source=`, period by last activity); staff may toggle `email_sent` and `whatsapp_sent`."""

    model = Cart
    serializer_class = CartSerializer
    export_name = "carrinhos"
    export_phone_attr, export_name_attr, export_message = "customer__phone", "customer__name", CART_MESSAGE
    export_columns = (
        column("carrinho", "external_id"),
        column("nome", "customer__name"),
        column("telefone", "customer__phone"),
        column("origem", "source"),
        column("status", "status"),
        column("total", "external_total"),
        column("data", "last_activity_at"),
    )

    def scope_queryset(self, queryset):
        queryset = period_filter(self.request, queryset, "last_activity_at")
        queryset = queryset.select_related("customer").prefetch_related("items").order_by("-last_activity_at", "-id")
        for name in ("status", "source"):
            value = self.request.query_params.get(name)
            if value:
                queryset = queryset.filter(**{name: value})
        return queryset
