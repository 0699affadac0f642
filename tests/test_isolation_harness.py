"""The harness must catch leaks: planted in an unscoped admin and an unscoped viewset."""

import pytest
from rest_framework.test import APIClient

from tenants.models import Membership
from tenants.services import api_token_issue
from tests.isolation import walk_admin, walk_api
from tests.leaky_urls import leaky_site
from tests.test_tenant_isolation import world  # noqa: F401 - the shared fixture


@pytest.fixture
def leaky_urls(settings):
    settings.ROOT_URLCONF = "tests.leaky_urls"


def test_harness_catches_an_unscoped_admin(world, client, leaky_urls):  # noqa: F811
    client.force_login(world.user_a)

    leaks = walk_admin(world, leaky_site, client)

    assert any("changelist lists B's rows" in leak for leak in leaks)
    assert any("change of B's row" in leak for leak in leaks)
    assert any("field 'user' offers B's rows" in leak for leak in leaks)
    assert any("page 'membership_peek' GET with B's id: answered 200" in leak for leak in leaks)
    assert any("page 'membership_peek' GET with B's id: shows B's data" in leak for leak in leaks)


def test_harness_catches_an_unscoped_viewset(world, leaky_urls):  # noqa: F811
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=world.company_a, user=world.user_a)}")
    b_membership = world.b(Membership)

    leaks = walk_api(world, client, urlconf="tests.leaky_urls")

    assert f"API GET /api/leaky-memberships/: lists B's row {b_membership.pk}" in leaks
    assert any("GET /api/leaky-memberships/{id}/ with B's id: answered 200" in leak for leak in leaks)
    assert any("accepted B's ids in ['company', 'user']" in leak for leak in leaks)
    assert "API DELETE /api/leaky-memberships/{id}/ with B's id: B's row changed" in leaks
