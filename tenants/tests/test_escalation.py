"""Nobody raises their own role or acts as someone else: the escalations an audit tried, refused."""

import pytest
from rest_framework.test import APIClient

from tenants.models import ApiToken, Membership
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory


def membership(company, user) -> Membership:
    return Membership.objects.for_company(company).get(user=user)


@pytest.fixture
def owner(company_a, owner_a):
    return membership(company_a, owner_a)


@pytest.fixture
def agent(company_a, agent_a):
    return membership(company_a, agent_a)


@pytest.fixture
def manager(company_a, manager_a):
    return membership(company_a, manager_a)


def token_client(company, user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company, user=user)}")
    return client


def role_of(membership) -> str:
    return Membership.objects.for_company(membership.company_id).get(pk=membership.pk).role


def test_an_agent_cannot_make_itself_owner(client, agent, owner):
    client.force_login(agent.user)

    response = client.post(f"/admin/tenants/membership/{agent.pk}/change/", {"role": "owner"})

    assert response.status_code == 403
    assert role_of(agent) == "agent"


def test_an_agent_cannot_demote_the_owner(client, agent, owner):
    client.force_login(agent.user)

    change = client.post(f"/admin/tenants/membership/{owner.pk}/change/", {"role": "viewer"})
    delete = client.post(f"/admin/tenants/membership/{owner.pk}/delete/", {"post": "yes"})

    assert change.status_code == delete.status_code == 403
    assert role_of(owner) == "owner"


def test_a_manager_cannot_make_anyone_owner(client, manager, agent, owner):
    client.force_login(manager.user)
    newcomer = UserFactory(username="newcomer")

    promote = client.post(f"/admin/tenants/membership/{agent.pk}/change/", {"role": "owner"})
    promote_self = client.post(f"/admin/tenants/membership/{manager.pk}/change/", {"role": "owner"})
    add = client.post("/admin/tenants/membership/add/", {"user": newcomer.pk, "role": "owner"})

    assert promote.status_code == promote_self.status_code == add.status_code == 403
    assert (role_of(agent), role_of(manager)) == ("agent", "manager")
    assert not Membership.objects.for_company(manager.company_id).filter(user=newcomer).exists()


def test_an_owner_manages_roles_but_never_leaves_the_company_without_an_owner(client, owner, agent):
    client.force_login(owner.user)

    promote = client.post(f"/admin/tenants/membership/{agent.pk}/change/", {"role": "manager"})
    demote_last_owner = client.post(f"/admin/tenants/membership/{owner.pk}/change/", {"role": "manager"})
    delete_last_owner = client.post(f"/admin/tenants/membership/{owner.pk}/delete/", {"post": "yes"})

    assert promote.status_code == 302
    assert role_of(agent) == "manager"
    assert demote_last_owner.status_code == 200
    assert demote_last_owner.context["adminform"].form.errors["role"]
    assert delete_last_owner.status_code == 403
    assert role_of(owner) == "owner"


def test_one_of_two_owners_may_step_down(client, owner, company_a):
    other = MembershipFactory(company=company_a, user=UserFactory(username="owner-2"), role=Membership.Role.OWNER)
    client.force_login(owner.user)

    response = client.post(f"/admin/tenants/membership/{owner.pk}/change/", {"role": "manager"})

    assert response.status_code == 302
    assert (role_of(owner), role_of(other)) == ("manager", "owner")


def test_the_last_owners_cannot_all_go_in_one_bulk_delete(client, owner, agent, company_a):
    client.force_login(owner.user)
    data = {"action": "delete_selected", "_selected_action": [owner.pk, agent.pk], "post": "yes"}

    response = client.post("/admin/tenants/membership/", data)

    assert response.status_code == 403
    assert Membership.objects.for_company(company_a).filter(pk__in=[owner.pk, agent.pk]).count() == 2


def test_a_membership_cannot_be_handed_to_another_user(client, owner):
    client.force_login(owner.user)

    page = client.get(f"/admin/tenants/membership/{owner.pk}/change/")

    assert list(page.context["adminform"].form.fields) == ["role"]


