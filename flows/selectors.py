"""Reads of the flows app. Callers run inside a company scope."""

from flows.engine import TemplateSnapshot, build_snapshot
from flows.models import Flow, FlowMessage, Subflow

FLOW_FIELDS = ("id", "name", "is_default", "order_index")
SUBFLOW_FIELDS = ("id", "flow_id", "name", "order_index", "trigger_keywords", "parent_subflow_id")
MESSAGE_FIELDS = (
    "id",
    "subflow_id",
    "order_index",
    "message_text",
    "message_type",
    "wait_for_response",
    "wait_for_file",
    "expected_file_types",
    "delay_seconds",
    "save_reply_as",
    "action",
)


def template_snapshot_load(*, template_id: int) -> TemplateSnapshot | None:
    """The active parts of an active template as a frozen snapshot, in three queries whatever its
    size; None when the template is missing, inactive or has no active flow."""
    flows = list(
        Flow.objects.filter(template_id=template_id, template__is_active=True, is_active=True).values(*FLOW_FIELDS)
    )
    if not flows:
        return None
    flow_ids = [f["id"] for f in flows]
    subflows = list(Subflow.objects.filter(flow_id__in=flow_ids, is_active=True).values(*SUBFLOW_FIELDS))
    messages = list(
        FlowMessage.objects.filter(subflow__flow_id__in=flow_ids, subflow__is_active=True, is_active=True).values(
            *MESSAGE_FIELDS
        )
    )
    return build_snapshot(template_id, flows, subflows, messages)


def live_template_id() -> int | None:
    """The template new conversations start on: the one holding the company's active default flow
    (oldest template first), else the oldest active template with an active flow."""
    return (
        Flow.objects.filter(is_active=True, template__is_active=True)
        .order_by("-is_default", "template_id", "order_index", "id")
        .values_list("template_id", flat=True)
        .first()
    )
