"""Export a whole template as a versioned JSON document, and import such a document.

The document carries no database ids: subflows are named by a `ref` local to the document, which
`parent` points to. Export -> import -> export gives the same document (the name aside, since an
import is called "Imported - <name>").
"""

from django.db import transaction
from rest_framework import serializers

from flows import actions
from flows.checker import check_document, issues_detail
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from tenants.scoping import require_company_id

FORMAT = "balcao.flow-template"
VERSION = 1
TEMPLATE_FIELDS = ("name", "description", "is_active", "on_send_failure")
FLOW_FIELDS = ("name", "description", "is_default", "is_active", "order_index")
SUBFLOW_FIELDS = ("name", "description", "trigger_keywords", "order_index", "is_active")
MESSAGE_FIELDS = (
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
)
IMPORTED_PREFIX = "Imported - "


def flow_template_export(*, template: FlowTemplate) -> dict:
    """The whole template (inactive parts included) in four queries, every level in display order."""
    flows = list(Flow.objects.filter(template=template).order_by("order_index", "id"))
    subflows = list(Subflow.objects.filter(flow__template=template).order_by("order_index", "id"))
    messages = list(FlowMessage.objects.filter(subflow__flow__template=template).order_by("order_index", "id"))
    refs = {}
    for flow in flows:
        for subflow in (s for s in subflows if s.flow_id == flow.id):
            refs[subflow.id] = f"s{len(refs) + 1}"
    return {
        "format": FORMAT,
        "version": VERSION,
        "template": {name: getattr(template, name) for name in TEMPLATE_FIELDS},
        "flows": [
            {
                **{name: getattr(flow, name) for name in FLOW_FIELDS},
                "subflows": [
                    {
                        "ref": refs[subflow.id],
                        **{name: getattr(subflow, name) for name in SUBFLOW_FIELDS},
                        "parent": refs.get(subflow.parent_subflow_id),
                        "messages": [
                            {name: getattr(message, name) for name in MESSAGE_FIELDS}
                            for message in messages
                            if message.subflow_id == subflow.id
                        ],
                    }
                    for subflow in subflows
                    if subflow.flow_id == flow.id
                ],
            }
            for flow in flows
        ],
    }


class _Strict(serializers.Serializer):
    """Unknown keys are errors: a document carrying ids or foreign fields is refused, not half-read."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class _MessageDocument(_Strict, serializers.ModelSerializer):
    expected_file_types = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )

    class Meta:
        model = FlowMessage
        fields = MESSAGE_FIELDS

    def validate_action(self, value: str) -> str:
        if value and actions.get(value) is None:
            raise serializers.ValidationError(f"Unknown action '{value}'.")
        return value


class _SubflowDocument(_Strict, serializers.ModelSerializer):
    ref = serializers.CharField(max_length=50)
    parent = serializers.CharField(max_length=50, allow_null=True, required=False)
    trigger_keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    messages = _MessageDocument(many=True)

    class Meta:
        model = Subflow
        fields = ("ref", *SUBFLOW_FIELDS, "parent", "messages")


class _FlowDocument(_Strict, serializers.ModelSerializer):
    subflows = _SubflowDocument(many=True)

    class Meta:
        model = Flow
        fields = (*FLOW_FIELDS, "subflows")

    def validate_subflows(self, subflows):
        refs = [s["ref"] for s in subflows]
        if len(set(refs)) != len(refs):
            raise serializers.ValidationError("Subflow refs must be unique.")
        for subflow in subflows:
            parent = subflow.get("parent")
            if parent is not None and (parent not in refs or parent == subflow["ref"]):
                raise serializers.ValidationError(f"Subflow '{subflow['ref']}': unknown parent '{parent}'.")
        return subflows


class _TemplateFields(_Strict, serializers.ModelSerializer):
    class Meta:
        model = FlowTemplate
        fields = TEMPLATE_FIELDS


class FlowTemplateDocumentSerializer(_Strict):
    format = serializers.ChoiceField(choices=[FORMAT])
    version = serializers.ChoiceField(choices=[VERSION])
    template = _TemplateFields()
    flows = _FlowDocument(many=True)

    def validate_flows(self, flows):
        names = [f["name"] for f in flows]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Flow names must be unique.")
        if sum(1 for f in flows if f.get("is_default")) > 1:
            raise serializers.ValidationError("Only one flow may be the default.")
        return flows


def _imported_name(name: str) -> str:
    base = f"{IMPORTED_PREFIX}{name}"[:190]
    candidate, n = base, 1
    while FlowTemplate.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{base} ({n})"
    return candidate


def flow_template_import(*, document) -> FlowTemplate:
    """Create "Imported - <name>" from an exported document, all or nothing.

    Raises `rest_framework.serializers.ValidationError` (field errors) on a malformed document, or
    one line per issue under "checker" when the flow checker (flows.checker) finds mistakes; then
    nothing is created. Runs inside the importing company's scope.
    """
    serializer = FlowTemplateDocumentSerializer(data=document)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    issues = check_document(data)
    if issues:
        raise serializers.ValidationError({"checker": issues_detail(issues)})
    with transaction.atomic():
        template = FlowTemplate.objects.create(
            company_id=require_company_id(), **{**data["template"], "name": _imported_name(data["template"]["name"])}
        )
        for flow_data in data["flows"]:
            flow = Flow.objects.create(
                company_id=template.company_id,
                template=template,
                **{k: flow_data[k] for k in FLOW_FIELDS if k in flow_data},
            )
            by_ref = {}
            for subflow_data in flow_data["subflows"]:
                subflow = Subflow.objects.create(
                    company_id=template.company_id,
                    flow=flow,
                    **{k: subflow_data[k] for k in SUBFLOW_FIELDS if k in subflow_data},
                )
                by_ref[subflow_data["ref"]] = subflow
                FlowMessage.objects.bulk_create(
                    FlowMessage(company_id=template.company_id, subflow=subflow, **message)
                    for message in subflow_data["messages"]
                )
            for subflow_data in flow_data["subflows"]:
                if subflow_data.get("parent"):
                    child = by_ref[subflow_data["ref"]]
                    child.parent_subflow = by_ref[subflow_data["parent"]]
                    child.save(update_fields=["parent_subflow"])
    return template
