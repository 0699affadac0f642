"""A frozen, database-free picture of one FlowTemplate, loaded once per inbound message.

Only active flows, subflows and messages are in it: to the engine, something deactivated is the
same as something deleted.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MessageStep:
    id: int
    subflow_id: int
    order_index: int
    text: str
    message_type: str = "text"
    wait_for_response: bool = False
    wait_for_file: bool = False
    expected_file_types: tuple[str, ...] = ()
    delay_seconds: int = 0
    save_reply_as: str = ""
    action: str = ""

    @property
    def waits(self) -> bool:
        return self.wait_for_response or self.wait_for_file

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.order_index, self.id)


@dataclass(frozen=True)
class SubflowSnapshot:
    id: int
    flow_id: int
    name: str
    order_index: int
    trigger_keywords: tuple[str, ...] = ()
    parent_subflow_id: int | None = None
    messages: tuple[MessageStep, ...] = ()  # sorted by (order_index, id)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.order_index, self.id)

    @property
    def is_main_line(self) -> bool:
        """Played in order after the previous one ends; the others are entered by keyword or return."""
        return not self.trigger_keywords and self.parent_subflow_id is None


@dataclass(frozen=True)
class FlowSnapshot:
    id: int
    name: str
    is_default: bool = False
    order_index: int = 0
    subflows: tuple[SubflowSnapshot, ...] = ()  # sorted by (order_index, id)


@dataclass(frozen=True)
class TemplateSnapshot:
    id: int
    flows: tuple[FlowSnapshot, ...] = ()  # sorted by (order_index, id)
    _subflows: dict = field(default_factory=dict, compare=False, repr=False)
    _messages: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for flow in self.flows:
            for subflow in flow.subflows:
                self._subflows[subflow.id] = subflow
                for message in subflow.messages:
                    self._messages[message.id] = message

    def flow(self, flow_id: int | None) -> FlowSnapshot | None:
        return next((f for f in self.flows if f.id == flow_id), None)

    def subflow(self, subflow_id: int | None) -> SubflowSnapshot | None:
        return self._subflows.get(subflow_id)

    def message(self, message_id: int | None) -> MessageStep | None:
        return self._messages.get(message_id)

    def default_flow(self) -> FlowSnapshot | None:
        """The flow marked default, else the first flow."""
        return next((f for f in self.flows if f.is_default), self.flows[0] if self.flows else None)


def build_snapshot(template_id: int, flows: list[dict], subflows: list[dict], messages: list[dict]) -> TemplateSnapshot:
    """Assemble a snapshot from plain rows (dicts of model field values), sorting every level."""
    steps_by_subflow: dict[int, list[MessageStep]] = {}
    for row in messages:
        step = MessageStep(
            id=row["id"],
            subflow_id=row["subflow_id"],
            order_index=row["order_index"],
            text=row["message_text"],
            message_type=row.get("message_type", "text"),
            wait_for_response=row.get("wait_for_response", False),
            wait_for_file=row.get("wait_for_file", False),
            expected_file_types=tuple(row.get("expected_file_types") or ()),
            delay_seconds=row.get("delay_seconds", 0),
            save_reply_as=row.get("save_reply_as", ""),
            action=row.get("action", ""),
        )
        steps_by_subflow.setdefault(step.subflow_id, []).append(step)
    subflows_by_flow: dict[int, list[SubflowSnapshot]] = {}
    for row in subflows:
        subflow = SubflowSnapshot(
            id=row["id"],
            flow_id=row["flow_id"],
            name=row["name"],
            order_index=row["order_index"],
            trigger_keywords=tuple(k for k in (row.get("trigger_keywords") or ()) if isinstance(k, str)),
            parent_subflow_id=row.get("parent_subflow_id"),
            messages=tuple(sorted(steps_by_subflow.get(row["id"], ()), key=lambda m: m.sort_key)),
        )
        subflows_by_flow.setdefault(subflow.flow_id, []).append(subflow)
    flow_snapshots = [
        FlowSnapshot(
            id=row["id"],
            name=row["name"],
            is_default=row.get("is_default", False),
            order_index=row["order_index"],
            subflows=tuple(sorted(subflows_by_flow.get(row["id"], ()), key=lambda s: s.sort_key)),
        )
        for row in flows
    ]
    flow_snapshots.sort(key=lambda f: (f.order_index, f.id))
    return TemplateSnapshot(id=template_id, flows=tuple(flow_snapshots))
