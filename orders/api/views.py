from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from exports.api import PERIOD_PARAMETERS, ExportViewSetMixin, period_filter
from exports.writers import column
from orders.api.serializers import OrderSerializer, OrderTransitionInputSerializer
from orders.models import Order
from orders.services import InvalidTransition, order_transition
from tenants.api import CompanyScopedViewSetMixin


@extend_schema(parameters=PERIOD_PARAMETERS)
class OrderViewSet(
    ExportViewSetMixin,  # export/?type=csv|xlsx|txt|whatsapp
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Orders (`?status=`, period by placed time). `POST /api/orders/<id>/transition/ {"status": ...}` advances one."""

    model = Order
    serializer_class = OrderSerializer
    export_name = "pedidos"
    export_phone_attr, export_name_attr = "customer__phone", "customer__name"
    export_columns = (
        column("pedido", "id"),
        column("externo", "external_id"),
        column("nome", "customer__name"),
        column("telefone", "customer__phone"),
        column("origem", "source"),
        column("status", "status"),
        column("total", "total"),
        column("feito em", "placed_at"),
    )

    def scope_queryset(self, queryset):
        queryset = period_filter(self.request, queryset, "placed_at")
        queryset = (
            queryset.select_related("customer").prefetch_related("items", "payments").order_by("-created_at", "-id")
        )
        status = self.request.query_params.get("status")
        return queryset.filter(status=status) if status else queryset

    @extend_schema(request=OrderTransitionInputSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        order = self.get_object()
        data = OrderTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            order_transition(order=order, to=data.validated_data["status"])
        except InvalidTransition as exc:
            raise ValidationError({"status": f"Not allowed: {exc}"}) from exc
        return Response(OrderSerializer(self.get_object(), context=self.get_serializer_context()).data)
