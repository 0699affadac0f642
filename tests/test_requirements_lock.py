"""The lock files, read statically: every installed package pinned with its hashes, in step with the
requirements files they are compiled from (`make lock`), and the ones make and the Dockerfile install."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, its `-r` includes followed (backslash continuations joined)."""
    lines = []
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line.removeprefix("-r ").strip())
        elif line and not line.startswith("-"):
            lines.append(line)
    return lines


def pins(path: Path) -> dict[str, str]:
    return {normalized(m[1]): m[2] for m in map(PIN.match, requirement_lines(path)) if m}


def test_requirements_files_pin_each_package_exactly():
    for source in SOURCES:
        loose = [line for line in requirement_lines(REPO / source) if not PIN.match(line)]

        assert loose == [], f"{source}: pin with ==, e.g. requests==2.32.5"


def test_each_lock_holds_the_pins_of_its_requirements_file():
    for source, lock in SOURCES.items():
        locked = pins(REPO / lock)
        stale = {name: version for name, version in pins(REPO / source).items() if locked.get(name) != version}

        assert stale == {}, f"{lock} is older than {source}: run `make lock` and commit both"


def test_every_locked_package_is_pinned_with_a_hash():
    for lock in SOURCES.values():
        entries = requirement_lines(REPO / lock)

        assert len(entries) > 20
        assert [entry for entry in entries if not (PIN.match(entry) and "--hash=sha256:" in entry)] == []


def test_runtime_lock_has_the_versions_ci_tested():
    runtime, dev = pins(REPO / "requirements.lock"), pins(REPO / "requirements-dev.lock")

    assert {name: dev.get(name) for name in runtime} == runtime


def test_make_and_the_image_install_the_locks_with_hashes():
    makefile = (REPO / "Makefile").read_text()
    dockerfile = (REPO / "Dockerfile").read_text()

    assert re.search(r"^\$\(STAMP\): requirements\.lock requirements-dev\.lock$", makefile, re.M)
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "COPY requirements.lock /tmp/requirements.lock" in dockerfile
    assert "pip install --require-hashes --requirement /tmp/requirements.lock" in dockerfile
