"""Talk to a template without a provider or a real conversation: nothing is written.

The action hooks run too, in their dry-run mode (`ActionContext.dry_run`: they answer as usual but
call nothing outside), for a throwaway customer inside a transaction that is always rolled back:
the menu, the cart summary and the other messages actions send are shown, and no row stays.
"""

from dataclasses import asdict, replace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from conversations.models import Conversation
from customers.models import Customer
from flows import actions
from flows.engine import Document, Inbound, Position, RunAction, TemplateSnapshot, decide
from flows.selectors import template_snapshot_load
from flows.services.inbound import _carry_out, without_company_variables
from tenants.models import Company
from tenants.scoping import current_company_id, require_company_id


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
    with transaction.atomic():
        turns = _play(snapshot, inputs)
        transaction.set_rollback(True)  # what the hooks wrote for the throwaway customer goes away
    return turns


def _play(snapshot, inputs) -> list[dict]:
    position, variables, turns = Position(), {}, []
    customer = Customer.objects.create(company_id=require_company_id(), name=_("Dry run"))
    conversation = Conversation(company_id=customer.company_id, customer=customer, variables={})
    company = {"empresa": _company_name()}
    for item in inputs:
        inbound = _inbound(item)
        now = timezone.now()
        decision = decide(
            snapshot=snapshot,
            position=position,
            variables={**variables, **company},
            inbound=inbound,
            now=now,
            builtins=actions.BuiltinValues(conversation),
        )
        done = _carry_out(decision, conversation, dry_run=True)
        position = replace(position, last_activity_at=now) if done.rejected else decision.position
        variables = without_company_variables(done.variables)
        conversation.variables = dict(variables)
        replies = [{"text": intent.text, "delay_seconds": intent.delay_seconds} for intent in done.intents]
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
                "completed": decision.completed and not done.rejected,
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
