"""The staff inbox in a real browser (tests/browser): Chromium, the live server, a real Celery worker.

The customer writes through the webhook (console provider); the worker runs the pipeline (processing,
the flow's hand-off step, the sends); the agent does everything through the pages, which refresh
themselves (no reload is asserted by a marker the page would lose).
"""

import pytest
import requests
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conversations.models import Channel, Conversation, Message
from conversations.tests.factories import ConversationFactory, MessageFactory
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.browser.driver import DESKTOP, MOBILE, wait_until
from tests.browser.plugin import SCREENSHOT_DIR
from tests.test_end_to_end_inbox import GREETING, build_attendant_template

CUSTOMER = "5511987654321"
REPLY = "Oi Maria, aqui é a Ana. Como posso ajudar?"


@pytest.fixture
def agent(company_a):
    user = UserFactory(username="ana", first_name="Ana")
    return MembershipFactory(company=company_a, user=user, role=Membership.Role.AGENT).user


@pytest.fixture
def shop(company_a):
    company_a.message_debounce_seconds = 0  # processed as soon as the worker takes the task
    company_a.save(update_fields=["message_debounce_seconds"])
    build_attendant_template(company_a)
    with company_scope(company_a):
        return Channel.objects.create(company=company_a, provider="console", name="loja", status="connected")


def customer_writes(live_server, channel, text: str, message_id: str) -> None:
    url = live_server.url + reverse("webhook", args=[channel.inbound_key])
    body = {"from": CUSTOMER, "name": "Maria", "text": text, "id": message_id}
    assert requests.post(url, json=body, timeout=10).status_code == 200


def css(browser, selector):
    return browser.find_elements(By.CSS_SELECTOR, selector)


def mark_document(browser) -> None:
    """A marker a full page load would wipe out."""
    browser.execute_script("window.__sameDocument = true;")


def same_document(browser) -> bool:
    return browser.execute_script("return window.__sameDocument === true;")


def bubble_texts(browser, side: str) -> list[str]:
    return [row.text for row in css(browser, f".bubble-row.{side}")]


def record_statuses_of(browser, text: str) -> None:
    """Remember every delivery status the page shows for our bubble with `text`, in order."""
    browser.execute_script(
        """
        const text = arguments[0];
        window.__statuses = [];
        const look = () => document.querySelectorAll('.bubble-row.ours').forEach((row) => {
          if (!row.textContent.includes(text)) return;
          const last = window.__statuses[window.__statuses.length - 1];
          if (last !== row.dataset.status) window.__statuses.push(row.dataset.status);
        });
        new MutationObserver(look).observe(document.body, {childList: true, subtree: true, attributes: true});
        """,
        text,
    )


def test_an_agent_answers_a_customer_who_asked_for_a_person_and_hands_back_to_the_bot(
    browser_login, live_server, celery_worker, shop, agent, company_a
):
    browser = browser_login(agent)
    browser.get(live_server.url + reverse("admin:conversations_conversation_inbox") + "?tab=waiting")
    assert "Aguardando atendente" in browser.page_source
    mark_document(browser)

    # 1. The customer asks for a person; the row shows up in "Aguardando atendente" with its unread count.
    customer_writes(live_server, shop, "quero falar com um atendente", "b1")
    row = wait_until(lambda: css(browser, ".inbox-row.waiting"), timeout=30, what="the waiting row")[0]
    assert same_document(browser)
    assert "Maria" in row.text and "+5511*****4321" in row.text
    assert row.find_element(By.CSS_SELECTOR, ".inbox-unread").text == "1"

    # 2. The conversation, as bubbles.
    row.click()
    wait_until(lambda: css(browser, ".bubble-row.theirs"), what="the customer's bubble")
    assert "quero falar com um atendente" in bubble_texts(browser, "theirs")[0]
    assert any("Vou chamar alguém" in text and text.startswith("robô") for text in bubble_texts(browser, "ours"))

    # 3. Take over.
    browser.find_element(By.CSS_SELECTOR, "button[name=take_over]").click()
    wait_until(lambda: "com Ana" in browser.find_element(By.ID, "chat-status").text, what="taken by Ana")

    # 4-5. Reply, and watch it go queued -> sent (the worker sends it through the console provider).
    record_statuses_of(browser, REPLY)
    mark_document(browser)
    browser.find_element(By.ID, "reply-text").send_keys(REPLY)
    browser.find_element(By.CSS_SELECTOR, "#reply-form button[name=send]").click()
    wait_until(lambda: "sent" in browser.execute_script("return window.__statuses"), timeout=30, what="sent")
    statuses = browser.execute_script("return window.__statuses")
    assert statuses[0] == "queued" and "sent" in statuses, statuses
    assert same_document(browser)
    assert browser.find_element(By.ID, "reply-text").get_attribute("value") == ""
    with company_scope(company_a):
        reply = Message.objects.get(text=REPLY)
    assert (reply.status, reply.sent_by_id, reply.provider_message_id[:8]) == ("sent", agent.pk, "console-")

    # 6. Hand back to the bot (it restarts at the customer's next message).
    Select(browser.find_element(By.NAME, "resume")).select_by_value("restart")
    browser.find_element(By.CSS_SELECTOR, "button[name=release]").click()
    wait_until(lambda: not css(browser, "button[name=release]"), what="handed back")
    mark_document(browser)

    # 7. The bot answers the customer's next message, and the page shows it by itself.
    customer_writes(live_server, shop, "oi de novo", "b2")
    greeting = GREETING.replace("*", "")
    wait_until(lambda: any(greeting in text for text in bubble_texts(browser, "ours")), timeout=30, what="the bot")
    assert same_document(browser)
    with company_scope(company_a):
        conversation = Conversation.objects.get()
    assert (conversation.status, conversation.bot_paused, conversation.assigned_to) == ("waiting", False, None)


