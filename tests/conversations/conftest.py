import pytest

from catalog import demo as catalog_demo
from conversations.models import Channel
from conversations.tests.factories import ChannelFactory
from flows.services import flow_template_import
from integrations.messaging.console import ConsoleProvider
from orders.demo import ordering_document
from tenants.scoping import company_scope
from tests.conversations.harness import Shop, Worker


@pytest.fixture(autouse=True)
def _portuguese(settings):
    settings.LANGUAGE_CODE = "pt-br"  # what customers read
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    ConsoleProvider.clear_outbox()
    yield
    ConsoleProvider.clear_outbox()


@pytest.fixture
def company(company_a):
    company_a.message_debounce_seconds = 0
    company_a.rating_delay_min = 30
    company_a.save(update_fields=["message_debounce_seconds", "rating_delay_min"])
    catalog_demo.load(company_a)
    with company_scope(company_a):
        flow_template_import(document=ordering_document())
    return company_a


@pytest.fixture
def shop(company, client, monkeypatch, django_capture_on_commit_callbacks) -> Shop:
    channel = ChannelFactory(company=company, name="loja", status=Channel.Status.CONNECTED)
    worker = Worker(monkeypatch, django_capture_on_commit_callbacks, company)
    return Shop(company, channel, client, worker, django_capture_on_commit_callbacks)
