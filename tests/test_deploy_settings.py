"""Settings loaded in a fresh process with only the variables given (production, plus base/local for .env handling)."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.settings_probe import probe

REPO = Path(__file__).resolve().parent.parent
SENTRY_TEST_DSN = "https://publickey@127.0.0.1:9/1"  # port 9 (discard): nothing is ever sent in these tests
BASE, LOCAL, PRODUCTION = "config.settings.base", "config.settings.local", "config.settings.production"
SQLITE_BROKER = "sqla+sqlite:///{var}/celery-broker.sqlite3"


def production_variables(directory: Path) -> dict:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(directory),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "balcao.example.com",
        "CRED_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BALCAO_VAR_DIR": str(directory / "var"),
    }


@pytest.fixture
def production_env(tmp_path) -> dict:
    return production_variables(tmp_path)


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def deploy_commands(tmp_path_factory) -> dict:
    """One production process: django.setup(), then `check --deploy` (security tag, then every tag) and
    `spectacular --validate`, each reported as {returncode, stdout, stderr}; plus whether setup imported Sentry."""
    directory = tmp_path_factory.mktemp("deploy-commands")
    schema_file = directory / "schema.yml"
    process = probe("commands", str(schema_file), env=production_variables(directory), stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return {**json.loads(stdout), "schema_file": schema_file}


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_django_security_deploy_checks_are_clean(deploy_commands):
    result = deploy_commands["check_security"]

    assert result["returncode"] == 0, result["stderr"]
    assert "System check identified no issues (0 silenced)." in result["stdout"]


def test_check_deploy_reports_no_issues(deploy_commands):
    # Every tag, drf-spectacular's schema check (drf_spectacular.W001, run only with --deploy) included.
    result = deploy_commands["check_all"]

    assert result["returncode"] == 0, result["stderr"]
    assert "System check identified no issues (0 silenced)." in result["stdout"]


def test_openapi_schema_generates_valid_and_without_warnings(deploy_commands):
    schema_file = deploy_commands["schema_file"]

    result = deploy_commands["spectacular"]

    assert result["returncode"] == 0, result["stderr"]
    schema = schema_file.read_text()
    # Fixed names instead of hash-suffixed ones (ENUM_NAME_OVERRIDES), one id per simulate endpoint.
    for name in (
        "SaleSourceEnum:",
        "OrderStatusEnum:",
        "operationId: flows_simulate_template",
        "operationId: flows_simulate_flow",
    ):
        assert name in schema


def test_https_is_enforced(read_settings, production_env):
    values = read_settings(
        production_env,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "ALLOWED_HOSTS",
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "ALLOWED_HOSTS": ["balcao.example.com"],
    }


def test_debug_stays_off_even_when_asked(read_settings, production_env):
    values = read_settings({**production_env, "DJANGO_DEBUG": "true"}, "DEBUG")

    assert values == {"DEBUG": False}


@pytest.mark.parametrize("configured", [None, ""])
def test_csrf_trusted_origins_default_to_https_on_the_allowed_hosts(read_settings, production_env, configured):
    env = {**production_env, "DJANGO_ALLOWED_HOSTS": "balcao.example.com,.lojas.example.org"}
    if configured is not None:
        env["DJANGO_CSRF_TRUSTED_ORIGINS"] = configured  # an empty line copied from .env.example

    values = read_settings(env, "CSRF_TRUSTED_ORIGINS")

    assert values == {"CSRF_TRUSTED_ORIGINS": ["https://balcao.example.com", "https://*.lojas.example.org"]}


def test_explicit_csrf_trusted_origins_win(read_settings, production_env):
    env = {**production_env, "DJANGO_CSRF_TRUSTED_ORIGINS": "https://painel.example.com"}

    assert read_settings(env, "CSRF_TRUSTED_ORIGINS") == {"CSRF_TRUSTED_ORIGINS": ["https://painel.example.com"]}


@pytest.mark.parametrize(
    "module, variables, broker, visibility_timeout",
    [
        # The empty line of .env.example counts as unset: REDIS_URL, else the SQLite broker under var/.
        *[
            (module, {"REDIS_URL": "redis://redis:6379/0", "CELERY_BROKER_URL": ""}, "redis://redis:6379/0", True)
            for module in (BASE, LOCAL, PRODUCTION)
        ],
        *[(module, {"REDIS_URL": "", "CELERY_BROKER_URL": ""}, SQLITE_BROKER, False) for module in (BASE, PRODUCTION)],
        (BASE, {}, SQLITE_BROKER, False),
        (BASE, {"REDIS_URL": "redis://redis:6379/0", "CELERY_BROKER_URL": "amqp://rabbit//"}, "amqp://rabbit//", False),
        # A Redis broker gets its visibility timeout even when the cache is not on Redis.
        (BASE, {"CELERY_BROKER_URL": "redis://broker:6379/1"}, "redis://broker:6379/1", True),
    ],
)
def test_empty_broker_line_falls_back_in_every_settings_module(
    read_settings, production_env, module, variables, broker, visibility_timeout
):
    env = {**production_env, "DJANGO_SETTINGS_MODULE": module, **variables}

    values = read_settings(env, "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS")

    assert values["CELERY_BROKER_URL"] == broker.format(var=production_env["BALCAO_VAR_DIR"])
    assert ("visibility_timeout" in values["CELERY_BROKER_TRANSPORT_OPTIONS"]) is visibility_timeout


@pytest.mark.parametrize(
    "module, configured, disabled",
    [(BASE, None, False), (BASE, "", False), (BASE, "false", False), (BASE, "true", True), (PRODUCTION, "true", True)],
)
def test_server_side_cursors_can_be_disabled_for_a_transaction_pooler(
    read_settings, production_env, module, configured, disabled
):
    env = {**production_env, "DJANGO_SETTINGS_MODULE": module, "DATABASE_URL": "postgres://u:p@pooler:6543/balcao"}
    if configured is not None:
        env["DB_DISABLE_SERVER_SIDE_CURSORS"] = configured

    database = read_settings(env, "DATABASES")["DATABASES"]["default"]

    assert database["HOST"] == "pooler"
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is disabled


@pytest.mark.parametrize("configured, debug", [(None, True), ("", True), ("false", False)])
def test_local_debug_treats_an_empty_line_as_unset(read_settings, production_env, configured, debug):
    env = {**production_env, "DJANGO_SETTINGS_MODULE": LOCAL}
    if configured is not None:
        env["DJANGO_DEBUG"] = configured

    assert read_settings(env, "DEBUG") == {"DEBUG": debug}


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "CRED_ENCRYPTION_KEY"])
def test_required_variables_fail_loudly(production_env, missing):
    env = {k: v for k, v in production_env.items() if k != missing}

    result = run_python("import django; django.setup()", env)

    assert result.returncode == 1
    assert f"Set the {missing} environment variable" in result.stderr


def test_sentry_stays_unimported_without_a_dsn(deploy_commands):
    assert deploy_commands["sentry_imported"] is False


def test_sentry_with_a_dsn_sends_no_pii_and_redacts_events(production_env):
    env = {**production_env, "SENTRY_DSN": SENTRY_TEST_DSN}
    code = """
import json, django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
event = client.options["before_send"](
    {"message": "order from +5511987654321", "extra": {"api_token": "tok_123", "step": "pay"}}, {}
)
print(json.dumps({
    "active": client.is_active(),
    "pii": client.options["send_default_pii"],
    "environment": client.options["environment"],
    "integrations": sorted(client.integrations),
    "event": event,
}))
"""
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["active"] is True
    assert report["pii"] is False
    assert report["environment"] == "production"
    assert {"django", "celery"} <= set(report["integrations"])
    assert report["event"] == {"message": "order from +551********21", "extra": {"api_token": "***", "step": "pay"}}


def test_collectstatic_as_in_the_dockerfile_writes_hashed_files(tmp_path):
    # The Dockerfile's build step: placeholder secrets, no database, hashed and compressed output.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "collectstatic-only",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "CRED_ENCRYPTION_KEY": "collectstatic-only",
        "BALCAO_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }

    result = manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    assert (tmp_path / "static" / hashed).is_file()
    assert (tmp_path / "static" / f"{hashed}.gz").is_file()
    assert not (tmp_path / "var").exists()
