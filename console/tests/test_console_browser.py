"""The staff console in a real browser (tests/browser): the dashboard against its API and lists, an
order moved across the board to completed, the channel's QR refreshing itself, a failed import
showing its reason. Screenshots at 1440 and 390 px go to var/test-screenshots/."""

import re
from contextlib import contextmanager
from decimal import Decimal

import pymysql
import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from console.tests.sample import dashboard_sample_fill
from conversations import channel_admin
from conversations.models import Channel
from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory
from conversations.tests.test_channels import CONNECTED, CONNECTING
from customers.tests.factories import CustomerFactory
from integrations.testing.fake_server import FakeServer
from integrations.wordpress.tests.builders import add_classic_order
from leads.models import ImportRun
from leads.tests.factories import ImportRunFactory
from leads.tests.woo_site import server_of, woo_site
from orders.models import Order, OrderItem
from orders.tests.conftest import outbound_texts
from tenants.models import Membership
from tenants.scoping import company_scope
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory
from tests.browser.driver import DESKTOP, MOBILE, wait_until
from tests.browser.plugin import SCREENSHOT_DIR
from tests.worker import CeleryWorker

FIGURES = ("orders", "messages_in", "pix_paid", "leads", "woo_carts_recovered")


@pytest.fixture
def manager(company_a):
    user = UserFactory(username="gerente", first_name="Bia")
    return MembershipFactory(company=company_a, user=user, role=Membership.Role.MANAGER).user


def css(browser, selector):
    return browser.find_elements(By.CSS_SELECTOR, selector)


def shot(browser, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT_DIR / f"{name}-{browser.window_width}.png"))


