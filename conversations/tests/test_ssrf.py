"""A channel's URLs cannot reach inside: the credentials JSON's base_url, media links, DNS rebinding."""

import pytest
from django.utils import translation

from conversations.models import Channel, Message, ReceivedFile
from conversations.services import message_queue_outbound
from conversations.tests.conftest import make_channel
from conversations.tests.test_files import PDF, download, send_document
from conversations.tests.test_outbound import conversation_on, send
from integrations.testing.fake_server import FakeServer
from integrations.testing.network import PUBLIC_STAND_IN, InsideListener
from tenants.scoping import company_scope

PUBLIC = PUBLIC_STAND_IN

pytestmark = pytest.mark.usefixtures("private_networks_refused")  # fixtures in the root conftest


def test_a_stored_credentials_base_url_inside_fails_the_send_and_reaches_nothing(company_a, inside, enqueued):
    channel = make_channel(
        company_a, provider="uazapi", credentials={"base_url": f"http://127.0.0.1:{inside.port}", "token": "t0k3n"}
    )
    with company_scope(company_a):
        message = message_queue_outbound(conversation=conversation_on(channel), text="oi")

        send(message)

        message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "private or local" in message.error
    assert inside.connections == []


def test_credentials_naming_an_inside_base_url_are_refused_on_save(company_a, admin_client_a, api_client_a, inside):
    credentials = f'{{"base_url": "http://127.0.0.1:{inside.port}", "token": "t"}}'
    with translation.override("en"):
        page = admin_client_a.post(
            "/admin/conversations/channel/add/",
            {"provider": "uazapi", "name": "uaz", "base_url": "", "new_credentials": credentials},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        api = api_client_a.post(
            "/api/channels/",
            {
                "provider": "uazapi",
                "name": "uaz2",
                "credentials": {"base_url": "http://169.254.169.254/", "token": "t"},
            },
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert page.status_code == 200
    assert "This URL points to a private or local address" in page.content.decode()
    assert api.status_code == 400
    assert api.json() == {"credentials": ["This URL points to a private or local address, which is not allowed."]}
    assert not Channel.objects.for_company(company_a).filter(name__in=["uaz", "uaz2"]).exists()
    assert inside.connections == []


def test_a_media_link_whose_dns_changes_after_the_check_never_reaches_inside(
    channel_a, post_webhook, enqueued, resolver
):
    """The check and the connection use one lookup: the second answer (127.0.0.1) is never used."""
    with FakeServer(host=PUBLIC) as public:
        public.add("GET", "/f.pdf", body=PDF)
        port = int(public.url.rsplit(":", 1)[1])
        with InsideListener(port=port) as inside:
            resolver.answers["media.provider.test"] = [[PUBLIC], ["127.0.0.1"]]
            message_id = send_document(post_webhook, channel_a, f"http://media.provider.test:{port}/f.pdf")

            download(channel_a.company, message_id)

    assert inside.connections == []
    assert resolver.lookups["media.provider.test"] == 1
    assert ReceivedFile.objects.for_company(channel_a.company).get().size == len(PDF)
    assert Message.objects.for_company(channel_a.company).get(pk=message_id).error == ""
