"""Reads of the flows app. Callers run inside a company scope."""

from django.db.models import OuterRef, QuerySet, Subquery

from flows.engine import TemplateSnapshot, build_snapshot
from flows.models import Flow, FlowMessage, FlowPosition, FlowTemplate, FlowVersion, Subflow

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


def template_rows_load(*, template_id: int, active_template_only: bool = True) -> dict[str, list[dict]]:
    """The draft's active flows, subflows and messages as plain rows (JSON-safe), in three queries
    whatever the size; empty lists when there is no active flow (or the template is inactive and
    `active_template_only`)."""
    flow_filter = {"template_id": template_id, "is_active": True}
    if active_template_only:
        flow_filter["template__is_active"] = True
    flows = list(Flow.objects.filter(**flow_filter).values(*FLOW_FIELDS))
    if not flows:
        return {"flows": [], "subflows": [], "messages": []}
    flow_ids = [f["id"] for f in flows]
    subflows = list(Subflow.objects.filter(flow_id__in=flow_ids, is_active=True).values(*SUBFLOW_FIELDS))
    messages = list(
        FlowMessage.objects.filter(subflow__flow_id__in=flow_ids, subflow__is_active=True, is_active=True).values(
            *MESSAGE_FIELDS
        )
    )
    return {"flows": flows, "subflows": subflows, "messages": messages}


def snapshot_from_rows(template_id: int, rows: dict) -> TemplateSnapshot | None:
    """A snapshot from `template_rows_load`'s rows (or a FlowVersion's stored copy); None without flows."""
    if not rows.get("flows"):
        return None
    return build_snapshot(template_id, rows["flows"], rows.get("subflows", []), rows.get("messages", []))


def template_snapshot_load(*, template_id: int, version: int | None = None) -> TemplateSnapshot | None:
    """What the engine runs for an active template: the draft (`version=None`, three queries) or the
    published `version` (one query). None when the template is missing, inactive, has no active
    flow, or has no such version."""
    if version is None:
        return snapshot_from_rows(template_id, template_rows_load(template_id=template_id))
    stored = (
        FlowVersion.objects.filter(template_id=template_id, template__is_active=True, number=version)
        .values_list("snapshot", flat=True)
        .first()
    )
    return snapshot_from_rows(template_id, stored) if stored else None


def _live_flows(company=None) -> QuerySet:
    flows = Flow.objects.for_company(company) if company is not None else Flow.objects.all()
    return flows.filter(is_active=True, template__is_active=True).order_by(
        "-is_default", "template_id", "order_index", "id"
    )


def live_template(company=None) -> tuple[int, int] | None:
    """(template id, published version number or 0 when never published) of the template new
    conversations start on: the one holding the company's active default flow (oldest template
    first), else the oldest active template with an active flow. One query. The current company,
    or `company` when given (callers outside a company scope)."""
    return _live_flows(company).values_list("template_id", "template__published_version").first()


def live_template_with_snapshot() -> tuple[int, int, TemplateSnapshot | None] | None:
    """`live_template()` and, read in the same query, the snapshot of its published version (None
    when never published, or when that version has no active flow)."""
    stored = FlowVersion.objects.filter(
        template_id=OuterRef("template_id"), number=OuterRef("template__published_version")
    ).values("snapshot")[:1]
    live = (
        _live_flows()
        .annotate(published_snapshot=Subquery(stored))
        .values_list("template_id", "template__published_version", "published_snapshot")
        .first()
    )
    if live is None:
        return None
    template_id, published, rows = live
    return template_id, published, snapshot_from_rows(template_id, rows) if rows else None


def live_template_is_published(company) -> bool:
    """Whether `company`'s live template has a published version: in test mode, customers other
    than the test contact are answered (by that version) only then. One query."""
    live = live_template(company)
    return bool(live and live[1])


def template_published_version(*, template_id: int) -> int:
    """The template's published version number, 0 when never published or missing. One query."""
    number = FlowTemplate.objects.filter(pk=template_id).values_list("published_version", flat=True).first()
    return number or 0


def live_template_id() -> int | None:
    """The id of `live_template()`, or None."""
    live = live_template()
    return live[0] if live else None


def send_failure_hands_over(*, conversation) -> bool:
    """Whether a bot message of `conversation` that failed for good hands it to a person: the choice
    of the template the conversation is on, else of the live template; yes without either."""
    company_id = conversation.company_id
    template_id = (
        FlowPosition.objects.for_company(company_id)
        .filter(conversation_id=conversation.pk, current_template_id__isnull=False)
        .values_list("current_template_id", flat=True)
        .first()
    )
    if template_id is None:
        live = live_template(company_id)
        template_id = live[0] if live else None
    choice = (
        FlowTemplate.objects.for_company(company_id).filter(pk=template_id).values_list("on_send_failure", flat=True)
    )
    return choice.first() != FlowTemplate.SendFailure.NOTHING