def no_horizontal_scroll(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def integer(text: str) -> int:
    return int(re.sub(r"\D", "", text) or 0)


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_dashboard_figures_equal_the_api_and_the_lists_they_open(
    browser, browser_login, live_server, company_a, manager
):
    with company_scope(company_a):
        dashboard_sample_fill(company_a, orders=40)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company_a, user=manager)}")
    figures = api.get("/api/dashboard/", {"period": "30d"}).json()["figures"]
    browser_login(manager)

    browser.get(f"{live_server.url}/admin/?period=30d")
    wait_until(lambda: css(browser, "[data-figure=orders] .card-value"), what="the cards")
    shot(browser, "dashboard")
    shown = {key: integer(css(browser, f"[data-figure={key}] .card-value")[0].text) for key in FIGURES}

    assert no_horizontal_scroll(browser)
    assert shown == {key: figures[key] for key in FIGURES}
    assert css(browser, "svg")  # the charts, drawn on the server
    for key in ("orders", "leads"):
        browser.get(f"{live_server.url}/admin/?period=30d")
        card = wait_until(lambda k=key: css(browser, f"a[data-figure={k}]"), what=f"the {key} card")[0]
        browser.execute_script("arguments[0].scrollIntoView()", card)
        card.click()
        paginator = wait_until(lambda: css(browser, "#changelist .paginator"), what="the list")[0]
        assert integer(paginator.text.split()[0]) == figures[key], paginator.text
    shot(browser, "dashboard-linked-list")


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_an_order_crosses_the_board_to_completed_and_the_customer_hears_each_step(
    browser, browser_login, live_server, company_a, manager
):
    customer = CustomerFactory(company=company_a, name="Maria Souza")
    ConversationFactory(company=company_a, customer=customer, channel__status=Channel.Status.CONNECTED)
    with company_scope(company_a):
        order = Order.objects.create(
            company=company_a, customer=customer, total=Decimal("59.80"), payment_method=Order.PaymentMethod.PIX
        )
        OrderItem.objects.create(
            company=company_a,
            order=order,
            name="Calabresa",
            quantity=2,
            unit_price=Decimal("29.90"),
            total=Decimal("59.80"),
        )
    browser_login(manager)
    browser.get(live_server.url + reverse("admin:orders_order_board"))
    card = f'article[data-order="{order.pk}"]'
    shot(browser, "board")
    assert no_horizontal_scroll(browser)
    assert "R$ 59,80" in css(browser, card)[0].text

    for target in ("awaiting_payment", "paid", "preparing", "out_for_delivery", "completed"):
        button = wait_until(lambda: css(browser, f"{card} button.primary"), what=f"the move to {target}")[0]
        assert button.get_attribute("value") == target
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait_until(
            lambda t=target: css(browser, f'section[data-column="{t}"] {card}'), what=f"the card in the {target} column"
        )
    shot(browser, "board-completed")

    with company_scope(company_a):
        assert Order.objects.get(pk=order.pk).status == "completed"
    texts = outbound_texts(company_a)
    assert len(texts) == 4 and all(f"{order.pk}" in text for text in texts)  # paid, preparing, on the way, done
    assert not css(browser, f"{card} button.primary")  # completed: nothing more is offered


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_the_channel_qr_refreshes_by_itself_until_connected(
    browser, browser_login, live_server, company_a, manager, monkeypatch
):
    monkeypatch.setattr(channel_admin, "QR_REFRESH_SECONDS", 1)
    monkeypatch.setattr(channel_admin, "PROVIDER_ASK_SECONDS", 0)
    with FakeServer() as uazapi:
        second = {"instance": {**CONNECTING["instance"], "qrcode": "data:image/png;base64,BBBB"}}
        uazapi.add("GET", "/instance/status", json=second, times=2)
        uazapi.add("GET", "/instance/status", json=CONNECTED)
        channel = make_channel(
            company_a,
            provider="uazapi",
            name="loja",
            base_url=uazapi.url,
            credentials={"token": "tok-123456789"},
            status=Channel.Status.CONNECTING,
            qr_code="data:image/png;base64,AAAA",
        )
        browser_login(manager)

        browser.get(live_server.url + reverse("admin:conversations_channel_change", args=[channel.pk]))
        assert browser.find_element(By.ID, "channel-qr").get_attribute("src").endswith("AAAA")
        shot(browser, "channel-connecting")
        wait_until(
            lambda: browser.find_element(By.ID, "channel-qr").get_attribute("src").endswith("BBBB"), what="a new QR"
        )
        wait_until(lambda: browser.find_element(By.ID, "channel-status").text == "Conectado", what="connected")
        shot(browser, "channel-connected")

        assert not browser.find_element(By.ID, "channel-qr").is_displayed()
        assert "tok-123456789" not in browser.page_source
        assert no_horizontal_scroll(browser)


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_a_failed_import_shows_its_reason(browser, browser_login, live_server, company_a, manager):
    run = ImportRunFactory(
        company=company_a, status=ImportRun.Status.FAILED, error="Não foi possível conectar ao banco: conexão recusada"
    )
    browser_login(manager)

    browser.get(live_server.url + reverse("admin:leads_importrun_change", args=[run.pk]))
    summary = wait_until(lambda: browser.find_element(By.ID, "import-summary").text, what="the reason")
    shot(browser, "import-failed")

    assert "conexão recusada" in summary
    bar = browser.find_element(By.ID, "import-progress-bar").rect
    assert bar["x"] + bar["width"] <= browser.window_width  # the bar fits a phone's width
    assert browser.find_element(By.ID, "import-progress").get_attribute("data-status") == "failed"
    assert "errornote" in browser.find_element(By.ID, "import-summary").get_attribute("class")
    browser.get(live_server.url + reverse("admin:leads_importrun_changelist"))
    assert "Falhou" in browser.find_element(By.ID, "result_list").text


@pytest.mark.parametrize("browser", [DESKTOP], indirect=True)
def test_lists_keep_their_key_columns_in_view_at_1440(browser, browser_login, live_server, company_a, manager):
    with company_scope(company_a):
        dashboard_sample_fill(company_a, orders=12)
    browser_login(manager)

    for name in ("orders_order", "customers_customer", "carts_cart", "conversations_conversation", "leads_lead"):
        browser.get(live_server.url + reverse(f"admin:{name}_changelist"))
        table = wait_until(lambda: css(browser, "#result_list"), what=f"the {name} list")[0]
        shot(browser, f"list-{name}")
        right = browser.execute_script("return document.documentElement.clientWidth")
        assert no_horizontal_scroll(browser), name
        for header in css(browser, "#result_list thead th"):
            assert header.rect["x"] + header.rect["width"] <= right + 1, (name, header.text)
        assert table.is_displayed()


STORE_ORDERS = 500


@contextmanager
def store_table_locked(mysql_url: str, site):
    """The store's posts table locked by another session: an import that reads it waits, "running",
    until the block ends (an import of thousands of orders takes under a second, too fast for the
    page's one-second poll to see it running otherwise)."""
    locker = pymysql.connect(**server_of(mysql_url), database=site.source.database, autocommit=True)
    try:
        with locker.cursor() as cursor:
            cursor.execute(f"LOCK TABLES `{site.prefix}posts` WRITE")
        yield
    finally:
        with locker.cursor() as cursor:
            cursor.execute("UNLOCK TABLES")
        locker.close()


