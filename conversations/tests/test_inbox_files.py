"""Staff send a file from the inbox: stored, offered to the provider at a signed, expiring URL."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conversations.models import Message
from conversations.services import conversation_send_due
from conversations.tests.factories import ConversationFactory
from integrations.messaging.console import ConsoleProvider
from tenants.scoping import company_scope

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


@pytest.fixture
def conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(company=company_a, channel__status="connected", customer__phone="+5511987654321")


@pytest.fixture
def agent_client(client, agent_a):
    client.force_login(agent_a)
    return client


def reply_url(conversation) -> str:
    return reverse("admin:conversations_conversation_reply", args=[conversation.pk])


def outbound(company) -> list[Message]:
    with company_scope(company):
        return list(Message.objects.filter(direction="out"))


def stored_files(company) -> list[str]:
    try:
        return default_storage.listdir(f"sent-files/{company.pk}")[1]
    except FileNotFoundError:
        return []


def test_an_image_reply_goes_to_the_provider_at_a_signed_url_that_serves_it(
    settings, agent_client, agent_a, conversation, company_a, client
):
    settings.PUBLIC_BASE_URL = "https://loja.example.com"
    response = agent_client.post(
        reply_url(conversation), {"text": "Seu pedido", "file": SimpleUploadedFile("foto.png", PNG, "image/png")}
    )

    assert response.status_code == 302
    [message] = outbound(company_a)
    assert (message.kind, message.media_mime, message.text, message.sent_by) == (
        "image",
        "image/png",
        "Seu pedido",
        agent_a,
    )
    assert message.media_url.startswith("https://loja.example.com/sent-files/")
    with company_scope(company_a):
        conversation_send_due(conversation_id=conversation.pk)
    [sent] = ConsoleProvider.outbox
    assert (sent.kind, sent.media, sent.text) == ("image", message.media_url, "Seu pedido")

    path = urlsplit(message.media_url).path
    client.logout()
    served = client.get(path)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png"


def test_the_bubble_shows_the_sent_image(agent_client, conversation, company_a):
    agent_client.post(reply_url(conversation), {"file": SimpleUploadedFile("foto.png", PNG, "image/png")})
    [message] = outbound(company_a)

    page = agent_client.get(reverse("admin:conversations_conversation_chat", args=[conversation.pk])).content.decode()

    assert f'<img src="{message.media_url}"' in page


def test_a_tampered_or_expired_signature_is_a_404(agent_client, conversation, company_a, client, monkeypatch):
    agent_client.post(reply_url(conversation), {"file": SimpleUploadedFile("nota.pdf", PDF, "application/pdf")})
    [message] = outbound(company_a)
    assert message.kind == "document" and message.file_name == "nota.pdf"
    path = urlsplit(message.media_url).path
    client.logout()

    assert client.get(path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]).status_code == 404
    assert client.get("/sent-files/garbage/").status_code == 404
    monkeypatch.setattr("conversations.services.sent_files.SENT_FILE_URL_AGE", timedelta(seconds=-1))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("grande.png", PNG + b"\x00" * 2048, "image/png"), "o arquivo passa de"),
        (SimpleUploadedFile("x.png", b"<svg></svg>", "image/png"), "só é possível enviar"),
    ],
)
def test_a_too_big_or_disallowed_file_is_refused_in_portuguese_and_nothing_is_written(
    settings, agent_client, conversation, company_a, upload, reason
):
    settings.MAX_RECEIVED_FILE_BYTES = 1024
    response = agent_client.post(reply_url(conversation), {"file": upload}, headers={"HX-Request": "true"})

    assert reason in response.content.decode().lower()
    assert outbound(company_a) == []
    assert stored_files(company_a) == []


def test_a_channel_that_sends_no_files_refuses(agent_client, conversation, company_a, monkeypatch):
    monkeypatch.setattr(ConsoleProvider, "sends_files", False)
    response = agent_client.post(
        reply_url(conversation), {"file": SimpleUploadedFile("foto.png", PNG)}, headers={"HX-Request": "true"}
    )

    assert "este canal não envia arquivos" in response.content.decode()
    assert outbound(company_a) == [] and stored_files(company_a) == []


def test_the_api_takes_a_multipart_file(company_a, agent_a, api_client_for, conversation):
    api = api_client_for(company_a, agent_a)
    response = api.post(
        f"/api/conversations/{conversation.pk}/reply/",
        {"text": "Segue", "file": SimpleUploadedFile("nota.pdf", PDF)},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "document"
    [message] = outbound(company_a)
    assert (message.kind, message.media_mime, message.text) == ("document", "application/pdf", "Segue")


def test_a_viewer_may_not_send_a_file(company_a, viewer_a, api_client_for, conversation):
    response = api_client_for(company_a, viewer_a).post(
        f"/api/conversations/{conversation.pk}/reply/",
        {"file": SimpleUploadedFile("nota.pdf", PDF)},
        format="multipart",
    )

    assert response.status_code == 403
    assert outbound(company_a) == [] and stored_files(company_a) == []


def test_another_companys_conversation_is_a_404(company_b, manager_b, api_client_for, conversation, company_a):
    response = api_client_for(company_b, manager_b).post(
        f"/api/conversations/{conversation.pk}/reply/",
        {"file": SimpleUploadedFile("nota.pdf", PDF)},
        format="multipart",
    )

    assert response.status_code == 404
    assert outbound(company_a) == [] and stored_files(company_a) == []
