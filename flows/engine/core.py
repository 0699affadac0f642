"""The flow engine: (template snapshot, position, variables, inbound, now) -> Decision.

Pure and deterministic: no database, no clock, no I/O. The service loads the snapshot and the
position, calls `decide()`, then persists `Decision.position`/`variables` and carries out the actions.

Rules (SPEC §5):
- not in a flow (new, completed, reset): a keyword starts its subflow, else the default flow starts
  at the first message of its first subflow;
- a message that waits for nothing is followed at once by the next (its own delay attached);
- after the last message of a subflow: its `parent_subflow` if any (a menu to go back to), else the
  next main-line subflow (no keywords, no parent) of the flow, else the conversation completes;
- while waiting, a reply containing a keyword (whole words, accents and case ignored) switches to
  that subflow; otherwise the reply is saved (`save_reply_as`), handed to the message's action, and
  the flow goes on; a file wait advances only on a document of an expected type, else re-asks;
- a current message that was deleted or deactivated is skipped: the next active message after its
  stored order in the same subflow plays (a deleted subflow restarts its flow);
- idle longer than `stale_after`: reset to the start before handling the message.
"""

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from flows.engine.snapshot import FlowSnapshot, MessageStep, SubflowSnapshot, TemplateSnapshot
from flows.engine.text import file_type_accepted, keyword_matches, render
from integrations.text import fold

WAIT_NOTHING, WAIT_RESPONSE, WAIT_FILE = "nothing", "response", "file"
MAX_MESSAGES_PER_TURN = 50  # a guard against runaway scripts; real turns send a handful
# A message that is only one of these (accents, case and punctuation ignored) starts the default flow
# over from any step, unless a subflow takes it as its keyword: "oi" and "menu" always restart.
RESTART_WORDS = frozenset({"oi", "oii", "oie", "ola", "menu", "inicio", "recomecar", "reiniciar", "comecar de novo"})


@dataclass(frozen=True)
class Position:
    flow_id: int | None = None
    subflow_id: int | None = None
    message_id: int | None = None
    message_order: int | None = None
    waiting_for: str = WAIT_NOTHING
    last_activity_at: datetime | None = None

    @property
    def in_flow(self) -> bool:
        return self.waiting_for != WAIT_NOTHING


@dataclass(frozen=True)
class Document:
    mime: str = ""
    name: str = ""


@dataclass(frozen=True)
class Inbound:
    text: str = ""
    document: Document | None = None


# --- Actions, in the order the service must carry them out --------------------------------------


@dataclass(frozen=True)
class SendMessage:
    text: str
    delay_seconds: int = 0  # this message's own pause before it goes out, after the previous one
    flow_message_id: int | None = None


@dataclass(frozen=True)
class SaveVariable:
    name: str
    value: str


@dataclass(frozen=True)
class RunAction:
    name: str
    flow_message_id: int
    reply: str | None = None  # the customer's reply when the message waited for one


@dataclass(frozen=True)
class MovePosition:
    position: Position


@dataclass(frozen=True)
class Complete:
    flow_id: int | None = None


@dataclass(frozen=True)
class Reset:
    reason: str = "idle"


Action = SendMessage | SaveVariable | RunAction | MovePosition | Complete | Reset


@dataclass(frozen=True)
class Decision:
    actions: tuple[Action, ...]
    position: Position
    variables: dict = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return any(isinstance(a, Complete) for a in self.actions)

    @property
    def messages(self) -> list[SendMessage]:
        return [a for a in self.actions if isinstance(a, SendMessage)]


class _Turn:
    def __init__(self, snapshot: TemplateSnapshot, variables: dict, now: datetime, builtins: Mapping | None = None):
        self.snapshot = snapshot
        self.variables = variables
        self.builtins = builtins or {}
        self.now = now
        self.actions: list[Action] = []
        self.position: Position | None = None

    def emit(self, action: Action) -> None:
        self.actions.append(action)

    def take_reply(self, message: MessageStep, value: str) -> None:
        if message.save_reply_as:
            self.variables[message.save_reply_as] = value
            self.emit(SaveVariable(message.save_reply_as, value))
        if message.action:
            self.emit(RunAction(message.action, message.id, reply=value))

    def play(self, first: MessageStep | None, flow_id: int | None) -> None:
        """Send from `first` on until a message waits or the script ends."""
        message, sent = first, set()
        while message is not None:
            subflow = self.snapshot.subflow(message.subflow_id)
            if message.id in sent or len(sent) >= MAX_MESSAGES_PER_TURN:
                # A script that loops back without asking anything: stop and wait here.
                self.position = self._at(message, subflow, WAIT_RESPONSE)
                return
            sent.add(message.id)
            text = render(message.text, ChainMap(self.variables, self.builtins))
            self.emit(SendMessage(text, message.delay_seconds, message.id))
            if message.waits:
                self.position = self._at(message, subflow, WAIT_FILE if message.wait_for_file else WAIT_RESPONSE)
                return
            if message.action:
                self.emit(RunAction(message.action, message.id))
            message = self.successor(subflow, message.sort_key)
        self.emit(Complete(flow_id))
        self.position = Position(flow_id=flow_id, last_activity_at=self.now)

    def successor(self, subflow: SubflowSnapshot, after: tuple[int, int]) -> MessageStep | None:
        following = next((m for m in subflow.messages if m.sort_key > after), None)
        return following if following is not None else self.after_subflow(subflow)

    def after_subflow(self, subflow: SubflowSnapshot) -> MessageStep | None:
        parent = self.snapshot.subflow(subflow.parent_subflow_id)
        if parent is not None and parent.messages:
            return parent.messages[0]
        flow = self.snapshot.flow(subflow.flow_id)
        for candidate in flow.subflows if flow else ():
            if candidate.is_main_line and candidate.sort_key > subflow.sort_key and candidate.messages:
                return candidate.messages[0]
        return None

    def _at(self, message: MessageStep, subflow: SubflowSnapshot, waiting_for: str) -> Position:
        return Position(
            flow_id=subflow.flow_id,
            subflow_id=subflow.id,
            message_id=message.id,
            message_order=message.order_index,
            waiting_for=waiting_for,
            last_activity_at=self.now,
        )


