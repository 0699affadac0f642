"""A child process that reports settings to tests/test_deploy_settings.py as JSON.

`python -m tests.settings_probe read`: reads JSON requests, one a line, `{"env": {...}, "names": [...]}`,
and answers each with a line `{"values": {name: value}}` or `{"error": "<class>: <message>"}`. Each
request imports the settings module named by its DJANGO_SETTINGS_MODULE afresh, under exactly that
environment (os.environ replaced, the `config` settings modules dropped from sys.modules), the way a
new process would import it: one process serves many environments of a settings module.

`python -m tests.settings_probe commands <schema file>`: django.setup() under its own environment,
then the deploy checks and the schema generation, each as `manage.py <args>` would run them.

The test side: `probe(...)` starts one, `SettingsReader` (the `read_settings` fixture) asks it.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import django
from django.conf import Settings
from django.core.management import ManagementUtility

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {
    "check_security": ["check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
    "check_all": ["check", "--deploy", "--fail-level", "WARNING"],
    "spectacular": ["spectacular", "--validate", "--fail-on-warn", "--file"],
}


def fresh_settings(env: dict) -> Settings:
    os.environ.clear()
    os.environ.update(env)
    for name in [n for n in sys.modules if n == "config.env" or n.startswith("config.settings")]:
        del sys.modules[name]
    return Settings(env["DJANGO_SETTINGS_MODULE"])


def answer(request: dict) -> dict:
    try:
        settings = fresh_settings(request["env"])
        return {"values": {name: getattr(settings, name) for name in request["names"]}}
    except Exception as error:  # noqa: BLE001 - the test asserts on what a fresh process would raise
        return {"error": f"{type(error).__name__}: {error}"}


def read() -> None:
    for line in sys.stdin:
        print(json.dumps(answer(json.loads(line)), default=str), flush=True)


def manage(*args: str) -> dict:
    """`manage.py <args>` in this process: its exit code, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    returncode = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            ManagementUtility(["manage.py", *args]).execute()
        except SystemExit as exit_:
            returncode = exit_.code if isinstance(exit_.code, int) else 1
    return {"returncode": returncode, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def commands(schema_file: str) -> None:
    django.setup()
    report = {"sentry_imported": "sentry_sdk" in sys.modules}  # before any command imports more
    for key, args in COMMANDS.items():
        report[key] = manage(*args, *([schema_file] if key == "spectacular" else []))
    print(json.dumps(report))


def probe(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.settings_probe", *args], cwd=REPO, text=True, stdout=subprocess.PIPE, **kwargs
    )


class SettingsReader:
    """Settings as a fresh process would load them under an environment, read by one long-lived
    `read` process per settings module instead of one process per environment."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.processes: dict[str, subprocess.Popen] = {}

    def __call__(self, env: dict, *names: str) -> dict:
        module = env["DJANGO_SETTINGS_MODULE"]
        if module not in self.processes:
            home = {"PATH": "/usr/bin:/bin", "HOME": str(self.directory)}
            self.processes[module] = probe("read", stdin=subprocess.PIPE, env=home)
        process = self.processes[module]
        process.stdin.write(json.dumps({"env": env, "names": list(names)}) + "\n")
        process.stdin.flush()
        answer = json.loads(process.stdout.readline() or '{"error": "the settings probe exited"}')
        if "error" in answer:
            raise AssertionError(answer["error"])
        return answer["values"]

    def close(self) -> None:
        for process in self.processes.values():
            process.stdin.close()
            if process.wait(timeout=30) != 0:
                raise AssertionError(f"settings probe exited with {process.returncode}")


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read()
    else:
        commands(sys.argv[2])
