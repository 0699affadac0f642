"""`GET /api/dashboard/?period=today|7d|30d|custom&since=&until=`: the dashboard's figures, the admin
lists behind them, and the chart series — the same read as the dashboard page."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from console.dashboard import dashboard_read
from console.periods import PERIOD_CHOICES, PeriodError, period_parse
from orders.models import Order
from tenants.api import CompanyScopedViewSetMixin

MONEY = {"max_digits": 14, "decimal_places": 2}


class DashboardPeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class DashboardFiguresSerializer(serializers.Serializer):
    conversations = serializers.IntegerField()
    messages_in = serializers.IntegerField()
    messages_out = serializers.IntegerField()
    failed_outbound = serializers.IntegerField()
    waiting_for_human = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)
    average_ticket = serializers.DecimalField(**MONEY)
    pix_pending = serializers.IntegerField()
    pix_pending_amount = serializers.DecimalField(**MONEY)
    pix_paid = serializers.IntegerField()
    pix_paid_amount = serializers.DecimalField(**MONEY)
    bot_carts_abandoned = serializers.IntegerField()
    bot_carts_recovered = serializers.IntegerField()
    bot_recovery_rate = serializers.FloatField()
    bot_recovered_revenue = serializers.DecimalField(**MONEY)
    woo_carts_abandoned = serializers.IntegerField()
    woo_carts_recovered = serializers.IntegerField()
    woo_recovery_rate = serializers.FloatField()
    woo_recovered_revenue = serializers.DecimalField(**MONEY)
    leads = serializers.IntegerField()
    leads_customers = serializers.IntegerField()
    ingest_lag_seconds = serializers.IntegerField()


class DashboardMessagesDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    messages_in = serializers.IntegerField()
    messages_out = serializers.IntegerField()


class DashboardOrdersDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)


class DashboardProductSerializer(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)


class DashboardChartsSerializer(serializers.Serializer):
    messages_per_day = DashboardMessagesDaySerializer(many=True)
    orders_per_day = DashboardOrdersDaySerializer(many=True)
    top_products = DashboardProductSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    period = DashboardPeriodSerializer()
    figures = DashboardFiguresSerializer()
    links = serializers.DictField(child=serializers.CharField(), help_text="figure key -> admin list URL")
    charts = DashboardChartsSerializer()


class DashboardViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """The company's dashboard for a period, in its time zone (default: the last 7 days)."""

    model = Order
    serializer_class = DashboardSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=[key for key, _label in PERIOD_CHOICES]),
            OpenApiParameter("since", str, description="YYYY-MM-DD (custom), the company's local day, included"),
            OpenApiParameter("until", str, description="YYYY-MM-DD (custom), included"),
        ],
        responses={200: DashboardSerializer},
    )
    def list(self, request):
        try:
            period = period_parse(request.query_params, request.company.timezone)
        except PeriodError as exc:
            raise ValidationError({exc.field: str(exc)}) from exc
        return Response(DashboardSerializer(dashboard_read(request.company, period)).data)
