"""Fixtures shared by every app: two companies, their staff, and clients logged in as them."""

import pytest
from rest_framework.test import APIClient

from config import services
from integrations.testing.network import PUBLIC_STAND_IN, InsideListener, ScriptedResolver
from tenants.models import Membership
from tenants.services import api_token_issue
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.settings_probe import SettingsReader

pytest_plugins = ["tests.browser.plugin"]  # browser tests: Chromium, live server, a real Celery worker


def require_service(name: str, find) -> str:
    """The URL of a real service, or skip (fail under REQUIRE_SERVICES=1) with the reason."""
    try:
        url = find()
    except services.ServiceMissing as exc:
        pytest.fail(str(exc))
    if url is None:
        pytest.skip(f"{name} is not reachable; set REQUIRE_SERVICES=1 to make this a failure")
    return url


@pytest.fixture(autouse=True)
def _outage_breakers_closed():
    """The per-process cache and broker breakers (config.cache, tenants.tasks) start closed in every
    test: an outage simulated by one test must not make the next skip its cache or publishes."""
    from config import cache  # noqa: PLC0415 - app modules load after Django is set up
    from tenants import tasks  # noqa: PLC0415 - app modules load after Django is set up

    cache._skip_until = tasks._publish_skip_until = 0.0
    yield
    cache._skip_until = tasks._publish_skip_until = 0.0


@pytest.fixture
def redis_url() -> str:
    return require_service("Redis", services.redis_url_for_tests)


@pytest.fixture
def mysql_url() -> str:
    return require_service("MySQL/MariaDB", services.mysql_url_for_tests)


@pytest.fixture
def postgres_only(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        if services.services_required():
            pytest.fail("This test needs PostgreSQL and REQUIRE_SERVICES=1")
        pytest.skip("needs PostgreSQL (row locks and constraints behave differently on SQLite)")


@pytest.fixture(scope="session")
def read_settings(tmp_path_factory):
    """read_settings(env, *names): the settings a fresh process gets under `env` (tests/settings_probe.py)."""
    reader = SettingsReader(tmp_path_factory.mktemp("settings-reader"))
    yield reader
    reader.close()


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Pizzaria A", slug="pizzaria-a")


@pytest.fixture
def company_b(db):
    return CompanyFactory(name="Loja B", slug="loja-b")


def _member(company, username, role):
    return MembershipFactory(company=company, user=UserFactory(username=username), role=role).user


@pytest.fixture
def owner_a(company_a):
    return _member(company_a, "owner-a", Membership.Role.OWNER)


@pytest.fixture
def manager_a(company_a):
    return _member(company_a, "manager-a", Membership.Role.MANAGER)


@pytest.fixture
def agent_a(company_a):
    return _member(company_a, "agent-a", Membership.Role.AGENT)


@pytest.fixture
def viewer_a(company_a):
    return _member(company_a, "viewer-a", Membership.Role.VIEWER)


@pytest.fixture
def manager_b(company_b):
    return _member(company_b, "manager-b", Membership.Role.MANAGER)


def token_client(company, user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company, user=user)}")
    return client


@pytest.fixture
def api_client_for(db):
    """api_client_for(company, user): an API client authenticated by a token of `user` in `company`."""
    return token_client


@pytest.fixture
def api_client_a(company_a, manager_a):
    return token_client(company_a, manager_a)


@pytest.fixture
def admin_client_a(client, manager_a):
    client.force_login(manager_a)
    return client


# --- SSRF tests: production's outbound rule, an "inside" that must hear nothing, scripted DNS ---


@pytest.fixture
def private_networks_refused(settings):
    """Private addresses refused as in production; PUBLIC_STAND_IN (127.0.0.2) plays a public provider."""
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    settings.OUTBOUND_ALLOWED_NETWORKS = [f"{PUBLIC_STAND_IN}/32"]


@pytest.fixture
def inside():
    """A listener on 127.0.0.1 recording every connection: what SSRF tests prove nothing reaches."""
    with InsideListener() as listener:
        yield listener


@pytest.fixture
def resolver(monkeypatch):
    return ScriptedResolver(monkeypatch)
