"""The entry point the message pipeline calls for every inbound message of a conversation."""

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from django.db import transaction
from django.utils import timezone

from conversations.handlers import OutboundIntent
from conversations.models import Conversation
from conversations.services import is_simulator_contact, is_test_contact
from flows import actions
from flows.engine import (
    WAIT_FILE,
    WAIT_RESPONSE,
    Decision,
    Document,
    Inbound,
    Position,
    RunAction,
    SaveVariable,
    SendMessage,
    TemplateSnapshot,
    decide,
)
from flows.engine.core import is_stale
from flows.lock_objects import flow_position_qs_select_for_update
from flows.models import FlowPosition, FlowTemplate
from flows.selectors import live_template_with_snapshot, template_published_version, template_snapshot_load

logger = logging.getLogger(__name__)
MAX_SKIPS = 5  # questions skipped in one turn (SkipQuestion); a guard, real flows skip one

# On a simulator customer (console chat, the builder's preview): the template whose draft it talks
# to, instead of the live one (provider_contact_ids[SIMULATOR_TEMPLATE_KEY] = template id).
SIMULATOR_TEMPLATE_KEY = "simulator_template"


def position_from_row(row: FlowPosition | None) -> Position:
    if row is None:
        return Position()
    return Position(
        flow_id=row.current_flow_id,
        subflow_id=row.current_subflow_id,
        message_id=row.current_message_id,
        message_order=row.current_message_order,
        waiting_for=row.waiting_for,
        last_activity_at=row.last_activity_at,
    )


def _store_position(row: FlowPosition, template_id: int | None, version: int | None, position: Position) -> None:
    in_a_flow = position.flow_id is not None
    row.current_template_id = template_id if in_a_flow else None
    row.current_version = version if in_a_flow else None
    row.current_flow_id = position.flow_id
    row.current_subflow_id = position.subflow_id
    row.current_message_id = position.message_id
    row.current_message_order = position.message_order
    row.waiting_for = position.waiting_for
    row.last_activity_at = position.last_activity_at
    row.save()


def visit_key(version: int | None) -> str:
    """The key of `FlowPosition.visited` for a version (None: the draft)."""
    return "draft" if version is None else str(version)


def _record_visits(row: FlowPosition, snapshot, version: int | None, decision: Decision) -> None:
    """Add the subflows whose messages this turn sent to the row's `visited` (saved with the row):
    the per-node figures of the flow analytics."""
    if snapshot is None:
        return
    reached = {
        step.subflow_id
        for action in decision.actions
        if isinstance(action, SendMessage) and (step := snapshot.message(action.flow_message_id)) is not None
    }
    if not reached:
        return
    key = visit_key(version)
    visited = dict(row.visited or {})
    known = set(visited.get(key, []))
    if not reached <= known:
        visited[key] = sorted(known | reached)
        row.visited = visited


def _conversation_status(position: Position, completed: bool, current: str) -> str:
    if position.waiting_for in (WAIT_RESPONSE, WAIT_FILE):
        return Conversation.Status.WAITING
    if completed:
        return Conversation.Status.COMPLETED
    return current if current != Conversation.Status.WAITING else Conversation.Status.ACTIVE


