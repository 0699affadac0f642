"""Every cross-company door is explicit and explained, so a review can find them all with one grep."""

import re
from pathlib import Path

from django.conf import settings

UNSCOPED_CALL = re.compile(r"\.unscoped\(\)(?!\.\")")
SKIPPED_DIRS = {".venv", "migrations", "node_modules", "staticfiles", "var"}


def project_python_files():
    root = Path(settings.BASE_DIR)
    for path in root.rglob("*.py"):
        parts = set(path.relative_to(root).parts)
        if parts & SKIPPED_DIRS or "tests" in parts or path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield root, path


def test_every_unscoped_call_says_why_on_the_same_line():
    unexplained = []
    for root, path in project_python_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if UNSCOPED_CALL.search(line) and "# unscoped:" not in line and "def unscoped" not in line:
                unexplained.append(f"{path.relative_to(root)}:{number}")

    assert unexplained == [], "add '# unscoped: <reason>' to each line"


def test_row_locks_are_taken_only_through_lock_objects_modules():
    """Every SELECT ... FOR UPDATE is a named, pk-ordered queryset of an app's lock_objects.py."""
    strays = []
    for root, path in project_python_files():
        if path.name == "lock_objects.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if ".select_for_update(" in line:
                strays.append(f"{path.relative_to(root)}:{number}")

    assert strays == [], "lock rows through <app>/lock_objects.py (<model>_qs_select_for_update)"
