"""The "test the WordPress connection" button: a POST with CSRF, a few times a minute per company."""

import uuid
from unittest import mock

import pytest
from django.test import Client

from integrations.wordpress.connection import ConnectionCheck

URL = "/admin/leads/importrun/test-connection/"


@pytest.fixture(autouse=True)
def own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    settings.CONNECTION_TESTS_PER_MINUTE = 2


@pytest.fixture
def connection():
    """The connection attempt itself, counted (the company's source is configured as far as it matters)."""
    check = ConnectionCheck(ok=True, stage="ok", message="Connected")
    with (
        mock.patch("leads.admin.import_options_for"),
        mock.patch("leads.admin.test_connection", return_value=check) as attempt,
    ):
        yield attempt


def test_a_get_does_not_connect(admin_client_a, connection):
    response = admin_client_a.get(URL)

    assert response.status_code == 405
    connection.assert_not_called()


def test_a_post_without_the_csrf_token_is_refused(manager_a, connection):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)

    response = client.post(URL)

    assert response.status_code == 403
    connection.assert_not_called()


def test_past_the_limit_the_button_asks_to_wait_and_does_not_connect(admin_client_a, connection):
    answers = [admin_client_a.post(URL, follow=True).content.decode() for _ in range(3)]

    assert connection.call_count == 2
    assert "Connected" in answers[0]
    assert "Muitos testes de conexão seguidos" in answers[2]


def test_the_limit_is_per_company(admin_client_a, client, company_b, manager_b, connection):
    for _ in range(3):
        admin_client_a.post(URL)
    client.force_login(manager_b)

    client.post(URL)

    assert connection.call_count == 3


def test_viewers_cannot_run_it(client, viewer_a, connection):
    client.force_login(viewer_a)

    assert client.post(URL).status_code == 403
    connection.assert_not_called()


def test_the_changelist_shows_the_button_as_a_form_with_csrf(admin_client_a):
    page = admin_client_a.get("/admin/leads/importrun/").content.decode()

    assert f'<form method="post" action="{URL}"' in page
    assert 'name="csrfmiddlewaretoken"' in page.split(URL, 1)[1].split("</form>", 1)[0]
