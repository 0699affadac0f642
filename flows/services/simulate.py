"""Talk to a template without a provider or a real conversation: nothing is written."""

from dataclasses import asdict

from django.utils import timezone

from flows.engine import Document, Inbound, Position, RunAction, SendMessage, decide
from flows.selectors import template_snapshot_load


def flow_simulate(*, template_id: int, inputs: list) -> list[dict]:
    """Play `inputs` (strings, or {"text": ..., "document": {"mime": ..., "name": ...}}) through the
    template as a new customer would. Returns one entry per input: the replies (with cumulative
    delays), the action hooks that would run, the position and the variables afterwards."""
    snapshot = template_snapshot_load(template_id=template_id)
    position, variables, turns = Position(), {}, []
    for item in inputs:
        inbound = _inbound(item)
        decision = decide(
            snapshot=snapshot, position=position, variables=variables, inbound=inbound, now=timezone.now()
        )
        position, variables = decision.position, decision.variables
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
                "variables": dict(variables),
                "completed": decision.completed,
            }
        )
    return turns


def _inbound(item) -> Inbound:
    if isinstance(item, str):
        return Inbound(text=item)
    document = item.get("document")
    return Inbound(
        text=item.get("text") or "",
        document=Document(mime=document.get("mime", ""), name=document.get("name", "")) if document else None,
    )
