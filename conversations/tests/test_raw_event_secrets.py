"""Raw inbound events keep the provider's body for replay, never the credentials it repeats, and only
staff who can act on them (not viewers) can open them."""

import json

import pytest
from django.urls import reverse

from conversations.models import InboundEvent, Message
from conversations.services import inbound_event_replay
from conversations.tests.conftest import make_channel
from integrations.messaging.registry import get_provider
from integrations.messaging.tests.support import FIXTURES
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.isolation import api_operations

SECRET = "fullrun-instance-secret-7f3a9c"
# provider -> (credentials holding SECRET, the body field that repeats it)
SECRET_FIELDS = {
    "uazapi": ({"token": SECRET}, "token"),
    "evolution": ({"api_key": SECRET}, "apikey"),
}


def fixtures_with_secret():
    for provider, (_credentials, field) in SECRET_FIELDS.items():
        for path in sorted((FIXTURES / provider).glob("*.json")):
            if field in json.loads(path.read_bytes()):
                yield pytest.param(provider, path.name, id=f"{provider}-{path.stem}")


def test_every_provider_declares_the_secret_fields_its_fixtures_carry():
    declared = {name: get_provider(name).secret_body_fields for name in ("gosac", "uazapi", "evolution", "meta_cloud")}

    assert declared == {"gosac": (), "uazapi": ("token",), "evolution": ("apikey",), "meta_cloud": ()}


@pytest.mark.parametrize(("provider", "fixture"), list(fixtures_with_secret()))
def test_the_stored_body_has_the_secret_redacted_and_still_replays(
    company_a, post_webhook, enqueued, provider, fixture
):
    credentials, field = SECRET_FIELDS[provider]
    channel = make_channel(company_a, provider=provider, credentials=credentials, base_url="https://p.example.com")
    body = {**json.loads((FIXTURES / provider / fixture).read_bytes()), field: SECRET}

    response = post_webhook(channel, json.dumps(body).encode())

    assert response.status_code == 200
    event = InboundEvent.objects.for_company(company_a).get()
    assert SECRET not in event.body
    assert json.loads(event.body)[field] == "***"
    assert {k: v for k, v in json.loads(event.body).items() if k != field} == {
        k: v for k, v in body.items() if k != field
    }
    messages = Message.objects.for_company(company_a).count()
    with company_scope(company_a):
        answer = inbound_event_replay(event)
    assert answer["status"] != "failed"
    assert Message.objects.for_company(company_a).count() == messages  # a replay is a duplicate, not a new row


def test_a_body_without_secrets_is_stored_byte_for_byte(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="evolution", credentials={"api_key": SECRET})
    body = (FIXTURES / "evolution" / "text.json").read_bytes()  # "apikey": null

    post_webhook(channel, body)

    assert InboundEvent.objects.for_company(company_a).get().body == body.decode()


@pytest.fixture
def event_a(company_a):
    channel = make_channel(company_a)
    return InboundEvent.objects.for_company(company_a).create(company=company_a, channel=channel, body="{}")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Membership.Role.VIEWER, False),
        (Membership.Role.AGENT, True),
        (Membership.Role.MANAGER, True),
        (Membership.Role.OWNER, True),
    ],
)
def test_viewers_cannot_open_raw_events(client, company_a, event_a, role, allowed):
    user = MembershipFactory(company=company_a, user=UserFactory(username=f"u-{role}"), role=role).user
    client.force_login(user)

    changelist = client.get(reverse("admin:conversations_inboundevent_changelist"))
    change = client.get(reverse("admin:conversations_inboundevent_change", args=[event_a.pk]))
    index = client.get(reverse("admin:index"))

    assert (changelist.status_code, change.status_code) == ((200, 200) if allowed else (403, 403))
    assert ("inboundevent" in index.content.decode()) is allowed


def test_no_api_operation_serves_raw_events():
    models = {getattr(getattr(view, "queryset", None), "model", None) for _path, _method, view in api_operations()}

    assert InboundEvent not in models
