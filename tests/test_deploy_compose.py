"""docker-compose.prod.yml, the Dockerfile and the nginx config, read statically (no Docker daemon here)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from deploy import probe
from integrations.messaging import registry

REPO = Path(__file__).resolve().parent.parent
NGINX = REPO / "deploy" / "nginx"
DJANGO_SERVICES = ("web", "worker-messaging", "worker-default", "worker-imports", "beat")
WORKERS = ("worker-messaging", "worker-default", "worker-imports")
# Compose interpolation (${VAR}, ${VAR:-x}, ${VAR:?msg}); $$VAR is an escaped container variable.
INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)")
# ${VAR:-default} / ${VAR:?message}, as compose resolves them when VAR is not set.
DEFAULTED = re.compile(r"\$\{[A-Z][A-Z0-9_]*(?::-([^}]*)|:\?[^}]*)\}")

# Stand-ins for gunicorn and celery: record argv, then wait until every expected process has
# started (bin/run-all stops the others as soon as one exits).
FAKE_PROGRAM = """#!{python}
import json, os, sys, time
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    with open(os.environ["FAKE_LOG"]) as log:
        if len(log.readlines()) >= int(os.environ["FAKE_EXPECT"]):
            break
    time.sleep(0.05)
"""


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.prod.yml").read_text())


def service_env(service: dict) -> dict:
    return service.get("environment") or {}


def nginx_size_bytes(value: str) -> int:
    """nginx size syntax: 512, 512k, 3m (binary units)."""
    units = {"k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024}
    suffix = value[-1].lower()
    return int(value[:-1]) * units[suffix] if suffix in units else int(value)


def location_block(config: str, prefix: str) -> str:
    match = re.search(rf"location {re.escape(prefix)} \{{(.*?)\}}", config, re.DOTALL)
    assert match, f"no 'location {prefix}' in nginx config"
    return match.group(1)


def test_every_service_is_defined(compose):
    assert set(compose["services"]) == {*DJANGO_SERVICES, "postgres", "redis", "nginx"}


@pytest.mark.parametrize("name", [*DJANGO_SERVICES, "postgres", "redis", "nginx"])
def test_every_service_has_a_healthcheck(compose, name):
    healthcheck = compose["services"][name]["healthcheck"]

    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
    assert len(healthcheck["test"]) > 1
    assert healthcheck["interval"]
    assert healthcheck["retries"] >= 1


def test_web_healthcheck_gets_health_endpoint(compose):
    assert compose["services"]["web"]["healthcheck"]["test"] == ["CMD", "python", "-m", "deploy.probe", "web"]
    assert probe.WEB_HEALTH_URL == "http://127.0.0.1:8000/health/"


def test_processes_are_the_bin_scripts_make_run_starts(compose):
    services = compose["services"]

    assert services["web"]["command"] == "bin/web"
    assert services["beat"]["command"] == "bin/beat"
    assert [services[name]["command"] for name in WORKERS] == ["bin/worker"] * 3
    assert service_env(services["web"])["BIND"] == "0.0.0.0:8000"
    for script in ("web", "worker", "beat"):
        assert os.access(REPO / "bin" / script, os.X_OK)
    run_all = (REPO / "bin" / "run-all").read_text()
    assert all(f"bin/{script} &" in run_all for script in ("web", "worker", "beat"))


def test_make_run_starts_bin_run_all_and_the_image_runs_bin_web(compose):
    run_recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.MULTILINE).group(1)
    dockerfile = (REPO / "Dockerfile").read_text()

    assert run_recipe.strip().endswith("bin/run-all")
    assert 'CMD ["bin/web"]' in dockerfile
    # The entrypoint passes the command through unchanged; no service replaces it.
    assert 'exec "$@"' in (REPO / "deploy" / "entrypoint.sh").read_text()
    assert not any("entrypoint" in service for service in compose["services"].values())


@pytest.fixture
def run_processes(tmp_path):
    """Runs a script of the repository with stand-in gunicorn/celery; returns the argv they got."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("gunicorn", "celery"):
        (bin_dir / name).write_text(FAKE_PROGRAM.format(python=sys.executable))
        (bin_dir / name).chmod(0o755)
    # The entrypoint calls `python`: this interpreter (a symlink would lose the virtualenv).
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    log = tmp_path / "processes.log"

    def run(*command: str, expect: int = 1, env: dict | None = None) -> list[list[str]]:
        log.write_text("")
        result = subprocess.run(
            list(command),
            cwd=REPO,
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "FAKE_EXPECT": str(expect), **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return sorted(json.loads(line) for line in log.read_text().splitlines())

    return run


def resolved_env(service: dict) -> dict:
    """The service's environment as compose passes it with nothing set in .env."""
    return {
        key: DEFAULTED.sub(lambda m: m.group(1) or "set", str(value)) for key, value in service_env(service).items()
    }


BEAT = ["celery", "-A", "config", "beat", "--loglevel", "INFO", "--pidfile="]


def worker(queues: str, concurrency: str) -> list[str]:
    return ["celery", "-A", "config", "worker", "--queues", queues, "--concurrency", concurrency, "--loglevel", "INFO"]


def web(bind: str) -> list[str]:
    return [
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        "2",
        "--timeout",
        "30",
        "--graceful-timeout",
        "3",
        "--access-logfile",
        "-",
        "--logger-class",
        "config.gunicorn_logging.MaskingLogger",  # webhook keys and URL tokens masked
    ]


def test_make_run_and_the_compose_services_start_the_same_programs(compose, run_processes):
    local = run_processes("bin/run-all", expect=3)

    all_queues = ",".join(queue.name for queue in settings.CELERY_TASK_QUEUES)
    assert local == sorted([web("127.0.0.1:8000"), worker(all_queues, "2"), BEAT])

    services = compose["services"]
    production = {
        name: run_processes(services[name]["command"], env=resolved_env(services[name])) for name in DJANGO_SERVICES
    }
    assert production == {
        "web": [web("0.0.0.0:8000")],
        "worker-messaging": [worker("webhooks,outbound", "4")],
        "worker-default": [worker("default,maintenance", "2")],
        "worker-imports": [worker("imports", "1")],
        "beat": [BEAT],
    }


def test_the_image_entrypoint_runs_its_command_unchanged(run_processes):
    # No DATABASE_URL: the entrypoint's wait for PostgreSQL returns at once.
    assert run_processes("deploy/entrypoint.sh", "bin/web", env={"BIND": "0.0.0.0:8000"}) == [web("0.0.0.0:8000")]


def test_workers_together_consume_every_queue_exactly_once(compose):
    queues = [q for name in WORKERS for q in service_env(compose["services"][name])["CELERY_QUEUES"].split(",")]

    assert sorted(queues) == sorted(queue.name for queue in settings.CELERY_TASK_QUEUES)
    assert {"default", "webhooks", "outbound", "imports"} <= set(queues)


def test_django_services_share_the_x_django_definition(compose):
    anchor = compose["x-django"]
    services = compose["services"]

    for name in DJANGO_SERVICES:
        for key in ("build", "image", "env_file", "volumes", "depends_on", "restart"):
            assert services[name][key] == anchor[key], (name, key)
        env = service_env(services[name])
        assert {k: env[k] for k in anchor["environment"]} == anchor["environment"], name
    assert anchor["env_file"] == ".env"
    assert anchor["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert anchor["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_database_media_and_backup_volumes_are_mounted(compose):
    services = compose["services"]

    assert {"postgres_data", "media"} <= set(compose["volumes"])
    assert "postgres_data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    # Backups: a host directory, the same default deploy.sh writes to.
    assert "${BACKUP_DIR:-./var/backups}:/backups" in services["postgres"]["volumes"]
    assert "setting BACKUP_DIR ./var/backups" in (REPO / "deploy.sh").read_text()
    for name in DJANGO_SERVICES:
        assert "media:/srv/media" in services[name]["volumes"]
        assert service_env(services[name])["MEDIA_ROOT"] == "/srv/media"


def test_every_interpolated_variable_is_documented_in_env_example():
    used = set(INTERPOLATED.findall((REPO / "docker-compose.prod.yml").read_text()))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), re.MULTILINE))

    assert used
    assert used - documented == set()