def flow_handle_inbound(
    *, conversation: Conversation, text: str, document: Document | None = None, now: datetime | None = None
) -> list[OutboundIntent]:
    """Run the conversation's flow on one inbound message and return what to send, in order.

    Persists the conversation's FlowPosition, `variables` and `status` in one transaction (the
    caller may wrap it in its own, to write the outbound rows atomically with the state), and runs
    the action hooks the messages name and applies their effects (variables, hand-off). Sends
    nothing itself. A conversation with the bot paused or
    handed to a human gets [] and nothing changes. Runs inside the conversation's company scope;
    the number of queries does not depend on the size of the flow. A hook that rejects the reply
    (`flows.actions.Rejected`) keeps the conversation on the step it was waiting on.
    """
    if conversation.bot_paused or conversation.status == Conversation.Status.HANDOFF:
        return []
    now = now or timezone.now()
    stale_after = timedelta(minutes=conversation.company.state_stale_reset_min)
    # No savepoint inside the caller's transaction (processing's, which rolls the whole turn back
    # when anything raises): two statements less per turn.
    with transaction.atomic(savepoint=False):
        row = flow_position_qs_select_for_update().filter(conversation=conversation).first()
        position = position_from_row(row)
        stale = is_stale(position, now, stale_after)
        template_id = version = snapshot = None
        if row is not None and position.in_flow and not stale and row.current_template_id is not None:
            # A conversation in progress finishes on the version it started on (test mode aside).
            template_id, version = row.current_template_id, _version_in_test_mode(conversation, row)
            if version is not False:
                snapshot = template_snapshot_load(template_id=template_id, version=version)
        if snapshot is None:
            if position.in_flow and not stale:
                position = Position()  # its template is gone or switched off: start on the live one
            template_id, version, snapshot = starting_snapshot(conversation)
        decision = decide(
            snapshot=snapshot,
            position=position,
            variables=_variables(conversation),
            inbound=Inbound(text=text or "", document=document),
            now=now,
            stale_after=stale_after,
            builtins=actions.BuiltinValues(conversation),
        )
        turn = _carry_out(decision, conversation)
        for _skipped in range(MAX_SKIPS):
            if not (turn.skip and not turn.rejected and decision.position.in_flow):
                break
            # A hook said the question the turn stopped on does not apply: answer it with nothing.
            turn.skip = False
            decision = decide(
                snapshot=snapshot,
                position=decision.position,
                variables=turn.variables,
                inbound=Inbound(text=""),
                now=now,
                stale_after=stale_after,
            )
            turn = _carry_out(decision, conversation, into=turn)
        if row is None:
            row = FlowPosition(company_id=conversation.company_id, conversation=conversation)
        final = replace(position, last_activity_at=now) if turn.rejected else decision.position
        _record_visits(row, snapshot, version, decision)
        _store_position(row, template_id, version, final)
        conversation.variables = without_company_variables(turn.variables)
        conversation.status = _conversation_status(final, decision.completed and not turn.rejected, conversation.status)
        if turn.handoff:
            conversation.bot_paused, conversation.status = True, Conversation.Status.HANDOFF
        conversation.save(update_fields=["variables", "status", "bot_paused", "updated_at"])
    return turn.intents


COMPANY_VARIABLES = ("empresa",)  # given by the company on each turn, never stored


def _variables(conversation: Conversation) -> dict:
    """The conversation's variables, with the company's own name as `empresa` (templates greet
    with the name of the company they run for, whoever wrote them)."""
    return {**(conversation.variables or {}), "empresa": conversation.company.name}


def without_company_variables(variables: dict) -> dict:
    return {name: value for name, value in variables.items() if name not in COMPANY_VARIABLES}


def _test_contact_side(conversation: Conversation) -> bool | None:
    """None outside test mode; in test mode, whether the conversation is the test contact's. A staff
    member's console-chat customer is on the test contact's side in and out of test mode."""
    company = conversation.company
    if not company.test_mode:
        return True if is_simulator_contact(conversation.customer) else None
    return is_test_contact(company, conversation.customer)


def starting_snapshot(conversation: Conversation) -> tuple[int | None, int | None, TemplateSnapshot | None]:
    """(template id, version, its snapshot) a conversation starting now talks to; version None means
    the draft; snapshot None when there is nothing to run.

    The live template's published version, except: a template never published runs its draft for
    everyone, and in test mode the company's test contact gets the draft while nobody else ever
    does ((None, None, None) for them when there is no published version: nothing to say). (None,
    None, None) without a live template. One query for a published version (the live template and
    its snapshot together), four for a draft (plus the customer, when not loaded yet).
    """
    previewed = _previewed_template(conversation)
    if previewed is not None:
        return previewed, None, template_snapshot_load(template_id=previewed)
    live = live_template_with_snapshot()
    if live is None:
        return None, None, None
    template_id, published, published_snapshot = live
    tester = _test_contact_side(conversation)
    if tester or not published:
        if tester is False:  # test mode, not the test contact, nothing published: nothing to say
            return None, None, None
        return template_id, None, template_snapshot_load(template_id=template_id)
    return template_id, published, published_snapshot


def _previewed_template(conversation: Conversation) -> int | None:
    """The template a simulator customer previews (its draft), when it chose one that is active."""
    customer = conversation.customer
    chosen = (customer.provider_contact_ids or {}).get(SIMULATOR_TEMPLATE_KEY)
    if not chosen or not is_simulator_contact(customer) or not str(chosen).isdigit():
        return None
    return FlowTemplate.objects.filter(pk=int(chosen), is_active=True).values_list("pk", flat=True).first()


