"""Talk to a template without a provider or a real conversation: nothing is written."""

from dataclasses import asdict, replace

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from flows.engine import Document, Inbound, Position, RunAction, SendMessage, TemplateSnapshot, decide
from flows.selectors import template_snapshot_load
from flows.services.inbound import without_company_variables
from tenants.models import Company
from tenants.scoping import current_company_id


def flow_simulate(
    *, template_id: int, inputs: list, version: int | None = None, start_flow_id: int | None = None
) -> list[dict]:
    """Play `inputs` (strings, or {"text": ..., "document": {"mime": ..., "name": ...}}) through the
    template as a new customer would: its draft (`version=None`) or published `version`, starting
    at the default flow or at `start_flow_id`. Returns one entry per input: the replies (with
    cumulative delays), the action hooks that would run, the position, the current step and the
    variables afterwards. Raises `serializers.ValidationError` when `start_flow_id` is not an
    active flow of that version."""
    snapshot = template_snapshot_load(template_id=template_id, version=version)
    if start_flow_id is not None:
        snapshot = _starting_at(snapshot, start_flow_id)
    position, variables, turns = Position(), {}, []
    company = {"empresa": _company_name()}
    for item in inputs:
        inbound = _inbound(item)
        decision = decide(
            snapshot=snapshot,
            position=position,
            variables={**variables, **company},
            inbound=inbound,
            now=timezone.now(),
        )
        position, variables = decision.position, without_company_variables(decision.variables)
        replies, offset = [], 0
        for action in decision.actions:
            if isinstance(action, SendMessage):
                offset += action.delay_seconds
                replies.append({"text": action.text, "delay_seconds": offset})
        turns.append(
            {
                "input": inbound.text
                if inbound.document is None
                else asdict(inbound.document) | {"text": inbound.text},
                "replies": replies,
                "actions": [a.name for a in decision.actions if isinstance(a, RunAction)],
                "position": {
                    "flow_id": position.flow_id,
                    "subflow_id": position.subflow_id,
                    "message_id": position.message_id,
                    "waiting_for": position.waiting_for,
                },
                "step": current_step(snapshot, position),
                "variables": dict(variables),
                "completed": decision.completed,
            }
        )
    return turns


def current_step(snapshot: TemplateSnapshot | None, position: Position) -> dict | None:
    """The step a conversation waits on, by name, for people: None when it waits for nothing."""
    if snapshot is None or not position.in_flow:
        return None
    flow = snapshot.flow(position.flow_id)
    subflow = snapshot.subflow(position.subflow_id)
    message = snapshot.message(position.message_id)
    return {
        "flow": flow.name if flow else None,
        "subflow": subflow.name if subflow else None,
        "subflow_id": position.subflow_id,
        "message_id": position.message_id,
        "message_text": message.text if message else None,
        "waiting_for": position.waiting_for,
        "save_reply_as": message.save_reply_as if message else "",
    }


def _starting_at(snapshot: TemplateSnapshot | None, flow_id: int) -> TemplateSnapshot:
    """The same snapshot with `flow_id` as its default flow."""
    if snapshot is None or snapshot.flow(flow_id) is None:
        raise serializers.ValidationError({"flow": [_("This flow is not active in that version.")]})
    flows = tuple(replace(f, is_default=f.id == flow_id) for f in snapshot.flows)
    return TemplateSnapshot(id=snapshot.id, flows=flows)


def _company_name() -> str:
    """The current company's name (templates greet with `{{ empresa }}`); "" outside a company."""
    company_id = current_company_id()
    if company_id is None:
        return ""
    return Company.objects.filter(pk=company_id).values_list("name", flat=True).first() or ""


def _inbound(item) -> Inbound:
    if isinstance(item, str):
        return Inbound(text=item)
    document = item.get("document")
    return Inbound(
        text=item.get("text") or "",
        document=Document(mime=document.get("mime", ""), name=document.get("name", "")) if document else None,
    )
