from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from leads.api.serializers import CustomerSerializer, LeadSerializer
from leads.exports import FORMATS, column, export_response
from leads.models import Customer, Lead
from tenants.api import CompanyScopedViewSetMixin

PERIOD_PARAMETERS = [
    OpenApiParameter("since", str, description="YYYY-MM-DD, inclusive"),
    OpenApiParameter("until", str, description="YYYY-MM-DD, inclusive"),
]


def period_filter(request, queryset, field: str):
    """Narrow to ?since=YYYY-MM-DD&until=YYYY-MM-DD (inclusive, company local days); 400 on bad dates."""
    bounds = {}
    for name, lookup, shift in (("since", "gte", 0), ("until", "lt", 1)):
        raw = request.query_params.get(name)
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw) + timedelta(days=shift)
        except ValueError as exc:
            raise ValidationError({name: "Use YYYY-MM-DD."}) from exc
        bounds[f"{field}__{lookup}"] = timezone.make_aware(datetime.combine(day, time.min))
    return queryset.filter(**bounds)


@extend_schema(parameters=PERIOD_PARAMETERS)
class CustomerViewSet(
    CompanyScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Customer
    serializer_class = CustomerSerializer

    def scope_queryset(self, queryset):
        return period_filter(self.request, queryset, "created_at").order_by("-created_at", "-id")


@extend_schema(parameters=PERIOD_PARAMETERS)
class LeadViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Leads; staff may toggle `email_sent` and `whatsapp_sent`. `export/?type=csv|xlsx|txt|whatsapp`."""

    model = Lead
    serializer_class = LeadSerializer

    def scope_queryset(self, queryset):
        return period_filter(self.request, queryset, "submitted_at").order_by("-submitted_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("type", str, enum=list(FORMATS))], responses={200: bytes})
    @action(detail=False, methods=["get"])
    def export(self, request):
        fmt = request.query_params.get("type", "csv")
        if fmt not in FORMATS:
            raise ValidationError({"type": f"Use one of {', '.join(FORMATS)}."})
        columns = (
            column("nome", "name"),
            column("telefone", "phone"),
            column("email", "email"),
            column("tamanho", "size"),
            column("enviado em", "submitted_at"),
        )
        rows = self.filter_queryset(self.get_queryset())
        return export_response(rows, columns, fmt, name="leads", phone=lambda lead: lead.phone, message="")

    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Leads per day in the period, with how many have a usable phone."""
        rows = self.filter_queryset(self.get_queryset())
        per_day = rows.annotate(day=TruncDate("submitted_at")).values("day").annotate(total=Count("id")).order_by("day")
        return Response(
            {
                "total": rows.count(),
                "with_phone": rows.exclude(phone="").count(),
                "per_day": [{"day": r["day"], "total": r["total"]} for r in per_day],
            }
        )
