"""The flows management API, company-scoped by the mixin."""

from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from conversations.models import Conversation
from flows.analytics import conversations_analytics, files_analytics, template_node_analytics
from flows.api.serializers import (
    FlowMessageSerializer,
    FlowRunInputSerializer,
    FlowSerializer,
    FlowSimulateInputSerializer,
    FlowTemplateSerializer,
    FlowVersionSerializer,
    SimulateVersionSerializer,
    SubflowSerializer,
)
from flows.models import Flow, FlowMessage, FlowTemplate, FlowVersion, Subflow
from flows.services import flow_simulate, flow_template_export, flow_template_import, flow_template_publish
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


class NodeAnalyticsQuerySerializer(serializers.Serializer):
    version = serializers.RegexField(
        r"^(draft|[1-9][0-9]{0,8})$",
        required=False,
        help_text="draft or a published number (default: the published one).",
    )
    include_tests = serializers.BooleanField(default=False, help_text="Count staff's simulator conversations.")


class FlowTemplateAnalyticsViewSetMixin:
    @extend_schema(parameters=[NodeAnalyticsQuerySerializer])
    @action(detail=True, methods=["get"], serializer_class=NodeAnalyticsQuerySerializer)
    def analytics(self, request, pk=None):
        """Per subflow of a version: conversations that reached it and stopped there, and the
        conversion from the start to an order (the graph's figures)."""
        template = self.get_object()
        params = NodeAnalyticsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        raw = params.validated_data.get("version")
        version = None if raw == "draft" else int(raw) if raw else (template.published_version or None)
        return Response(
            template_node_analytics(
                template_id=template.pk, version=version, include_tests=params.validated_data["include_tests"]
            )
        )


class FlowTemplateViewSet(FlowTemplateAnalyticsViewSetMixin, _CrudViewSet):
    model = FlowTemplate
    serializer_class = FlowTemplateSerializer

    def scope_queryset(self, queryset):
        return queryset.annotate(flows_count=Count("flows")).order_by("-created_at", "-id")

    @action(detail=True, methods=["post"], serializer_class=FlowVersionSerializer)
    def publish(self, request, pk=None):
        """Publish the draft as the next version (atomic); conversations in progress keep theirs."""
        version = flow_template_publish(template=self.get_object(), published_by=request.user.get_username())
        return Response(FlowVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], serializer_class=FlowVersionSerializer)
    def versions(self, request, pk=None):
        """The template's published versions, newest first."""
        template = self.get_object()
        versions = FlowVersion.objects.filter(template=template).order_by("-number")
        return Response(FlowVersionSerializer(versions, many=True).data)


class FlowViewSet(_CrudViewSet):
    model = Flow
    serializer_class = FlowSerializer

    def scope_queryset(self, queryset):
        return queryset.annotate(subflows_count=Count("subflows")).order_by("template_id", "order_index", "id")

    # Both simulate actions sit at .../simulate/: distinct operation ids keep generated clients stable.
    @extend_schema(operation_id="flows_simulate_template")
    @action(detail=False, methods=["post"], serializer_class=FlowSimulateInputSerializer)
    def simulate(self, request):
        """Play a list of inputs through a template as a new customer; nothing is written or sent."""
        serializer = FlowSimulateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        turns = flow_simulate(
            template_id=serializer.validated_data["template"].pk, inputs=serializer.validated_data["inputs"]
        )
        return Response({"turns": turns})

    @extend_schema(operation_id="flows_simulate_flow")
    @action(
        detail=True,
        methods=["post"],
        url_path="simulate",
        url_name="simulate-flow",
        serializer_class=FlowRunInputSerializer,
    )
    def simulate_flow(self, request, pk=None):
        """Play inputs through this flow's template, starting at this flow: the draft, or the
        published version with `?version=published`. Nothing is written or sent."""
        flow = self.get_object()
        query = SimulateVersionSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        body = FlowRunInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = None
        if query.validated_data["version"] == "published":
            version = flow.template.published_version or None
            if version is None:
                raise ValidationError({"version": ["This template has not been published yet."]})
        turns = flow_simulate(
            template_id=flow.template_id,
            inputs=body.validated_data["inputs"],
            version=version,
            start_flow_id=flow.pk,
        )
        last = turns[-1] if turns else {"replies": [], "step": None, "variables": {}, "completed": False}
        return Response(
            {
                "version": version if version is not None else "draft",
                "replies": last["replies"],
                "current_step": last["step"],
                "variables": last["variables"],
                "completed": last["completed"],
                "turns": turns,
            }
        )


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
    include_tests = serializers.BooleanField(
        default=False, help_text="Count staff's simulator conversations (left out by default)."
    )


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
        params = AnalyticsWindowSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            conversations_analytics(**self._window(request), include_tests=params.validated_data["include_tests"])
        )

    @action(detail=False, methods=["get"])
    def files(self, request):
        return Response(files_analytics(**self._window(request)))
