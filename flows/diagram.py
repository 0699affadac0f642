"""The read-only picture of a flow staff see on its admin page: subflows in play order, their
keywords and return links, and each message with what it waits for and what it triggers."""

from flows.models import Flow, FlowMessage, Subflow


def flows_diagram_load(*, flow_ids: list[int]) -> list[dict]:
    """One entry per flow (in `flow_ids` order, missing ids skipped), inactive parts included and
    marked, in three queries. Each flow: id, name, is_default, is_active, subflows; each subflow:
    id, name, is_active, keywords, returns_to (a subflow name or None), kind ("main", "keyword" or
    "return"), messages; each message: id, order, text, is_active, waits ("reply", "file" or ""),
    file_types, save_as, action, delay_seconds."""
    flows = {f.pk: f for f in Flow.objects.filter(pk__in=flow_ids)}
    subflows = list(Subflow.objects.filter(flow_id__in=flows).order_by("order_index", "id"))
    messages = list(FlowMessage.objects.filter(subflow__flow_id__in=flows).order_by("order_index", "id"))
    names = {s.pk: s.name for s in subflows}
    by_subflow: dict[int, list[dict]] = {}
    for message in messages:
        by_subflow.setdefault(message.subflow_id, []).append(
            {
                "id": message.pk,
                "order": message.order_index,
                "text": message.message_text,
                "is_active": message.is_active,
                "waits": "file" if message.wait_for_file else "reply" if message.wait_for_response else "",
                "file_types": list(message.expected_file_types or []),
                "save_as": message.save_reply_as,
                "action": message.action,
                "delay_seconds": message.delay_seconds,
            }
        )
    diagram = []
    for flow_id in flow_ids:
        flow = flows.get(flow_id)
        if flow is None:
            continue
        diagram.append(
            {
                "id": flow.pk,
                "name": flow.name,
                "is_default": flow.is_default,
                "is_active": flow.is_active,
                "subflows": [_subflow_entry(s, names, by_subflow) for s in subflows if s.flow_id == flow.pk],
            }
        )
    return diagram


def _subflow_entry(subflow: Subflow, names: dict, by_subflow: dict) -> dict:
    keywords = [k for k in subflow.trigger_keywords or [] if isinstance(k, str)]
    if keywords:
        kind = "keyword"
    elif subflow.parent_subflow_id is not None:
        kind = "return"
    else:
        kind = "main"
    return {
        "id": subflow.pk,
        "name": subflow.name,
        "is_active": subflow.is_active,
        "keywords": keywords,
        "returns_to": names.get(subflow.parent_subflow_id),
        "kind": kind,
        "messages": by_subflow.get(subflow.pk, []),
    }
