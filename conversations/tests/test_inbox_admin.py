"""The inbox pages in the admin: list and tabs, the header badge, the chat page, its live parts and actions."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent, Message, ReceivedFile
from conversations.selectors import CHAT_PAGE, Cursor
from conversations.tests.factories import ConversationFactory, MessageFactory
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.tests.factories import MembershipFactory, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def agent(company_a):
    user = UserFactory(username="ana", first_name="Ana", last_name="Souza")
    return MembershipFactory(company=company_a, user=user, role=Membership.Role.AGENT).user


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def conversation(company_a):
    with company_scope(company_a):
        return ConversationFactory(
            company=company_a,
            channel__name="loja",
            channel__status="connected",
            customer__name="Maria Silva",
            customer__phone="+5511987654321",
            customer__email="maria@example.com",
        )


def inbox_url(tab="") -> str:
    return reverse("admin:conversations_conversation_inbox") + (f"?tab={tab}" if tab else "")


def chat_url(conversation, name="chat") -> str:
    return reverse(f"admin:conversations_conversation_{name}", args=[conversation.pk])


def update(conversation, **fields) -> None:
    Conversation.objects.for_company(conversation.company_id).filter(pk=conversation.pk).update(**fields)


def write(conversation, text="oi", **fields) -> Message:
    return MessageFactory(conversation=conversation, text=text, **fields)


def test_inbox_lists_a_waiting_conversation_in_portuguese_in_the_company_time_zone(
    company_a, conversation, agent_client
):
    company_a.timezone = "America/Manaus"  # UTC-4 all year
    company_a.save(update_fields=["timezone"])
    update(conversation, status="handoff", bot_paused=True)
    message = write(conversation, "quero falar com um atendente")
    sent = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    Message.objects.for_company(conversation.company_id).filter(pk=message.pk).update(created_at=sent)

    page = agent_client.get(inbox_url()).content.decode()

    for tab in ("Aguardando atendente", "Com o robô", "Resolvidas", "Todas"):
        assert tab in page
    row = page[page.index('data-conversation="') :]
    assert "Maria Silva" in row
    assert "+5511*****4321" in row and "987654321" not in row
    assert "quero falar com um atendente" in row
    assert re.search(r'class="inbox-unread"[^>]*>1<', row)
    assert "loja" in row
    shown = re.search(r'class="inbox-time"[^>]*>([^<]+)<', row).group(1)
    assert shown.endswith(f"{sent.astimezone(ZoneInfo('America/Manaus')):%H:%M}")
    assert not shown.endswith(f"{sent.astimezone(UTC):%H:%M}")


def test_each_tab_shows_only_its_conversations(company_a, conversation, agent_client):
    with company_scope(company_a):
        resolved = ConversationFactory(company=company_a, status="resolved", customer__name="Resolvido Rui")

    waiting = agent_client.get(inbox_url("waiting")).content.decode()
    bot = agent_client.get(inbox_url("bot")).content.decode()
    done = agent_client.get(inbox_url("resolved")).content.decode()

    assert "Maria Silva" not in waiting and "Nenhuma conversa aqui." in waiting
    assert "Maria Silva" in bot and "Resolvido Rui" not in bot
    assert "Resolvido Rui" in done
    assert resolved.pk


def test_the_list_refreshes_itself_without_a_page_reload(conversation, agent_client):
    page = agent_client.get(inbox_url("bot")).content.decode()
    fragment = agent_client.get(reverse("admin:conversations_conversation_inbox_list") + "?tab=bot")

    assert re.search(r'id="inbox-list"[^>]*hx-get="[^"]*inbox/list/\?tab=bot"[^>]*hx-trigger="every 3s"', page)
    assert "django_htmx/htmx-2.min.js" in page  # served from our static files, no CDN
    assert "<html" not in fragment.content.decode()
    assert "Maria Silva" in fragment.content.decode()


def test_every_admin_page_shows_how_many_conversations_wait_for_a_person(company_a, conversation, agent_client):
    update(conversation, status="handoff", bot_paused=True)

    for url in (reverse("admin:index"), reverse("admin:conversations_channel_changelist")):
        page = agent_client.get(url).content.decode()
        badge = page[page.index('id="inbox-badge"') :][:600]
        assert 'data-count="1"' in badge, url


def test_chat_shows_bubbles_with_who_wrote_them_and_the_delivery_status(conversation, agent, agent_client):
    write(conversation, "Oi, tudo bem?")
    write(conversation, "Olá! Sou o robô da loja.", direction="out", status="delivered")
    write(conversation, "Aqui é a Ana", direction="out", status="read", sent_by=agent)
    write(conversation, "Não foi", direction="out", status="failed", error="número inválido")
    write(conversation, "na fila", direction="out", status="queued")

    page = agent_client.get(chat_url(conversation)).content.decode()

    assert page.index("Oi, tudo bem?") < page.index("Olá! Sou o robô") < page.index("Aqui é a Ana")
    bubbles = re.findall(r'class="bubble-author">([^<]+)<', page)
    assert bubbles == ["Maria Silva", "robô", "atendente Ana Souza", "robô", "robô"]
    for label in ("entregue", "lida", "falhou", "na fila"):
        assert label in page.lower(), label
    assert "número inválido" in page


def test_whatsapp_bold_and_italic_are_rendered_and_html_is_not(conversation, agent_client):
    write(conversation, "*Pizza* _grande_ <script>alert(1)</script> snake_case_name")

    page = agent_client.get(chat_url(conversation)).content.decode()

    assert "<strong>Pizza</strong> <em>grande</em> &lt;script&gt;alert(1)&lt;/script&gt; snake_case_name" in page


def test_received_images_are_thumbnails_and_documents_are_links(company_a, conversation, agent_client):
    image = write(conversation, "", kind="image", file_name="foto.png")
    document = write(conversation, "", kind="document", file_name="comprovante.pdf")
    with company_scope(company_a):
        for message, name, kind, body in (
            (image, "foto.png", "image/png", PNG),
            (document, "comprovante.pdf", "application/pdf", b"%PDF-1.4"),
        ):
            received = ReceivedFile(
                company=company_a, conversation=conversation, message=message, original_name=name, content_type=kind
            )
            received.file.save(name, ContentFile(body), save=True)
        files = dict(ReceivedFile.objects.values_list("original_name", "pk"))

    page = agent_client.get(chat_url(conversation)).content.decode()
    image_url = reverse("admin:conversations_receivedfile_download", args=[files["foto.png"]])
    pdf_url = reverse("admin:conversations_receivedfile_download", args=[files["comprovante.pdf"]])

    assert f'<img src="{image_url}"' in page
    assert f'href="{pdf_url}"' in page
    shown = agent_client.get(image_url)
    downloaded = agent_client.get(pdf_url)
    assert (shown["Content-Type"], shown.get("Content-Disposition", "").startswith("inline")) == ("image/png", True)
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded["Content-Disposition"].startswith("attachment")


def test_the_side_panel_shows_the_customer(company_a, conversation, agent_client):
    with company_scope(company_a):
        ConversationFactory(company=company_a, customer=conversation.customer, channel__name="outro-numero")

    page = agent_client.get(chat_url(conversation)).content.decode()
    panel = page[page.index('class="chat-panel"') :]

    for text in ("+5511987654321", "maria@example.com", "recebe mensagens", "outro-numero"):
        assert text in panel, text
    titles = re.findall(r"<summary>([^<]+)</summary>", panel)
    assert titles == ["Cliente", "Outras conversas", "Carrinho aberto", "Últimos pedidos", "Lead e recuperação"]


def test_opening_the_chat_marks_it_read_for_an_agent(conversation, agent_client):
    update(conversation, status="handoff", bot_paused=True)
    write(conversation, "alguém?", status="ignored", reason="handoff")

    agent_client.get(chat_url(conversation))

    assert Conversation.objects.for_company(conversation.company_id).get(pk=conversation.pk).staff_read_at is not None


def test_a_viewer_reads_without_marking_read_and_without_reply_or_actions(company_a, conversation, client):
    viewer = MembershipFactory(company=company_a, user=UserFactory(username="vera"), role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    write(conversation, "alguém?")

    page = client.get(chat_url(conversation)).content.decode()
    refused = [
        client.post(chat_url(conversation, name), {"text": "x"}).status_code
        for name in ("reply", "take_over", "release", "resolve")
    ]

    assert "alguém?" in page
    assert 'id="reply-form"' not in page and 'name="take_over"' not in page
    assert "Somente leitura" in page
    assert refused == [403, 403, 403, 403]
    assert Conversation.objects.for_company(company_a).get(pk=conversation.pk).staff_read_at is None
    assert not Message.objects.for_company(company_a).filter(direction="out").exists()


def test_reply_from_the_page_is_queued_and_the_form_comes_back_empty(conversation, agent, agent_client, enqueued):
    response = agent_client.post(chat_url(conversation, "reply"), {"text": "Já te ajudo!"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Trigger"] == "chat-refresh"
    body = response.content.decode()
    assert 'id="reply-form"' in body and "Já te ajudo!</textarea>" not in body
    appended = body[body.index('hx-swap-oob="beforeend:#chat-live"') :]
    assert 'data-status="queued"' in appended and "Já te ajudo!" in appended
    with company_scope(conversation.company_id):
        assert list(Message.objects.filter(direction="out").values_list("text", "status", "sent_by")) == [
            ("Já te ajudo!", "queued", agent.pk)
        ]


def test_a_refused_reply_says_why_and_keeps_the_text(conversation, agent_client):
    conversation.customer.opted_out_at = timezone.now()
    conversation.customer.save(update_fields=["opted_out_at"])

    response = agent_client.post(chat_url(conversation, "reply"), {"text": "Oi"}, HTTP_HX_REQUEST="true")
    page = agent_client.get(chat_url(conversation)).content.decode()

    assert "o cliente pediu para não receber mensagens" in response.content.decode()
    assert ">Oi</textarea>" in response.content.decode()
    assert "o cliente pediu para não receber mensagens" in page and 'id="reply-form"' not in page


def test_take_over_hand_back_and_resolve_buttons(conversation, agent, agent_client):
    taken = agent_client.post(chat_url(conversation, "take_over"))
    state_taken = Conversation.objects.for_company(conversation.company_id).values_list("status", "assigned_to").get()
    agent_client.post(chat_url(conversation, "release"), {"resume": "restart"})
    state_back = Conversation.objects.for_company(conversation.company_id).values_list("status", "assigned_to").get()
    agent_client.post(chat_url(conversation, "resolve"))
    state_done = Conversation.objects.for_company(conversation.company_id).values_list("status", "assigned_to").get()

    assert taken.status_code == 302 and taken["Location"] == chat_url(conversation)
    assert (state_taken, state_back, state_done) == (("handoff", agent.pk), ("active", None), ("resolved", None))


def test_hand_back_to_an_unknown_point_is_a_400(conversation, agent_client):
    assert agent_client.post(chat_url(conversation, "release"), {"resume": "x"}).status_code == 400


def live_url(conversation, page_html) -> str:
    return re.search(r'id="chat-live" hx-get="([^"]+)"', page_html).group(1).replace("&amp;", "&")


def test_the_live_part_answers_204_until_something_changes(conversation, agent_client):
    write(conversation, "primeira")
    page = agent_client.get(chat_url(conversation)).content.decode()
    url = live_url(conversation, page)

    unchanged = agent_client.get(url)
    write(conversation, "nova mensagem")
    changed = agent_client.get(url)

    assert unchanged.status_code == 204
    assert changed.status_code == 200
    assert "nova mensagem" in changed.content.decode()
    assert 'id="chat-status" class="chat-status" hx-swap-oob="true"' in changed.content.decode()


def test_the_live_part_of_a_whole_conversation_keeps_what_happened_before_its_first_message(
    conversation, agent, agent_client
):
    with company_scope(conversation.company_id):
        ConversationEvent.objects.create(
            company_id=conversation.company_id, conversation=conversation, kind="taken", actor=agent
        )
        first = write(conversation, "primeira")
    url = chat_url(conversation, "chat_live") + f"?since={Cursor.of(first)}"

    whole = agent_client.get(url + "&start=1").content.decode()
    part = agent_client.get(url + "&start=0").content.decode()

    assert "Ana Souza assumiu" in whole and "Ana Souza assumiu" not in part


def test_history_loads_backwards_by_keyset(conversation, agent_client):
    with company_scope(conversation.company_id):
        MessageFactory.create_batch(CHAT_PAGE + 5, conversation=conversation)
        texts = list(Message.objects.order_by("created_at", "id").values_list("text", flat=True))
    page = agent_client.get(chat_url(conversation)).content.decode()
    before = re.search(r"chat/older/\?before=([\d-]+)", page).group(1)

    older = agent_client.get(chat_url(conversation, "chat_older") + f"?before={before}").content.decode()

    assert texts[-1] in page and texts[4] not in page
    assert all(text in older for text in texts[:5]) and texts[5] not in older
    assert "Carregar mensagens anteriores" not in older  # that was the beginning


def test_a_malformed_history_position_is_a_400(conversation, agent_client):
    response = agent_client.get(chat_url(conversation, "chat_older") + "?before=yesterday")

    assert response.status_code == 400


def fill(conversation, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Message.objects.for_company(conversation.company_id).bulk_create(
        Message(
            company_id=conversation.company_id,
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction="in" if n % 2 else "out",
            text=f"mensagem {n}",
            status="processed" if n % 2 else "sent",
            created_at=start + timedelta(seconds=n),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("url_name", ["chat", "chat_live"])
def test_a_conversation_of_10000_messages_opens_with_as_many_queries_as_one_of_10(company_a, agent_client, url_name):
    with company_scope(company_a):
        short, long = ConversationFactory(company=company_a), ConversationFactory(company=company_a)
    fill(short, 10)
    fill(long, 10_000)

    def queries(conversation) -> int:
        url = chat_url(conversation, url_name)
        if url_name == "chat_live":
            first = Message.objects.for_company(company_a).filter(conversation=conversation).order_by("-created_at")[5]
            url += f"?since={Cursor.of(first)}"
        update(conversation, staff_read_at=None)  # both have unread
        agent_client.get(url)  # warm-up
        update(conversation, staff_read_at=None)
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(url).status_code == 200
        return len(captured)

    assert queries(short) == queries(long)


def test_a_failed_message_shows_its_reason_and_staff_resend_it_from_the_chat(
    conversation, agent_client, enqueued, client, company_a
):
    failed = write(conversation, "O cardápio", direction="out", status="failed", error="HTTP 503 (gave up after 9 attempts)")
    retrying = write(conversation, "depois", direction="out", status="queued", attempts=2, error="HTTP 429")

    page = agent_client.get(chat_url(conversation)).content.decode()
    assert "HTTP 503 (gave up after 9 attempts)" in page
    assert "Tentando de novo (a tentativa 2 falhou): HTTP 429" in page
    assert page.count('class="bubble-resend"') == 1 and "Reenviar" in page

    answer = agent_client.post(chat_url(conversation, "resend"), {"message": failed.pk})
    bad = agent_client.post(chat_url(conversation, "resend"), {"message": retrying.pk})
    garbage = agent_client.post(chat_url(conversation, "resend"), {"message": "x"})

    assert (answer.status_code, bad.status_code, garbage.status_code) == (302, 302, 302)
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("queued", "")
    viewer = MembershipFactory(company=company_a, user=UserFactory(username="vera"), role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.post(chat_url(conversation, "resend"), {"message": failed.pk}).status_code == 403
