"""The demo company that `make run` loads. Other apps add theirs through a `demo.load(company)` hook."""

import importlib
import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings

from tenants.models import Company, Membership
from tenants.services import company_create, membership_set, user_ensure

DEMO_SLUG = "pizzaria-demo"
DEMO_NAME = "Pizzaria Demo"
DEMO_USERNAME = "demo"


def demo_password_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-login.txt"


def _demo_password(created: bool, user) -> str:
    """The demo login's password: generated once, kept only in var/ (never in the repository)."""
    path = demo_password_file()
    if created or not path.exists():
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save(update_fields=["password"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
    return path.read_text().strip()


def load_demo() -> tuple[Company, str, str]:
    """Create or refresh the demo company and its owner. Idempotent. Returns (company, username, password)."""
    company, _ = company_create(slug=DEMO_SLUG, name=DEMO_NAME)
    user, created = user_ensure(username=DEMO_USERNAME, email="demo@example.com")
    membership_set(company=company, user=user, role=Membership.Role.OWNER)
    password = _demo_password(created, user)
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.demo"
        if app_config.name == "tenants" or importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).load(company)
    return company, DEMO_USERNAME, password