def _version_in_test_mode(conversation: Conversation, row: FlowPosition) -> int | None | Literal[False]:
    """The version a conversation in progress goes on with: the one it started on, except in test
    mode, where the test contact moves to the draft and anyone else on the draft moves to the
    template's published version (False when there is none: start over on the live template).
    Positions hold the draft's ids, so a move keeps the step. No query outside test mode but the
    customer's, when not loaded yet (the pipeline loads it with the conversation)."""
    tester = _test_contact_side(conversation)
    if tester:
        return None
    if tester is False and row.current_version is None:
        return template_published_version(template_id=row.current_template_id) or False
    return row.current_version


@dataclass
class _CarriedOut:
    intents: list[OutboundIntent]
    variables: dict
    rejected: bool = False  # a hook refused the reply: the conversation stays where it was waiting
    handoff: bool = False  # a hook handed the conversation to a human
    skip: bool = False  # a hook said the question the turn stopped on does not apply
    owners: list = field(default_factory=list)  # the flow message each intent came from (None: a hook's)


def _carry_out(
    decision: Decision, conversation, into: _CarriedOut | None = None, *, dry_run: bool = False
) -> _CarriedOut:
    """Turn the engine's actions into intents with cumulative delays, running action hooks in order.

    When the hook of the reply's action rejects it, its messages end the turn: the rest of the
    decision (later messages and hooks) is dropped and the reply is not saved (`save_reply_as`
    gets its value from before the turn back; the hook's own changes stay). A hook without a reply
    that skips the next question (SkipQuestion) ends the turn too, its own message unsent. `into`
    goes on from an earlier part of the same turn.
    """
    done = into or _CarriedOut(intents=[], variables={})
    done.variables = dict(decision.variables)
    offset = done.intents[-1].delay_seconds if done.intents else 0
    for action in decision.actions:
        if isinstance(action, SendMessage):
            offset += action.delay_seconds
            done.intents.append(OutboundIntent(text=action.text, delay_seconds=offset))
            done.owners.append(action.flow_message_id)
        elif isinstance(action, RunAction):
            produced, rejected, skip = run_action_hook(action, conversation, done, dry_run=dry_run)
            if skip and action.reply is None:
                mine = [i for i, owner in enumerate(done.owners) if owner == action.flow_message_id]
                cut = mine[-1] if mine else len(done.intents)
                del done.intents[cut:], done.owners[cut:]
                done.skip = True
                break
            for intent in produced:
                offset += intent.delay_seconds
                done.intents.append(replace(intent, delay_seconds=offset))
                done.owners.append(None)
            if rejected and action.reply is not None:
                _unsave_reply(decision, done.variables, conversation.variables or {})
                done.rejected = True
                break
    return done


def _unsave_reply(decision: Decision, variables: dict, before: dict) -> None:
    """Give the variables the decision saved the reply into their values from before the turn."""
    for action in decision.actions:
        if isinstance(action, SaveVariable):
            if action.name in before:
                variables[action.name] = before[action.name]
            else:
                variables.pop(action.name, None)


def run_action_hook(
    action: RunAction, conversation, done: _CarriedOut, *, dry_run: bool = False
) -> tuple[list[OutboundIntent], bool, bool]:
    """Call the registered hook (unknown names are logged and skipped) and apply its effects to
    `done` (variables, hand-off). Returns the messages it produced, whether it rejected the
    reply (`actions.Rejected`) and whether it skips the next question (`actions.SkipQuestion`)."""
    hook = actions.get(action.name)
    if hook is None:
        logger.warning("flow action %s is not registered; skipped", action.name)
        return [], False, False
    context = actions.ActionContext(
        conversation=conversation,
        flow_message_id=action.flow_message_id,
        reply=action.reply,
        variables=MappingProxyType(dict(done.variables)),
        dry_run=dry_run,
    )
    produced = hook(context) or []
    rejected = isinstance(produced, actions.Rejected)
    if rejected:
        produced = produced.messages
    messages, skip = [], False
    for effect in produced:
        if isinstance(effect, actions.SetVariable):
            done.variables[effect.name] = effect.value
        elif isinstance(effect, actions.HandOff):
            done.handoff = True
        elif isinstance(effect, actions.SkipQuestion):
            skip = True
        else:
            messages.append(effect if isinstance(effect, OutboundIntent) else OutboundIntent(text=str(effect)))
    return messages, rejected, skip
