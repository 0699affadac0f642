"""The app layers hold: the import-linter contract, no hidden dotted-path imports, no cycle."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from bench import import_graph

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_contract_holds_on_the_code_base():
    result = _lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_planted_upward_import_breaks_the_contract(tmp_path):
    """conversations must not know flows: a local (function-level) import of flows is caught too."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "var", "staticfiles", "__pycache__", "node_modules")
    )
    processing = copy / "conversations" / "processing.py"
    processing.write_text(processing.read_text() + "\n\ndef _planted():\n    from flows import models  # noqa\n")

    result = _lint_imports(copy)

    assert result.returncode == 1
    assert "conversations.processing -> flows.models" in result.stdout


def test_no_app_reaches_another_through_a_dotted_path_string():
    """import_string("app.module.name") is an import the contract cannot see: none in the code."""
    apps = import_graph.APPS
    found = []
    for app, rel, path in import_graph.source_files():
        tree = ast.parse(path.read_text(), rel)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Name | ast.Attribute)
                and getattr(node, "id", getattr(node, "attr", "")) == "import_string"
            ):
                found.append(f"{rel}:{node.lineno} import_string")
        for target, line in import_graph.imported_apps(tree):
            if target in apps and target != app and _is_string_at(tree, line, target):
                found.append(f"{rel}:{line} names {target}")

    assert found == []


def _is_string_at(tree, line: int, target: str) -> bool:
    return any(
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.lineno == line
        and import_graph.DOTTED.match(node.value)
        and node.value.split(".")[0] == target
        for node in ast.walk(tree)
    )


def test_the_import_graph_script_finds_no_cycle_among_domain_apps():
    result = subprocess.run(
        [sys.executable, "bench/import_graph.py"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stdout
    assert result.stdout.rstrip().endswith("no cycle among domain apps")


def test_the_import_graph_script_reports_a_cycle():
    graph = {"carts": {"orders": ["carts/x.py:1"]}, "orders": {"carts": ["orders/y.py:2"]}}

    assert import_graph.domain_cycles(graph) == [["carts", "orders"]]
