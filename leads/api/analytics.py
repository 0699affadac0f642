"""Recovery and lead figures for the company's dashboard: /api/analytics/recovery/ and /api/analytics/leads/."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from carts.models import Cart
from exports.api import EXPORT_PARAMETERS, PERIOD_PARAMETERS, export_from_request, period_bounds, period_filter
from exports.writers import CART_MESSAGE, column
from leads.models import Lead
from leads.recovery import RECOVERY_STATUSES, abandoned_carts, leads_summary, recovery_summary, with_recovery
from tenants.api import CompanyScopedViewSetMixin


class RecoverySerializer(serializers.Serializer):
    carts = serializers.IntegerField()
    recovered = serializers.IntegerField()
    waiting = serializers.IntegerField()
    abandoned = serializers.IntegerField()
    recovery_rate = serializers.FloatField()
    recovered_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    orders = serializers.IntegerField()
    average_ticket = serializers.DecimalField(max_digits=14, decimal_places=2)
    customers_with_orders = serializers.IntegerField()
    repeat_customers = serializers.IntegerField()
    average_days_between_orders = serializers.FloatField(allow_null=True)


class LeadFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    with_phone = serializers.IntegerField()
    already_customers = serializers.IntegerField()
    conversion_rate = serializers.FloatField()
    email_sent = serializers.IntegerField()
    whatsapp_sent = serializers.IntegerField()


CART_EXPORT_COLUMNS = (
    column("carrinho", "external_id"),
    column("nome", "customer__name"),
    column("telefone", "customer__phone"),
    column("email", "customer__email"),
    column("total", "external_total"),
    column("data", "last_activity_at"),
    column("recuperação", "recovery_status"),
    column("email enviado", "email_sent"),
    column("whatsapp enviado", "whatsapp_sent"),
)


class RecoveryAnalyticsViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """Recovery of imported abandoned carts in the period (by cart time; orders by placed time)."""

    model = Cart
    serializer_class = RecoverySerializer

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: RecoverySerializer})
    def list(self, request):
        start, end = period_bounds(request)
        return Response(RecoverySerializer(recovery_summary(request.company, start, end)).data)

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            *EXPORT_PARAMETERS,
            OpenApiParameter("status", str, enum=[*RECOVERY_STATUSES]),
        ],
        responses={200: bytes},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The period's abandoned carts with their recovery status, as csv|xlsx|txt|whatsapp (?status= to narrow)."""
        status = request.query_params.get("status")
        if status and status not in RECOVERY_STATUSES:
            raise ValidationError({"status": f"Use one of {', '.join(RECOVERY_STATUSES)}."})
        carts = period_filter(request, abandoned_carts(request.company).select_related("customer"), "last_activity_at")
        carts = with_recovery(carts, request.company).order_by("-last_activity_at", "-id")
        if status:
            carts = carts.filter(recovery_status=status)
        return export_from_request(
            request,
            carts,
            CART_EXPORT_COLUMNS,
            name="carrinhos-abandonados",
            phone_attr="customer__phone",
            name_attr="customer__name",
            default_message=CART_MESSAGE,
        )


class LeadAnalyticsViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """Lead figures in the period (by submission time), incl. how many are already customers."""

    model = Lead
    serializer_class = LeadFiguresSerializer

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: LeadFiguresSerializer})
    def list(self, request):
        start, end = period_bounds(request)
        return Response(LeadFiguresSerializer(leads_summary(request.company, start, end)).data)
