import pytest
from django.utils import translation

from integrations.messaging.console import ConsoleProvider
from leads.tests.woo_site import woo_site
from privacy.tests.people import PREFIX, build_world


@pytest.fixture(autouse=True)
def _pipeline_settings(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake media server listens on 127.0.0.1
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


@pytest.fixture
def media_root(settings, tmp_path):
    """Files go to a real directory, so what is left on disk can be read back."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def world(client, monkeypatch, django_capture_on_commit_callbacks, company_a, company_b, mysql_url, media_root):
    with woo_site(mysql_url, PREFIX) as store:
        yield build_world(
            client=client,
            monkeypatch=monkeypatch,
            capture=django_capture_on_commit_callbacks,
            company_a=company_a,
            company_b=company_b,
            store=store,
        )


@pytest.fixture
def english(settings):
    """Pages and messages in English (the msgids), whatever the pt-BR catalogue says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
