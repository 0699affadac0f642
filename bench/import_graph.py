"""App-level import graph of the project's non-test code, and the cycles among domain apps.

Counts every import statement (module level and inside functions) and every string literal that
names another app's module ("flows.services.run" as a dotted path), so an edge hidden behind a
local import or ``import_string`` is still an edge. Migrations and tests are left out: they are
history and harness, not the running code.

    python bench/import_graph.py          # prints the edges, then "no cycle" or the cycles; exit 1 on a cycle
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("customers", "catalog", "conversations", "flows", "carts", "orders", "leads", "console", "privacy")
GROUND = ("config", "tenants", "integrations", "exports")
APPS = GROUND + DOMAIN_APPS
# The composition root wires every app together on purpose (settings, URLs, beat schedule, health page).
COMPOSITION_ROOT = ("config/settings", "config/urls.py", "config/api_router.py", "config/beat.py", "config/health.py")
DOTTED = re.compile(r"^(" + "|".join(APPS) + r")(\.[a-z_][a-z0-9_]*)+$")


def source_files(root: Path = ROOT):
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/migrations/" in rel or "/tests/" in rel or rel.startswith(COMPOSITION_ROOT):
                continue
            yield app, rel, path


def imported_apps(tree: ast.AST):
    """Yield (app, line) for each import or dotted-path string naming a project app."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.match(node.value):
            yield node.value.split(".")[0], node.lineno


def app_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """{app: {imported app: ["file:line", ...]}} over non-test code."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for app, rel, path in source_files(root):
        for target, line in imported_apps(ast.parse(path.read_text(), rel)):
            if target in APPS and target != app:
                graph[app][target].append(f"{rel}:{line}")
    return graph


def domain_cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one domain app (Tarjan)."""
    nodes = [a for a in DOMAIN_APPS]
    edges = {a: [b for b in graph.get(a, {}) if b in DOMAIN_APPS] for a in nodes}
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return result


def main() -> int:
    graph = app_graph()
    for app in APPS:
        targets = graph.get(app, {})
        if targets:
            listed = ", ".join(f"{t} ({len(targets[t])})" for t in sorted(targets))
            print(f"{app} -> {listed}")
    cycles = domain_cycles(graph)
    if not cycles:
        print("no cycle among domain apps")
        return 0
    for cycle in cycles:
        print("cycle: " + " <-> ".join(cycle))
        for app in cycle:
            for target in cycle:
                for where in graph.get(app, {}).get(target, []):
                    print(f"  {app} -> {target}  {where}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