@pytest.fixture
def busy_conversation(company_a, agent):
    """A conversation with a bit of everything a page shows: formatting, statuses, a failure, events."""
    with company_scope(company_a):
        conversation = ConversationFactory(
            company=company_a,
            status="handoff",
            bot_paused=True,
            channel__name="Loja Centro",
            channel__status="connected",
            customer__name="Maria Aparecida dos Santos",
            customer__phone="+5511987654321",
            customer__email="maria.aparecida@example.com",
        )
        for text, fields in (
            ("Oi! Quero uma *pizza grande* de _calabresa_", {}),
            (
                "Olá! Este é o nosso cardápio: Margherita, Calabresa, Portuguesa.",
                {"direction": "out", "status": "read"},
            ),
            ("quero falar com um atendente", {}),
            ("Certo! Vou chamar alguém.", {"direction": "out", "status": "delivered"}),
            ("Oi Maria, já te ajudo!", {"direction": "out", "status": "sent", "sent_by": agent}),
            ("Segue o link do pagamento", {"direction": "out", "status": "failed", "error": "número sem WhatsApp"}),
            ("alguém aí? " * 12, {"status": "ignored", "reason": "handoff"}),
        ):
            MessageFactory(company=company_a, conversation=conversation, text=text.strip(), **fields)
        ConversationFactory(company=company_a, customer__name="João", status="resolved")
        MessageFactory(company=company_a, conversation=conversation, text="Obrigada!", created_at=timezone.now())
    return conversation


def no_horizontal_scroll(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("browser", [MOBILE, DESKTOP], indirect=True)
def test_the_inbox_and_a_conversation_fit_the_screen(browser, browser_login, live_server, busy_conversation, agent):
    browser_login(agent)
    width = browser.window_width
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    browser.get(live_server.url + reverse("admin:conversations_conversation_inbox"))
    wait_until(lambda: css(browser, ".inbox-row"), what="the list")
    browser.save_screenshot(str(SCREENSHOT_DIR / f"inbox-list-{width}.png"))
    assert no_horizontal_scroll(browser)
    assert [tab.text.split("\n")[0] for tab in css(browser, ".inbox-tab")][1:] == ["Com o robô", "Resolvidas", "Todas"]

    browser.get(live_server.url + reverse("admin:conversations_conversation_chat", args=[busy_conversation.pk]))
    wait_until(lambda: css(browser, ".bubble-row"), what="the bubbles")
    browser.save_screenshot(str(SCREENSHOT_DIR / f"inbox-chat-{width}.png"))
    assert no_horizontal_scroll(browser)
    reply = browser.find_element(By.ID, "reply-text")
    take_over = browser.find_element(By.CSS_SELECTOR, "button[name=take_over]")
    for element in (reply, take_over):
        box = element.rect
        assert element.is_displayed() and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert browser.find_element(By.CSS_SELECTOR, ".bubble-text strong").text == "pizza grande"
    assert "número sem WhatsApp" in browser.find_element(By.CSS_SELECTOR, ".bubble-error").text
    panel = browser.find_element(By.CSS_SELECTOR, ".chat-panel")
    if width == MOBILE:
        assert panel.rect["y"] > reply.rect["y"]  # below the chat on a phone
    else:
        assert panel.rect["x"] > reply.rect["x"]  # beside it on a desktop


@pytest.mark.browser
def test_a_failed_message_is_resent_from_the_chat(browser, browser_login, live_server, company_a, agent, enqueued):
    with company_scope(company_a):
        conversation = ConversationFactory(
            company=company_a, channel__status="connected", customer__name="Maria", customer__phone="+5511987654321"
        )
        MessageFactory(conversation=conversation, text="oi", direction="in", status="processed")
        MessageFactory(
            conversation=conversation,
            text="Este é o nosso cardápio:",
            direction="out",
            status="failed",
            attempts=9,
            error="POST api.example: HTTP 503 (gave up after 9 attempts in 601 s)",
        )
        MessageFactory(conversation=conversation, text="O que vai querer?", direction="out", status="queued",
                       attempts=2, error="POST api.example: HTTP 429")  # fmt: skip
    browser_login(agent)
    browser.get(live_server.url + reverse("admin:conversations_conversation_chat", args=[conversation.pk]))
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT_DIR / "inbox-failed-message.png"))
    assert "gave up after 9 attempts" in browser.page_source

    css(browser, ".bubble-resend button")[0].click()
    wait_until(lambda: "Reenviando" in browser.page_source, timeout=10, what="the resend notice")
    browser.save_screenshot(str(SCREENSHOT_DIR / "inbox-failed-message-resent.png"))
    with company_scope(company_a):
        assert Message.objects.get(text="Este é o nosso cardápio:").status == "queued"
