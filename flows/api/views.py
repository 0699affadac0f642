"""The flows management API (seed 004 routes), company-scoped by the mixin."""

from django.db.models import Count
from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from conversations.models import Conversation
from flows.analytics import conversations_analytics, files_analytics
from flows.api.serializers import (
    FlowMessageSerializer,
    FlowSerializer,
    FlowSimulateInputSerializer,
    FlowTemplateSerializer,
    SubflowSerializer,
)
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from flows.services import flow_simulate, flow_template_export, flow_template_import
from flows.services.transfer import FlowTemplateDocumentSerializer
from tenants.api import CompanyScopedViewSetMixin


class _CrudViewSet(
    CompanyScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    pass


class _NestedListViewSet(CompanyScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list under a parent (`parent_model`, URL kwarg `parent_kwarg`); a foreign parent is a 404."""

    parent_model: type
    parent_kwarg: str
    parent_field: str

    def scope_queryset(self, queryset):
        parent_id = self.kwargs[self.parent_kwarg]
        if not self.parent_model.objects.filter(pk=parent_id).exists():
            raise NotFound()
        return self.annotate(queryset.filter(**{self.parent_field: parent_id}))

    def annotate(self, queryset):
        return queryset


class FlowTemplateViewSet(_CrudViewSet):
    model = FlowTemplate
    serializer_class = FlowTemplateSerializer

    def scope_queryset(self, queryset):
        return queryset.annotate(flows_count=Count("flows")).order_by("-created_at", "-id")


class FlowViewSet(_CrudViewSet):
    model = Flow
    serializer_class = FlowSerializer

    def scope_queryset(self, queryset):
        return queryset.annotate(subflows_count=Count("subflows")).order_by("template_id", "order_index", "id")

    @action(detail=False, methods=["post"], serializer_class=FlowSimulateInputSerializer)
    def simulate(self, request):
        """Play a list of inputs through a template as a new customer; nothing is written or sent."""
        serializer = FlowSimulateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        turns = flow_simulate(
            template_id=serializer.validated_data["template"].pk, inputs=serializer.validated_data["inputs"]
        )
        return Response({"turns": turns})


class SubflowViewSet(_CrudViewSet):
    model = Subflow
    serializer_class = SubflowSerializer

    def scope_queryset(self, queryset):
        return queryset.annotate(messages_count=Count("messages")).order_by("flow_id", "order_index", "id")


class FlowMessageViewSet(_CrudViewSet):
    model = FlowMessage
    serializer_class = FlowMessageSerializer


class TemplateFlowViewSet(_NestedListViewSet):
    """GET /api/templates/<template_id>/flows/"""

    model = Flow
    serializer_class = FlowSerializer
    parent_model, parent_kwarg, parent_field = FlowTemplate, "template_id", "template_id"

    def annotate(self, queryset):
        return queryset.annotate(subflows_count=Count("subflows")).order_by("order_index", "id")


class FlowSubflowViewSet(_NestedListViewSet):
    """GET /api/flows/<flow_id>/subflows/"""

    model = Subflow
    serializer_class = SubflowSerializer
    parent_model, parent_kwarg, parent_field = Flow, "flow_id", "flow_id"

    def annotate(self, queryset):
        return queryset.annotate(messages_count=Count("messages")).order_by("order_index", "id")


class SubflowMessageViewSet(_NestedListViewSet):
    """GET /api/subflows/<subflow_id>/messages/"""

    model = FlowMessage
    serializer_class = FlowMessageSerializer
    parent_model, parent_kwarg, parent_field = Subflow, "subflow_id", "subflow_id"

    def annotate(self, queryset):
        return queryset.order_by("order_index", "id")


class FlowExportViewSet(CompanyScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """GET /api/export/flows/<template_id>/: the versioned JSON document of a whole template."""

    model = FlowTemplate
    serializer_class = FlowTemplateDocumentSerializer

    def retrieve(self, request, *args, **kwargs):
        return Response(flow_template_export(template=self.get_object()))


class FlowImportViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """POST /api/import/flows/: create "Imported - <name>" from a document, all or nothing."""

    model = FlowTemplate
    serializer_class = FlowTemplateDocumentSerializer

    def create(self, request, *args, **kwargs):
        template = flow_template_import(document=request.data)
        return Response({"id": template.pk, "name": template.name}, status=status.HTTP_201_CREATED)


class AnalyticsWindowSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=365, default=30)


class FlowAnalyticsViewSet(CompanyScopedViewSetMixin, viewsets.GenericViewSet):
    """GET /api/analytics/conversations/ and /api/analytics/files/ (?days=30)."""

    model = Conversation
    serializer_class = AnalyticsWindowSerializer

    def _window(self, request) -> dict:
        params = AnalyticsWindowSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return {"now": timezone.now(), "days": params.validated_data["days"], "timezone_name": request.company.timezone}

    @action(detail=False, methods=["get"])
    def conversations(self, request):
        return Response(conversations_analytics(**self._window(request)))

    @action(detail=False, methods=["get"])
    def files(self, request):
        return Response(files_analytics(**self._window(request)))
