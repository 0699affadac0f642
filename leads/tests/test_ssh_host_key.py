"""The ssh_host_key company setting: imports and the "test connection" button through a real SSH tunnel."""

import html
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.models import Customer
from integrations.wordpress.connection import host_key_line
from integrations.wordpress.tests.builders import add_classic_order
from integrations.wordpress.tests.ssh_server import SSHGateway, new_ed25519_key
from leads.models import ImportRun
from leads.services.imports import import_run_create, import_run_execute
from leads.source_config import SourceNotConfigured, import_options_for
from leads.tests.woo_site import configure_source, configure_ssh_tunnel, woo_site
from orders.models import Order
from tenants.models import CompanySetting
from tenants.services import company_setting_set

MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
SERVER_KEY = new_ed25519_key()
OTHER_KEY = new_ed25519_key()


@pytest.fixture
def gateway():
    server = SSHGateway(user="deploy", password="gateway-pass", host_key=SERVER_KEY)
    yield server
    server.close()


@pytest.fixture
def site(mysql_url, company_a, gateway):
    """A store with one order, reached through the gateway (no key pinned yet)."""
    with woo_site(mysql_url, "cli_") as site:
        configure_source(company_a, site.source)
        configure_ssh_tunnel(company_a, gateway.port)
        add_classic_order(
            site,
            {
                "id": 101,
                "created_gmt": "2024-03-10 15:00:00",
                "created_local": "2024-03-10 12:00:00",
                "status": "wc-completed",
                "user_id": 0,
                "first_name": "Ana",
                "last_name": "Souza",
                "email": "",
                "phone": "(11) 98765-4321",
                "total": "59.80",
                "items": [("Chinelo Básico", 16, 0, 2, "59.80")],
            },
        )
        yield site


def pin(company, line: str) -> None:
    company_setting_set(company=company, key="ssh_host_key", value=line, value_type="string")


def pin_unchecked(company, line: str) -> None:
    """A key stored before saving checked it (the settings forms and API now refuse it)."""
    CompanySetting.objects.for_company(company).update_or_create(
        company=company, key="ssh_host_key", defaults={"value_type": "string", "value": line}
    )


def run(company) -> ImportRun:
    with translation.override("en"):
        return import_run_execute(run=import_run_create(company=company, kind="all", start=MARCH[0], end=MARCH[1]))


def button(client) -> str:
    response = client.post("/admin/leads/importrun/test-connection/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    return html.unescape(response.content.decode())


def test_matching_pinned_key_imports_through_the_tunnel(site, company_a, gateway, admin_client_a):
    pin(company_a, f"# 127.0.0.1:22 SSH-2.0-OpenSSH_9.2p1\n127.0.0.1 {host_key_line(SERVER_KEY)}\n")

    text = button(admin_client_a)
    result = run(company_a)

    assert "Connected to wp_test_" in text
    assert f"The SSH server's key matches the pinned key (ssh-ed25519 {SERVER_KEY.fingerprint})." in text
    assert result.status == ImportRun.Status.SUCCEEDED, result.error
    assert Order.objects.for_company(company_a).get().external_id == "101"


def test_wrong_pinned_key_is_refused_and_nothing_is_written(site, company_a, gateway, admin_client_a):
    pin(company_a, f"127.0.0.1 {host_key_line(OTHER_KEY)}")

    text = button(admin_client_a)
    result = run(company_a)

    expected = (
        f"The SSH server's key does not match the pinned key: ssh_host_key pins ssh-ed25519 {OTHER_KEY.fingerprint}, "
        f"but 127.0.0.1:{gateway.port} presented ssh-ed25519 {SERVER_KEY.fingerprint}."
    )
    assert expected in text
    assert result.status == ImportRun.Status.FAILED
    assert result.error.startswith(expected), result.error
    assert result.error in result.summary_text
    assert (gateway.auth_attempts, gateway.accepted_forwards) == (0, 0)  # the password never left
    assert not Customer.objects.for_company(company_a).exists()
    assert not Order.objects.for_company(company_a).exists()


def test_without_a_pin_it_works_and_the_button_shows_the_key_to_pin(site, company_a, gateway, admin_client_a):
    text = button(admin_client_a)
    result = run(company_a)

    assert "Connected to wp_test_" in text
    assert f"The SSH server's key is not pinned: 127.0.0.1:{gateway.port} presented ssh-ed25519 " in text
    assert SERVER_KEY.fingerprint in text and host_key_line(SERVER_KEY) in text
    assert result.status == ImportRun.Status.SUCCEEDED, result.error
    assert gateway.accepted_forwards == 2  # the button's tunnel and the run's


def test_an_unusable_pinned_key_is_a_configuration_error(site, company_a, gateway):
    with translation.override("en"), pytest.raises(ValidationError, match="a fingerprint is not enough"):
        pin(company_a, SERVER_KEY.fingerprint)
    pin_unchecked(company_a, SERVER_KEY.fingerprint)

    with translation.override("en"), pytest.raises(SourceNotConfigured, match="ssh_host_key setting is not a usable"):
        import_options_for(company_a)
    result = run(company_a)

    assert result.status == ImportRun.Status.FAILED
    assert "a fingerprint is not enough" in result.error
    assert gateway.auth_attempts == 0