def test_nginx_mounts_exist_in_the_repository(compose):
    mounts = [v.split(":")[0] for v in compose["services"]["nginx"]["volumes"] if v.startswith("./")]

    assert mounts
    for source in mounts:
        assert (REPO / source).exists(), source
    assert os.access(NGINX / "40-balcao-tls.sh", os.X_OK)


def test_nginx_templates_only_use_variables_nginx_is_given(compose):
    given = set(service_env(compose["services"]["nginx"]))
    used = set()
    for template in (NGINX / "templates").glob("*.template"):
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", template.read_text()))

    assert used == {"NGINX_SERVER_NAME"}
    assert used <= given


def test_nginx_webhook_body_limit_fits_the_largest_provider():
    app = (NGINX / "app.conf").read_text()
    largest_provider_body = max(registry.max_body_bytes(name) for name, _ in registry.PROVIDER_CHOICES)

    webhook_limit = re.search(r"client_max_body_size (\S+);", location_block(app, "/webhook/")).group(1)
    elsewhere = re.match(r".*?^client_max_body_size (\S+);", app, re.DOTALL | re.MULTILINE).group(1)

    assert webhook_limit == "3m"
    assert nginx_size_bytes(webhook_limit) == largest_provider_body == 3 * 1024 * 1024
    assert nginx_size_bytes(webhook_limit) >= settings.MAX_WEBHOOK_BODY_BYTES
    assert nginx_size_bytes(elsewhere) < nginx_size_bytes(webhook_limit)


