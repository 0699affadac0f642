"""Admin sign-in attempts are limited per username and per address; the token API is rate-limited."""

import uuid

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from config.throttle import client_ip
from tenants.tests.factories import UserFactory

LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests"
LOCKED_PT_BR = "Muitas tentativas de acesso sem sucesso"


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A private in-memory cache: counters of other tests (and other checkouts on Redis) never meet."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    settings.LOGIN_FAILURES_PER_USER = 3
    settings.LOGIN_FAILURES_PER_IP = 5


@pytest.fixture
def staff(db):
    return UserFactory(username="staff-member")


def sign_in(username, password, ip="203.0.113.7", **headers):
    return Client().post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip, **headers)


def test_a_username_is_locked_after_its_failures_even_with_the_right_password(staff):
    failures = [sign_in("staff-member", "wrong", ip=f"198.51.100.{n}") for n in range(3)]

    locked = sign_in("staff-member", PASSWORD, ip="198.51.100.99")

    assert all(response.status_code == 200 for response in failures)
    assert locked.status_code == 200
    assert LOCKED_PT_BR in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_an_address_is_locked_after_failures_on_many_usernames(staff):
    for n in range(5):
        sign_in(f"guess-{n}", "wrong", ip="192.0.2.10")

    from_that_address = sign_in("staff-member", PASSWORD, ip="192.0.2.10")
    from_elsewhere = sign_in("staff-member", PASSWORD, ip="192.0.2.11")

    assert LOCKED_PT_BR in from_that_address.content.decode()
    assert from_elsewhere.status_code == 302


def test_below_the_limit_the_right_password_signs_in_and_clears_the_count(staff):
    for _ in range(2):
        sign_in("staff-member", "wrong")
    signed_in = sign_in("staff-member", PASSWORD)
    for _ in range(2):
        sign_in("staff-member", "wrong", ip="198.51.100.1")

    again = sign_in("staff-member", PASSWORD, ip="198.51.100.2")

    assert signed_in.status_code == 302
    assert again.status_code == 302  # 2 + 2 failures, but the success in between started afresh


def test_the_lockout_message_is_in_english_when_asked(staff):
    for _ in range(3):
        sign_in("staff-member", "wrong")

    locked = sign_in("staff-member", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert "Too many failed sign-in attempts" in locked.content.decode()


def test_behind_the_proxy_the_address_is_the_one_nginx_appended(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5", REMOTE_ADDR="172.18.0.2")
    direct = rf.get("/", REMOTE_ADDR="203.0.113.6")
    settings_off = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9", REMOTE_ADDR="203.0.113.7")

    assert client_ip(spoofed) == "203.0.113.5"
    assert client_ip(direct) == "203.0.113.6"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(settings_off) == "203.0.113.7"


def test_the_token_endpoint_is_rate_limited(company_a, manager_a, api_client_a, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"api-tokens": "2/min"})
    other_endpoint_before = api_client_a.get("/api/company-settings/")

    answers = [api_client_a.post("/api/tokens/", {"name": f"ci-{n}"}).status_code for n in range(3)]
    other_endpoint_after = api_client_a.get("/api/company-settings/")

    assert answers == [201, 201, 429]
    assert other_endpoint_before.status_code == other_endpoint_after.status_code == 200

