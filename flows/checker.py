"""The flow checker: mistakes a customer would meet, found before anyone publishes them.

It reads the same picture the engine runs (a `TemplateSnapshot`: active parts only) and uses the
engine's own rules for what follows what, so "unreachable" and "no way forward" mean what the bot
would really do. Each `Issue` names its node (a flow, subflow or message by id) and the field to
fix, with a pt-BR message (gettext). Callers: saving the draft in the builder page, publishing
(refused while an issue remains), `flow_template_import` (the command and `POST /api/import/flows`:
a document with issues creates nothing).

Rules, one code each:
- `unknown_action`: a message names an action no app registered;
- `unknown_variable`: `{{ x }}` where x is neither built in, nor saved by a message, nor set by an action;
- `unsupported_syntax`: template syntax the renderer drops (`{{ nome.upper() }}`, `{% if %}`, `}}`);
- `duplicate_keyword`: a keyword claimed by two subflows (only the first would ever answer);
- `dead_end_wait`: a message waits for the customer, has no action, and nothing follows it;
- `unreachable`: no entry (start, keyword) or chain of subflows leads to the subflow (or it is empty);
- `delay_too_long`: a delay over `MAX_DELAY_SECONDS`;
- `too_long`: a text over WhatsApp's `WHATSAPP_MAX_TEXT` characters.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from flows import actions
from flows.engine import TemplateSnapshot, build_snapshot
from flows.engine.core import _Turn, flow_start
from flows.engine.text import unsupported_syntax, variable_names
from flows.models import MAX_DELAY_SECONDS
from flows.selectors import snapshot_from_rows, template_rows_load
from integrations.text import fold

WHATSAPP_MAX_TEXT = 4096

# Issues the builder page refuses to save (they sit in one field of one row); the others (how
# subflows connect) are shown on the graph and only block publishing, since a flow being built is
# unfinished for a while.
FIELD_CODES = frozenset(
    {"unknown_action", "unknown_variable", "unsupported_syntax", "duplicate_keyword", "delay_too_long", "too_long"}
)


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    node_type: str  # "subflow" | "message"
    node_id: int
    field: str = ""
    subflow_id: int | None = None  # the message's subflow (for messages)
    label: str = ""  # where, for people: "Subflow › message 2"

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


def known_variables(snapshot: TemplateSnapshot | None) -> set[str]:
    """Built-ins, variables messages save replies into, and those registered actions set."""
    names = set(actions.builtin_variables())
    for info in actions.registered():
        names.update(info.sets)
    for flow in snapshot.flows if snapshot else ():
        for subflow in flow.subflows:
            names.update(m.save_reply_as for m in subflow.messages if m.save_reply_as)
    return names


def reachable_subflows(snapshot: TemplateSnapshot | None) -> set[int]:
    """Ids of the subflows a customer can get to: the default flow's start and keyword subflows,
    then whatever the engine plays after each."""
    if snapshot is None:
        return set()
    turn = _Turn(snapshot, {}, datetime.now(UTC))
    entries = []
    start = flow_start(snapshot.default_flow())
    if start is not None:
        entries.append(start.subflow_id)
    for flow in snapshot.flows:
        entries += [s.id for s in flow.subflows if s.trigger_keywords and s.messages]
    seen: set[int] = set()
    while entries:
        subflow_id = entries.pop()
        if subflow_id in seen:
            continue
        seen.add(subflow_id)
        following = turn.after_subflow(snapshot.subflow(subflow_id))
        if following is not None:
            entries.append(following.subflow_id)
    return seen


def check_snapshot(snapshot: TemplateSnapshot | None) -> list[Issue]:
    """Every issue of `snapshot`, subflow by subflow in play order."""
    if snapshot is None:
        return []
    issues: list[Issue] = []
    known = known_variables(snapshot)
    reachable = reachable_subflows(snapshot)
    turn = _Turn(snapshot, {}, datetime.now(UTC))
    claims: dict[str, list] = {}
    for flow in snapshot.flows:
        for subflow in flow.subflows:
            for keyword in subflow.trigger_keywords:
                if fold(keyword):
                    holders = claims.setdefault(fold(keyword), [])
                    if subflow not in holders:
                        holders.append(subflow)
    for flow in snapshot.flows:
        for subflow in flow.subflows:
            where = f"{flow.name} › {subflow.name}"

            def on_subflow(code, message, field="", subflow=subflow, where=where):
                issues.append(Issue(code, message, "subflow", subflow.id, field, subflow.id, where))

            for keyword in subflow.trigger_keywords:
                others = [s.name for s in claims.get(fold(keyword), []) if s.id != subflow.id]
                if others:
                    on_subflow(
                        "duplicate_keyword",
                        _("The keyword “%(keyword)s” is also claimed by “%(other)s”: only one of them would answer.")
                        % {"keyword": keyword, "other": ", ".join(others)},
                        "trigger_keywords",
                    )
            if not subflow.messages:
                on_subflow("unreachable", _("This subflow has no active message: it is never played."))
            elif subflow.id not in reachable:
                on_subflow(
                    "unreachable",
                    _("Nothing leads to this subflow: give it a keyword or a place in the main line."),
                )
            for position, message in enumerate(subflow.messages, start=1):
                issues.extend(_message_issues(turn, subflow, message, known, f"{where} › {_('message')} {position}"))
    return issues


def _message_issues(turn: _Turn, subflow, message, known: set[str], where: str) -> list[Issue]:
    found = []

    def add(code, text, field):
        found.append(Issue(code, text, "message", message.id, field, subflow.id, where))

    if message.action and actions.get(message.action) is None:
        add(
            "unknown_action",
            _("Unknown action “%(name)s”: choose one from the list.") % {"name": message.action},
            "action",
        )
    for name in variable_names(message.text):
        if name not in known:
            add(
                "unknown_variable",
                _("Unknown variable {{ %(name)s }}: use a built-in one or one a message saves.") % {"name": name},
                "message_text",
            )
    for piece in dict.fromkeys(unsupported_syntax(message.text)):
        add(
            "unsupported_syntax",
            _("Unsupported syntax %(syntax)s: only {{ variable }} is replaced, the rest would be dropped.")
            % {"syntax": piece},
            "message_text",
        )
    if len(message.text) > WHATSAPP_MAX_TEXT:
        add(
            "too_long",
            _("This text has %(length)d characters: WhatsApp takes at most %(limit)d.")
            % {"length": len(message.text), "limit": WHATSAPP_MAX_TEXT},
            "message_text",
        )
    if message.delay_seconds > MAX_DELAY_SECONDS:
        add(
            "delay_too_long",
            _("A delay of %(seconds)d s is beyond the limit of %(limit)d s.")
            % {"seconds": message.delay_seconds, "limit": MAX_DELAY_SECONDS},
            "delay_seconds",
        )
    if message.waits and not message.action and turn.successor(subflow, message.sort_key) is None:
        add(
            "dead_end_wait",
            _(
                "This message waits for the customer but nothing comes after it: add a next message, an action or a return."
            ),
            "wait_for_file" if message.wait_for_file else "wait_for_response",
        )
    return found


def check_template(*, template_id: int) -> list[Issue]:
    """The issues of a template's draft (its active parts). Runs inside the company scope."""
    rows = template_rows_load(template_id=template_id, active_template_only=False)
    return check_snapshot(snapshot_from_rows(template_id, rows))


