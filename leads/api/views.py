from django.db.models import Count
from django.db.models.functions import TruncDate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.models import Customer
from exports.api import PERIOD_PARAMETERS, ExportViewSetMixin, period_filter
from exports.writers import LEAD_MESSAGE, column
from leads.api.serializers import CustomerSerializer, LeadSerializer
from leads.models import Lead
from leads.recovery import leads_with_customer_flag
from leads.selectors import FormVibesKeysUnavailable, formvibes_keys_found
from tenants.api import CompanyScopedViewSetMixin


@extend_schema(parameters=PERIOD_PARAMETERS)
class CustomerViewSet(
    ExportViewSetMixin,
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Customers (period: when they became known). `export/?type=csv|xlsx|txt|whatsapp`."""

    model = Customer
    serializer_class = CustomerSerializer
    export_name = "clientes"
    export_columns = (
        column("nome", "name"),
        column("telefone", "phone"),
        column("email", "email"),
        column("desde", "created_at"),
    )

    def scope_queryset(self, queryset):
        return period_filter(self.request, queryset, "created_at").order_by("-created_at", "-id")


class FormVibesKeysSerializer(serializers.Serializer):
    keys = serializers.ListField(child=serializers.CharField())
    error = serializers.CharField()


class FormVibesKeysViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """GET /api/formvibes-keys/: the Form Vibes field keys found in the company's WordPress database,
    for the settings form's key picker. `keys` is empty and `error` says why when the source is not
    configured or cannot be read."""

    model = Lead
    serializer_class = FormVibesKeysSerializer

    @extend_schema(responses={200: FormVibesKeysSerializer})
    def list(self, request):
        try:
            return Response({"keys": formvibes_keys_found(request.company), "error": ""})
        except FormVibesKeysUnavailable as exc:
            return Response({"keys": [], "error": str(exc)})


@extend_schema(parameters=PERIOD_PARAMETERS)
class LeadViewSet(
    ExportViewSetMixin,
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Leads (period: submission time; `?already_customer=true|false`: the person has a completed order,
    shown as `is_customer`); staff may toggle `email_sent` and `whatsapp_sent`.
    `export/?type=csv|xlsx|txt|whatsapp`."""

    model = Lead
    serializer_class = LeadSerializer
    export_name = "leads"
    export_message = LEAD_MESSAGE
    export_columns = (
        column("nome", "name"),
        column("telefone", "phone"),
        column("email", "email"),
        column("tamanho", "size"),
        column("enviado em", "submitted_at"),
    )

    def scope_queryset(self, queryset):
        queryset = period_filter(self.request, queryset, "submitted_at").order_by("-submitted_at", "-id")
        queryset = leads_with_customer_flag(queryset, self.request.company)
        flag = self.request.query_params.get("already_customer")
        if flag is not None:
            if flag not in ("true", "false"):
                raise ValidationError({"already_customer": "Use true or false."})
            queryset = queryset.filter(is_customer=flag == "true")
        return queryset

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