def test_nginx_proxies_with_timeouts_and_forwarded_proto():
    proxy = (NGINX / "proxy.conf").read_text()
    app = (NGINX / "app.conf").read_text()

    assert "proxy_pass http://balcao_web;" in proxy
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    assert re.search(r"proxy_read_timeout (\d+)s;", proxy).group(1) == "60"
    assert "return 404;" in location_block(app, "/media/")
    for prefix in ("/webhook/", "/static/", "/"):
        assert "include /etc/nginx/balcao/proxy.conf;" in location_block(app, prefix)


def test_nginx_https_site_uses_the_certificate_of_the_server_name():
    https = (NGINX / "templates" / "balcao-https.conf.template").read_text()

    assert "ssl_certificate /etc/letsencrypt/live/${NGINX_SERVER_NAME}/fullchain.pem;" in https
    assert "return 301 https://$host$request_uri;" in https
    assert "include /etc/nginx/balcao/app.conf;" in (NGINX / "templates" / "balcao-http.conf.template").read_text()


def test_dockerfile_is_slim_non_root_with_collected_static_files():
    dockerfile = (REPO / "Dockerfile").read_text()

    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert "USER balcao" in dockerfile
    assert dockerfile.index("collectstatic --noinput") < dockerfile.index("USER balcao")
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    assert 'CMD ["bin/web"]' in dockerfile
    assert "gunicorn==" in (REPO / "requirements.txt").read_text()
    assert os.access(REPO / "deploy" / "entrypoint.sh", os.X_OK)


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = set((REPO / ".dockerignore").read_text().split())

    assert {".env", ".venv", ".git", "var", "staticfiles"} <= ignored


def test_shared_nginx_definitions_load_before_the_sites():
    # conf.d/*.conf load in name order; log_format must exist before a site's access_log names it.
    rendered = sorted(p.name.removesuffix(".template") for p in (NGINX / "templates").glob("*.template"))

    assert rendered == ["00-balcao.conf", "balcao-http.conf", "balcao-https.conf", "default.conf"]
    assert "log_format balcao" in (NGINX / "templates" / "00-balcao.conf.template").read_text()


def test_nginx_access_log_masks_webhook_keys_and_drops_query_strings():
    shared = (NGINX / "templates" / "00-balcao.conf.template").read_text()
    log_format = shared[shared.index("log_format balcao") :].split(";")[0]

    assert "$balcao_logged_path" in log_format
    for unmasked in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$uri"):
        assert unmasked not in log_format
    assert re.search(r"map \$uri \$balcao_logged_path \{[^}]*/webhook/\(mercadopago/\)\?[^}]*\*\*\*", shared)


def render_nginx_config(root: Path, tls: str) -> Path:
    """The nginx image's start-up, replayed under `root`: templates rendered, then 40-balcao-tls.sh."""
    for name in ("conf.d", "balcao", "letsencrypt/live/balcao.example.com", "logs", "cache"):
        (root / name).mkdir(parents=True, exist_ok=True)
    replacements = {
        "${NGINX_SERVER_NAME}": "balcao.example.com",
        "server web:8000;": "server 127.0.0.1:8000;",  # the compose service name only resolves in Docker
        "http2 on;": "",  # nginx >= 1.25.1 (the image has 1.27); distribution packages may be older
        "/etc/nginx/balcao": str(root / "balcao"),
        "/etc/nginx/conf.d": str(root / "conf.d"),
        "/etc/letsencrypt": str(root / "letsencrypt"),
        "/var/cache/nginx": str(root / "cache"),
        "/var/log/nginx": str(root / "logs"),
    }

    def render(text: str) -> str:
        for old, new in replacements.items():
            text = text.replace(old, new)
        return text

    for template in (NGINX / "templates").glob("*.template"):
        (root / "conf.d" / template.name.removesuffix(".template")).write_text(render(template.read_text()))
    for name in ("app.conf", "proxy.conf"):
        (root / "balcao" / name).write_text(render((NGINX / name).read_text()))
    tls_script = root / "40-balcao-tls.sh"
    tls_script.write_text(render((NGINX / "40-balcao-tls.sh").read_text()))
    subprocess.run(["sh", str(tls_script)], env={"NGINX_TLS": tls, "PATH": "/usr/bin:/bin"}, check=True)
    live = root / "letsencrypt" / "live" / "balcao.example.com"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=balcao.example.com", "-days", "1"]
        + ["-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem")],
        capture_output=True,
        check=True,
    )
    main = root / "nginx.conf"
    main.write_text(
        f"pid {root}/nginx.pid; error_log {root}/logs/error.log; events {{}}\n"
        f"http {{ include {root}/conf.d/*.conf; }}\n"
    )
    return main


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx/openssl not installed")
@pytest.mark.parametrize("tls, sites", [("off", "balcao-http.conf"), ("on", "balcao-https.conf")])
def test_nginx_accepts_the_rendered_config(tmp_path, tls, sites):
    main = render_nginx_config(tmp_path, tls)

    result = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "conf.d").iterdir()) == sorted(["00-balcao.conf", "default.conf", sites])