def document_snapshot(document: dict) -> tuple[TemplateSnapshot | None, dict[int, str]]:
    """An engine snapshot of an export document's active parts (validated data or raw), with made-up
    ids, and id -> where for people ("flow › ref › message n")."""
    flows, subflows, messages, where = [], [], [], {}
    next_id = 0

    def new_id():
        nonlocal next_id
        next_id += 1
        return next_id

    for flow_data in document.get("flows") or []:
        if not flow_data.get("is_active", True):
            continue
        flow_id = new_id()
        flows.append(
            {
                "id": flow_id,
                "name": flow_data.get("name", ""),
                "is_default": flow_data.get("is_default", False),
                "order_index": flow_data.get("order_index", 0),
            }
        )
        by_ref = {}
        for subflow_data in flow_data.get("subflows") or []:
            by_ref[subflow_data.get("ref")] = new_id()
        for subflow_data in flow_data.get("subflows") or []:
            if not subflow_data.get("is_active", True):
                continue
            subflow_id = by_ref[subflow_data.get("ref")]
            where[subflow_id] = f"{flow_data.get('name', '')} › {subflow_data.get('name', '')}"
            subflows.append(
                {
                    "id": subflow_id,
                    "flow_id": flow_id,
                    "name": subflow_data.get("name", ""),
                    "order_index": subflow_data.get("order_index", 0),
                    "trigger_keywords": subflow_data.get("trigger_keywords") or [],
                    "parent_subflow_id": by_ref.get(subflow_data.get("parent")),
                }
            )
            for message_data in subflow_data.get("messages") or []:
                if not message_data.get("is_active", True):
                    continue
                messages.append({**message_data, "id": new_id(), "subflow_id": subflow_id})
    if not flows:
        return None, where
    return build_snapshot(0, flows, subflows, messages), where


def check_document(document: dict) -> list[Issue]:
    """The issues of an export document (what `flow_template_import` would create)."""
    snapshot, _where = document_snapshot(document)
    return check_snapshot(snapshot)


def issues_detail(issues: list[Issue]) -> list[str]:
    """The issues as lines for people (an API/command error detail)."""
    return [str(issue) for issue in issues]
