from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from carts.api.serializers import CartSerializer
from carts.models import Cart
from carts.selectors import RECOVERED, RECOVERY_STATUSES, filter_recovery_status, recovery_status_expression
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
    """Carts (`?status=`, `?source=`, `?recovery=recovered|waiting|abandoned`, period by last activity);
    staff may toggle `email_sent` and `whatsapp_sent`. `?status=recovered` is the recovered figure's
    rows: carts recovery matched to an order and those the store's plugin saw bought; each imported cart
    shows its `recovery_status` and `recovery_order`."""

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
        queryset = queryset.annotate(recovery_status=recovery_status_expression())
        params = self.request.query_params
        recovery = params.get("recovery") or (RECOVERED if params.get("status") == RECOVERED else None)
        if recovery:
            if recovery not in RECOVERY_STATUSES:
                raise ValidationError({"recovery": f"Use one of {', '.join(RECOVERY_STATUSES)}."})
            queryset = filter_recovery_status(queryset, recovery)
        for name in ("status", "source"):
            value = params.get(name)
            if value and not (name == "status" and value == RECOVERED):
                queryset = queryset.filter(**{name: value})
        return queryset