def flow_start(flow: FlowSnapshot | None) -> MessageStep | None:
    """The first active message of the flow's first subflow that has one."""
    for subflow in flow.subflows if flow else ():
        if subflow.messages:
            return subflow.messages[0]
    return None


def keyword_subflow(snapshot: TemplateSnapshot, text: str, current_flow_id: int | None) -> SubflowSnapshot | None:
    """The first subflow (current flow first, then the others in order) one of whose keywords is in `text`."""
    if not text or not text.strip():
        return None
    flows = sorted(snapshot.flows, key=lambda f: f.id != current_flow_id)
    for flow in flows:
        for subflow in flow.subflows:
            if subflow.messages and any(keyword_matches(k, text) for k in subflow.trigger_keywords):
                return subflow
    return None


def is_restart(text: str) -> bool:
    return fold(text or "") in RESTART_WORDS


def is_stale(position: Position, now: datetime, stale_after: timedelta | None) -> bool:
    return (
        position.in_flow
        and stale_after is not None
        and position.last_activity_at is not None
        and now - position.last_activity_at > stale_after
    )


def reask_text(message: MessageStep) -> str:
    if message.expected_file_types:
        types = ", ".join(t.strip().lstrip(".").upper() for t in message.expected_file_types)
        return _("Sorry, I could not use that. Please send the file as a document (%(types)s).") % {"types": types}
    return _("Sorry, I could not use that. Please send the file as a document.")


def decide(
    *,
    snapshot: TemplateSnapshot | None,
    position: Position,
    variables: dict,
    inbound: Inbound,
    now: datetime,
    stale_after: timedelta | None = None,
    builtins: Mapping | None = None,
) -> Decision:
    """What the bot does with one inbound message. Never raises on a changed or empty script.
    `builtins`: the built-in variables (nome, telefone…) messages may use; the conversation's own
    variables win, and built-ins are never copied into `Decision.variables`."""
    turn = _Turn(snapshot or TemplateSnapshot(id=0), dict(variables), now, builtins)
    if is_stale(position, now, stale_after):
        turn.emit(Reset("idle"))
        position = Position()
    if snapshot is None or not snapshot.flows:
        return Decision(tuple(turn.actions), position, turn.variables)

    reply = inbound.text or (inbound.document.name if inbound.document else "")
    keyword = keyword_subflow(snapshot, inbound.text, position.flow_id)
    if keyword is not None:
        turn.play(keyword.messages[0], keyword.flow_id)
    elif not position.in_flow or is_restart(inbound.text):
        flow = snapshot.default_flow()
        first = flow_start(flow)
        if first is not None:
            turn.play(first, flow.id)
    else:
        _continue(turn, position, inbound, reply)

    final = turn.position or replace(position, last_activity_at=now)
    if turn.position is not None and final.in_flow:
        turn.emit(MovePosition(final))
    return Decision(tuple(turn.actions), final, turn.variables)


def _continue(turn: _Turn, position: Position, inbound: Inbound, reply: str) -> None:
    snapshot = turn.snapshot
    current = snapshot.message(position.message_id)
    subflow = snapshot.subflow(position.subflow_id)
    if current is not None and position.waiting_for == WAIT_FILE:
        document = inbound.document
        if document is None or not file_type_accepted(current.expected_file_types, document.mime, document.name):
            turn.emit(SendMessage(reask_text(current), 0, current.id))
            return
    if current is not None:
        turn.take_reply(current, reply)
    if subflow is None:
        # The subflow itself is gone: start its flow (or the default one) over rather than fail.
        flow = snapshot.flow(position.flow_id) or snapshot.default_flow()
        turn.play(flow_start(flow), flow.id)
        return
    after = (position.message_order if position.message_order is not None else -(2**31), position.message_id or 0)
    turn.play(turn.successor(subflow, after), subflow.flow_id)
