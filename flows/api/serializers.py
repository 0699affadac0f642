from rest_framework import serializers

from flows import actions
from flows.models import Flow, FlowMessage, FlowTemplate, FlowVersion, Subflow
from tenants.api import CompanyRelatedField, CompanyScopedModelSerializer


class FlowTemplateSerializer(CompanyScopedModelSerializer):
    flows_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FlowTemplate
        fields = (
            "id",
            "name",
            "description",
            "is_active",
            "published_version",
            "flows_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("published_version", "created_at", "updated_at")


class FlowSerializer(CompanyScopedModelSerializer):
    subflows_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Flow
        fields = (
            "id",
            "template",
            "name",
            "description",
            "is_default",
            "is_active",
            "order_index",
            "subflows_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")


class SubflowSerializer(CompanyScopedModelSerializer):
    trigger_keywords = serializers.ListField(
        child=serializers.CharField(max_length=100, trim_whitespace=True), required=False, max_length=50
    )
    messages_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Subflow
        fields = (
            "id",
            "flow",
            "name",
            "description",
            "parent_subflow",
            "trigger_keywords",
            "order_index",
            "is_active",
            "messages_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    def validate(self, attrs):
        flow = attrs.get("flow", getattr(self.instance, "flow", None))
        parent = attrs.get("parent_subflow", getattr(self.instance, "parent_subflow", None))
        if parent is not None:
            if self.instance is not None and parent.pk == self.instance.pk:
                raise serializers.ValidationError({"parent_subflow": ["A subflow cannot return to itself."]})
            if flow is not None and parent.flow_id != flow.pk:
                raise serializers.ValidationError({"parent_subflow": ["Choose a subflow of the same flow."]})
        return attrs


class FlowMessageSerializer(CompanyScopedModelSerializer):
    expected_file_types = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )

    class Meta:
        model = FlowMessage
        fields = (
            "id",
            "subflow",
            "message_text",
            "message_type",
            "order_index",
            "wait_for_response",
            "wait_for_file",
            "expected_file_types",
            "delay_seconds",
            "is_active",
            "save_reply_as",
            "action",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    def validate_action(self, value: str) -> str:
        if value and actions.get(value) is None:
            known = ", ".join(actions.registered_names()) or "-"
            raise serializers.ValidationError(f"Unknown action '{value}'. Registered: {known}.")
        return value


class FlowVersionSerializer(CompanyScopedModelSerializer):
    class Meta:
        model = FlowVersion
        fields = ("id", "template", "number", "published_at", "published_by", "document")
        read_only_fields = fields


class FlowRunInputSerializer(serializers.Serializer):
    """What a simulation plays: customer messages, strings or {"text", "document": {"mime", "name"}}."""

    inputs = serializers.ListField(child=serializers.JSONField(), max_length=100)

    def validate_inputs(self, inputs):
        for index, item in enumerate(inputs):
            if isinstance(item, str):
                continue
            document = item.get("document") if isinstance(item, dict) else None
            if not isinstance(item, dict) or (document is not None and not isinstance(document, dict)):
                raise serializers.ValidationError(f'Item {index}: a string or {{"text", "document"}}.')
        return inputs


class FlowSimulateInputSerializer(FlowRunInputSerializer):
    template = CompanyRelatedField(queryset=FlowTemplate.objects.none())


class SimulateVersionSerializer(serializers.Serializer):
    version = serializers.ChoiceField(choices=["draft", "published"], default="draft")