def test_an_agent_cannot_create_a_token_for_another_user_in_the_admin(client, agent, owner, company_a):
    client.force_login(agent.user)

    response = client.post("/admin/tenants/apitoken/add/", {"user": owner.user_id, "name": "mine-now"})

    assert response.status_code == 302
    created = ApiToken.objects.for_company(company_a).get(name="mine-now")
    assert created.user_id == agent.user_id
    assert not ApiToken.objects.for_company(company_a).filter(user=owner.user).exists()


def test_an_agent_cannot_create_a_token_for_another_user_through_the_api(agent, owner, company_a):
    client = token_client(company_a, agent.user)

    response = client.post("/api/tokens/", {"name": "theirs", "user": owner.user_id, "username": "owner-a"})
    as_new_token = APIClient()
    as_new_token.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    write = as_new_token.post("/api/company-settings/", {"key": "k", "value": "v"}, format="json")

    assert response.status_code == 201
    assert response.json()["username"] == "agent-a"
    assert not ApiToken.objects.for_company(company_a).filter(user=owner.user).exists()
    assert write.status_code == 403  # the new token is the agent's, with the agent's role


def test_a_duplicate_token_name_is_a_400(agent, company_a):
    client = token_client(company_a, agent.user)

    first = client.post("/api/tokens/", {"name": "ci"})
    second = client.post("/api/tokens/", {"name": "ci"})

    assert first.status_code == 201
    assert second.status_code == 400
    assert "name" in second.json()


def test_members_see_and_revoke_only_their_own_tokens_owners_all(agent, owner, company_a):
    agents_client, owners_client = token_client(company_a, agent.user), token_client(company_a, owner.user)
    owners_token = ApiToken.objects.for_company(company_a).get(user=owner.user)
    agents_token = ApiToken.objects.for_company(company_a).get(user=agent.user)

    agent_sees = [row["username"] for row in agents_client.get("/api/tokens/").json()["results"]]
    owner_sees = sorted(row["username"] for row in owners_client.get("/api/tokens/").json()["results"])
    agent_revokes_owners = agents_client.delete(f"/api/tokens/{owners_token.pk}/")
    owner_revokes_agents = owners_client.delete(f"/api/tokens/{agents_token.pk}/")

    assert agent_sees == ["agent-a"]
    assert owner_sees == ["agent-a", "owner-a"]
    assert agent_revokes_owners.status_code == 404
    assert owner_revokes_agents.status_code == 204
    assert ApiToken.objects.for_company(company_a).filter(pk=owners_token.pk).exists()


def test_the_admin_lists_an_agents_own_tokens_only(client, agent, owner, company_a):
    api_token_issue(company=company_a, user=owner.user)
    api_token_issue(company=company_a, user=agent.user)
    client.force_login(agent.user)

    page = client.get("/admin/tenants/apitoken/")

    assert [token.user_id for token in page.context["cl"].result_list] == [agent.user_id]


def test_a_token_loses_power_as_soon_as_its_users_role_is_lowered(manager, company_a):
    client = token_client(company_a, manager.user)
    before = client.post("/api/company-settings/", {"key": "maintenance_message", "value": "v"}, format="json")

    Membership.objects.for_company(company_a).filter(pk=manager.pk).update(role=Membership.Role.VIEWER)
    after = client.post("/api/company-settings/", {"key": "pix_key", "value": "v"}, format="json")
    read = client.get("/api/company-settings/")

    assert before.status_code == 201
    assert after.status_code == 403
    assert read.status_code == 200


def test_a_superusers_token_carries_only_its_membership_role(company_a):
    root = UserFactory(username="root", is_superuser=True)
    MembershipFactory(company=company_a, user=root, role=Membership.Role.VIEWER)
    client = token_client(company_a, root)

    response = client.post("/api/company-settings/", {"key": "k", "value": "v"}, format="json")

    assert response.status_code == 403


def test_an_agent_cannot_change_company_configuration(client, agent, company_a):
    api = token_client(company_a, agent.user)
    client.force_login(agent.user)

    setting = api.post("/api/company-settings/", {"key": "k", "value": "v"}, format="json")
    bot = api.post("/api/bot/disable/")
    channel_page = client.get("/admin/conversations/channel/add/")

    assert setting.status_code == bot.status_code == channel_page.status_code == 403
