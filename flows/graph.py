"""The template as a graph, drawn on the server as SVG (no script, no CDN: the page only shows it).

Each subflow is a node: its flow, keywords, its messages in order with their waits, delays and
actions. Edges: the start of the default flow, keyword entries, `next` (what the engine plays after
a subflow ends: its return subflow or the next one of the main line). The graph of the draft can be
compared with a published version: nodes are marked added, changed or removed. Checker issues
mark dead ends and unreachable subflows; the preview's current subflow is highlighted; per-node
analytics figures are printed on the nodes when given.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.html import escape
from django.utils.translation import gettext as _

from flows.checker import Issue, check_snapshot
from flows.engine import TemplateSnapshot
from flows.engine.core import _Turn, flow_start
from flows.models import FlowVersion
from flows.selectors import snapshot_from_rows, template_rows_load

NODE_WIDTH = 280
COLUMN_GAP = 90
LINE = 16
HEADER = 24
NODE_GAP = 46
TOP = 70
MAX_LINES = 10
TEXT_CHARS = 38


@dataclass
class GraphNode:
    id: int
    flow_id: int
    flow_name: str
    name: str
    keywords: tuple[str, ...]
    lines: list[str]
    status: str = ""  # "", "added", "changed", "removed"
    marks: set[str] = field(default_factory=set)  # "dead-end", "unreachable", "current"
    problems: list[str] = field(default_factory=list)
    figures: dict | None = None  # {"reached": n, "stopped": n}
    x: int = 0
    y: int = 0
    height: int = 0


@dataclass
class GraphEdge:
    source: str  # "start", "keywords" or a subflow id as str
    target: int
    kind: str  # "start" | "keyword" | "next" | "return"
    label: str = ""


@dataclass
class Graph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int
    height: int

    @property
    def subflow_count(self) -> int:
        return sum(1 for n in self.nodes if n.status != "removed")

    def counts(self) -> dict:
        return {s: sum(1 for n in self.nodes if n.status == s) for s in ("added", "changed", "removed")}


def _message_line(message) -> list[str]:
    text = " ".join(message.text.split())
    if len(text) > TEXT_CHARS:
        text = text[: TEXT_CHARS - 1] + "…"
    # Glyphs every system font has (no emoji): the graph must read the same on a server without them.
    prefix = ""
    if message.delay_seconds:
        prefix += f"[{message.delay_seconds}s] "
    suffix = ""
    if message.wait_for_file:
        suffix += (
            " ["
            + _("file")
            + (": " + ",".join(message.expected_file_types) if message.expected_file_types else "")
            + "]"
        )
    elif message.wait_for_response:
        suffix += " [" + _("reply") + "]"
    if message.save_reply_as:
        suffix += f" → {message.save_reply_as}"
    lines = [f"{prefix}{text}{suffix}"]
    if message.action:
        lines.append(f"   ⚙ {message.action}")
    return lines


def _fingerprint(subflow) -> tuple:
    return (
        subflow.name,
        subflow.flow_id,
        subflow.order_index,
        subflow.trigger_keywords,
        subflow.parent_subflow_id,
        subflow.messages,
    )


def _node(flow, subflow, status="") -> GraphNode:
    lines = []
    for message in subflow.messages:
        lines += _message_line(message)
    if not lines:
        lines = [_("(no active message)")]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], _("… %(n)d more lines") % {"n": len(lines) - MAX_LINES + 1}]
    return GraphNode(subflow.id, flow.id, flow.name, subflow.name, subflow.trigger_keywords, lines, status)


def graph_build(
    snapshot: TemplateSnapshot | None,
    *,
    compare: TemplateSnapshot | None = None,
    issues: list[Issue] = (),
    current_subflow_id: int | None = None,
    figures: dict[int, dict] | None = None,
) -> Graph:
    """The graph of `snapshot`, compared with `compare` when given (added/changed/removed)."""
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    flows = snapshot.flows if snapshot else ()
    before = {}
    if compare is not None:
        for flow in compare.flows:
            for subflow in flow.subflows:
                before[subflow.id] = (flow, subflow)
    column_of = {}
    for flow in flows:
        column_of[flow.id] = len(column_of)
        for subflow in flow.subflows:
            status = ""
            if compare is not None:
                old = before.get(subflow.id)
                status = "added" if old is None else "changed" if _fingerprint(old[1]) != _fingerprint(subflow) else ""
            nodes.append(_node(flow, subflow, status))
    shown = {n.id for n in nodes}
    for old_flow, old_subflow in before.values():
        if old_subflow.id not in shown:
            column_of.setdefault(old_flow.id, len(column_of))
            nodes.append(_node(old_flow, old_subflow, "removed"))
    by_id = {n.id: n for n in nodes if n.status != "removed"}
    for issue in issues:
        node = by_id.get(issue.subflow_id)
        if node is None:
            continue
        node.problems.append(issue.message)
        if issue.code == "unreachable":
            node.marks.add("unreachable")
        elif issue.code == "dead_end_wait":
            node.marks.add("dead-end")
        else:
            node.marks.add("error")
    if current_subflow_id in by_id:
        by_id[current_subflow_id].marks.add("current")
    for node_id, numbers in (figures or {}).items():
        if node_id in by_id:
            by_id[node_id].figures = numbers

    if snapshot is not None and snapshot.flows:
        turn = _Turn(snapshot, {}, datetime.now(UTC))
        start = flow_start(snapshot.default_flow())
        if start is not None:
            edges.append(GraphEdge("start", start.subflow_id, "start"))
        for flow in snapshot.flows:
            for subflow in flow.subflows:
                if subflow.trigger_keywords and subflow.messages:
                    edges.append(GraphEdge("keywords", subflow.id, "keyword", ", ".join(subflow.trigger_keywords)))
                if not subflow.messages:
                    continue
                following = turn.after_subflow(subflow)
                if following is not None:
                    kind = "return" if following.subflow_id == subflow.parent_subflow_id else "next"
                    edges.append(GraphEdge(str(subflow.id), following.subflow_id, kind))

    # Layout: one column per flow, subflows top to bottom in play order.
    heights = {}
    for node in nodes:
        column = column_of.get(node.flow_id, 0)
        node.height = HEADER + LINE * (len(node.lines) + (1 if node.keywords else 0) + (1 if node.figures else 0)) + 8
        node.x = 40 + column * (NODE_WIDTH + COLUMN_GAP)
        node.y = heights.get(column, TOP)
        heights[column] = node.y + node.height + NODE_GAP
    width = 80 + max(1, len(column_of)) * (NODE_WIDTH + COLUMN_GAP)
    height = max(heights.values(), default=TOP + 40) + 20
    return Graph(nodes=nodes, edges=edges, width=width, height=height)


def _text(x, y, text, css="") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x}" y="{y}"{cls}>{escape(text)}</text>'


def graph_svg(graph: Graph, *, href=None) -> str:
    """The SVG markup of `graph`; `href(node_id)` makes each node a link (to its editor)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" viewBox="0 0 {graph.width} {graph.height}" '
        f'width="{graph.width}" height="{graph.height}" role="img" aria-label="{escape(_("Flow graph"))}">',
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head"/></marker></defs>',
    ]
    by_id = {n.id: n for n in graph.nodes if n.status != "removed"}
    start_x, keywords_x = 40, 40 + NODE_WIDTH // 2 + 20
    out.append(
        f'<g class="entry entry-start"><rect x="{start_x}" y="14" width="110" height="26" rx="13"/>'
        + _text(start_x + 14, 32, "▶ " + _("Start"))
        + "</g>"
    )
    if any(e.kind == "keyword" for e in graph.edges):
        out.append(
            f'<g class="entry entry-keywords"><rect x="{keywords_x}" y="14" width="150" height="26" rx="13"/>'
            + _text(keywords_x + 12, 32, "# " + _("Keywords"))
            + "</g>"
        )
    for edge in graph.edges:
        target = by_id.get(edge.target)
        if target is None:
            continue
        tx, ty = target.x + NODE_WIDTH // 2, target.y
        if edge.kind == "start":
            sx, sy = start_x + 55, 40
            path = f"M {sx} {sy} C {sx} {ty - 20}, {tx} {sy + 20}, {tx} {ty}"
        elif edge.kind == "keyword":
            sx, sy = keywords_x + 150, 27
            tx, ty = target.x + NODE_WIDTH, target.y + 12
            path = f"M {sx} {sy} C {sx + 60} {sy}, {tx + 60} {ty}, {tx} {ty}"
        else:
            source = by_id.get(int(edge.source))
            if source is None:
                continue
            sx, sy = source.x + NODE_WIDTH // 2, source.y + source.height
            if edge.kind == "return" or ty < sy:
                # Back up the page (a return): around the left side.
                sx, sy = source.x, source.y + source.height - 10
                tx, ty = target.x, target.y + 12
                path = f"M {sx} {sy} C {sx - 45} {sy}, {tx - 45} {ty}, {tx} {ty}"
            else:
                path = f"M {sx} {sy} C {sx} {sy + 25}, {tx} {ty - 25}, {tx} {ty}"
        out.append(f'<path class="edge edge-{edge.kind}" d="{path}" marker-end="url(#arrow)"/>')
        if edge.label:
            out.append(_text(tx + 8, ty - 4, "# " + edge.label, "edge-label"))
    for node in graph.nodes:
        classes = " ".join(["node", "node-subflow", node.status, *sorted(node.marks)]).strip()
        title = node.name
        if node.problems:
            title += "\n" + "\n".join(node.problems)
        if node.status:
            title += "\n" + {"added": _("added"), "changed": _("changed"), "removed": _("removed")}[node.status]
        group = [
            f'<g class="{classes}" id="graph-subflow-{node.id}" data-subflow="{node.id}" data-status="{node.status}">',
            f"<title>{escape(title)}</title>",
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{node.height}" rx="8"/>',
            f'<rect class="node-header" x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{HEADER}" rx="8"/>',
        ]
        badge = {"added": "+", "changed": "±", "removed": "−"}.get(node.status, "")
        name = f"{badge} {node.name}".strip()
        if "unreachable" in node.marks:
            name += " ⚠"
        if "dead-end" in node.marks:
            name += " ✖"
        group.append(_text(node.x + 10, node.y + 17, name, "node-title"))
        y = node.y + HEADER + 14
        if node.keywords:
            group.append(_text(node.x + 10, y, "# " + ", ".join(node.keywords), "node-keywords"))
            y += LINE
        for line in node.lines:
            group.append(
                _text(node.x + 10, y, line, "node-line action" if line.lstrip().startswith("⚙") else "node-line")
            )
            y += LINE
        if node.figures:
            group.append(
                _text(
                    node.x + 10,
                    y,
                    _("%(reached)d reached · %(stopped)d stopped here") % node.figures,
                    "node-figures",
                )
            )
        group.append("</g>")
        markup = "".join(group)
        if href is not None and node.status != "removed":
            markup = f'<a href="{escape(href(node.id))}">{markup}</a>'
        out.append(markup)
    out.append("</svg>")
    return "".join(out)


def version_snapshot_load(*, template_id: int, version: int | None) -> TemplateSnapshot | None:
    """The draft (`version=None`, its active parts) or the stored published `version` of a
    template, active or not. Runs inside the company scope."""
    if version is None:
        rows = template_rows_load(template_id=template_id, active_template_only=False)
    else:
        rows = (
            FlowVersion.objects.filter(template_id=template_id, number=version)
            .values_list("snapshot", flat=True)
            .first()
        )
    return snapshot_from_rows(template_id, rows or {})


def template_graph_load(
    *,
    template_id: int,
    version: int | None = None,
    compare_version: int | None = None,
    current_subflow_id: int | None = None,
    figures: dict[int, dict] | None = None,
) -> Graph:
    """The graph of the draft or of published `version`, compared with `compare_version` when given,
    with the checker's marks. Runs inside the company scope."""
    shown = version_snapshot_load(template_id=template_id, version=version)
    compare = None
    if compare_version:
        compare = version_snapshot_load(template_id=template_id, version=compare_version) or TemplateSnapshot(id=0)
    return graph_build(
        shown,
        compare=compare,
        issues=check_snapshot(shown),
        current_subflow_id=current_subflow_id,
        figures=figures,
    )