@pytest.mark.services
@pytest.mark.timeout(400)
@pytest.mark.parametrize("browser", [DESKTOP], indirect=True)
def test_the_wordpress_form_tests_the_store_and_an_import_goes_queued_running_done(
    browser, browser_login, live_server, company_a, manager, mysql_url, redis_url, tmp_path
):
    worker = CeleryWorker(redis_url, tmp_path / "imports-worker.log", queues="imports")
    with woo_site(mysql_url) as site:
        for n in range(STORE_ORDERS):
            add_classic_order(site, woo_order(1000 + n))
        browser_login(manager)

        browser.get(live_server.url + reverse("admin:tenants_companysetting_integration", args=["wordpress"]))
        for key, value in (
            ("wp_db_host", site.source.host),
            ("wp_db_port", str(site.source.port)),
            ("wp_db_name", site.source.database),
            ("wp_db_user", site.source.user),
            ("wp_db_password", site.source.password),
            ("wp_table_prefix", site.source.table_prefix),
        ):
            field = browser.find_element(By.NAME, key)
            field.clear()
            field.send_keys(value)
        shot(browser, "wordpress-form")
        test_button = browser.find_element(By.CSS_SELECTOR, "button[name=action][value=test]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", test_button)
        test_button.click()
        messages = wait_until(lambda: css(browser, "ul.messagelist li"), what="the test's answer")
        shot(browser, "wordpress-tested")
        assert any(f"Conectado a {site.source.database}" in m.text for m in messages), [m.text for m in messages]

        worker.route()  # the import waits in the queue until the worker starts
        try:
            browser.get(live_server.url + reverse("admin:leads_importrun_add"))
            Select(browser.find_element(By.NAME, "kind")).select_by_value("all")
            for name, value in (
                ("period_start_0", "01/03/2024"),
                ("period_start_1", "00:00:00"),
                ("period_end_0", "01/04/2024"),
                ("period_end_1", "00:00:00"),
            ):
                field = browser.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            browser.find_element(By.NAME, "_save").click()
            runs = ImportRun.objects.for_company(company_a)
            wait_until(lambda: runs.exists(), what="the run")
            browser.get(live_server.url + reverse("admin:leads_importrun_change", args=[runs.get().pk]))
            browser.execute_script(RECORD_STATES)
            wait_until(
                lambda: browser.find_element(By.ID, "import-progress-text").text.startswith("Na fila"), what="queued"
            )
            shot(browser, "import-queued")
            with store_table_locked(mysql_url, site):
                worker.start()
                wait_until(
                    lambda: browser.find_element(By.ID, "import-progress").get_attribute("data-status") == "running",
                    timeout=60,
                    what="running",
                )
                shot(browser, "import-running")
            wait_until(
                lambda: "Concluída" in browser.find_element(By.ID, "import-progress-text").text,
                timeout=120,
                what="done",
            )
            shot(browser, "import-done")
            states = browser.execute_script("return window.__importStates")
        finally:
            worker.stop()

    assert [state for n, state in enumerate(states) if n == 0 or states[n - 1] != state] == [
        "queued",
        "running",
        "succeeded",
    ], states
    with company_scope(company_a):
        assert Order.objects.filter(source="woocommerce").count() == STORE_ORDERS


# The states the page showed, in order (the page polls every second; a MutationObserver keeps each one).
RECORD_STATES = """
window.__importStates = [];
const box = document.getElementById("import-progress");
const keep = () => window.__importStates.push(box.dataset.status);
keep();
new MutationObserver(keep).observe(box, {attributes: true, attributeFilter: ["data-status"]});
"""


def woo_order(number: int) -> dict:
    return {
        "id": number,
        "created_gmt": "2024-03-10 15:00:00",
        "created_local": "2024-03-10 12:00:00",
        "status": "wc-completed",
        "user_id": 0,
        "first_name": f"Cliente{number}",
        "last_name": "Souza",
        "email": f"c{number}@example.com",
        "phone": f"(11) 9{number:04d}-{number % 10000:04d}",
        "total": "59.80",
        "items": [("Chinelo Básico", 16, 0, 2, "59.80")],
    }
