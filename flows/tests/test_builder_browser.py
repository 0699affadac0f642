"""The flow builder in a real browser (tests/browser): a shop owner builds a small ordering flow
from an empty template on one page, the checker refuses an unknown action and unsupported syntax,
they fix it, publish, read the graph (with the draft/published difference), and take an order in
the preview docked beside the editor, without a page reload, the current subflow highlighted."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from flows.models import FlowMessage, FlowTemplate, Subflow
from integrations.messaging.console import ConsoleProvider
from orders.models import Order
from tenants.demo import DEMO_USERNAME, load_demo
from tenants.scoping import company_scope
from tests.browser.driver import DESKTOP, MOBILE, csp_violations, wait_until
from tests.browser.plugin import SCREENSHOT_DIR


@pytest.fixture
def demo(transactional_db, postgres_only, settings, tmp_path, django_user_model):
    """The demo company (menu, zones, Pix key) and its manager, logged in."""
    settings.VAR_DIR = tmp_path
    ConsoleProvider.clear_outbox()
    company, _, _ = load_demo()
    return company, django_user_model.objects.get(username=DEMO_USERNAME)


def css(browser, selector):
    return browser.find_elements(By.CSS_SELECTOR, selector)


def one(browser, selector):
    return browser.find_element(By.CSS_SELECTOR, selector)


def fill(browser, name: str, value: str) -> None:
    field = one(browser, f'[name="{name}"]')
    field.clear()
    field.send_keys(value)


def tick(browser, name: str) -> None:
    box = one(browser, f'[name="{name}"]')
    if not box.is_selected():
        browser.execute_script("arguments[0].click();", box)


def save(browser) -> None:
    browser.execute_script("document.getElementById('builder-save').click();")
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete", what="the page")


def new_message_prefix(browser, subflow_name: str) -> str:
    """The form prefix of the blank message of the subflow called `subflow_name`."""
    for card in css(browser, "section.builder-subflow"):
        if card.find_element(By.CSS_SELECTOR, "header strong").text == subflow_name:
            blank = card.find_element(By.CSS_SELECTOR, "article.builder-new textarea")
            return blank.get_attribute("name").removesuffix("message_text")
    raise AssertionError(f"no subflow card {subflow_name}")


def add_message(browser, subflow: str, text: str, *, wait=False, action="") -> None:
    prefix = new_message_prefix(browser, subflow)
    fill(browser, prefix + "message_text", text)
    if wait:
        tick(browser, prefix + "wait_for_response")
    if action:
        fill(browser, prefix + "action", action)
    save(browser)


def messages_text(browser) -> str:
    return " ".join(e.text for e in css(browser, ".messagelist li"))


def test_a_flow_is_built_checked_published_and_ordered_from_in_the_preview(demo, browser_login, live_server):
    company, user = demo
    browser = browser_login(user)

    # An empty template: created, it opens in the builder.
    browser.get(live_server.url + "/admin/flows/flowtemplate/add/")
    fill(browser, "name", "Balcão rápido")
    one(browser, 'input[name="_save"]').click()
    wait_until(lambda: "/builder/" in browser.current_url, what="the builder")
    with company_scope(company):
        template = FlowTemplate.objects.get(name="Balcão rápido")
    assert "ordem" in browser.page_source.lower() and "pedido" not in one(browser, ".builder-flows").text.lower()

    fill(browser, "flows-0-name", "Atendimento")
    save(browser)
    fill(browser, css(browser, ".builder-new-subflow input[name$='-name']")[0].get_attribute("name"), "Pedido")
    save(browser)

    # The checker refuses an unknown action and an expression, on their fields, and saves nothing.
    prefix = new_message_prefix(browser, "Pedido")
    fill(browser, prefix + "message_text", "Olá {{ nome.upper() }}! O que vai querer? (ex.: 2x calabresa)")
    tick(browser, prefix + "wait_for_response")
    fill(browser, prefix + "action", "mostrar_cardapio")
    save(browser)
    errors = " ".join(e.text for e in css(browser, ".builder-field.has-errors .errorlist"))
    assert "Ação desconhecida “mostrar_cardapio”" in errors
    assert "Sintaxe não suportada {{ nome.upper() }}" in errors
    assert "Não salvo" in messages_text(browser)
    with company_scope(company):
        assert not FlowMessage.objects.filter(subflow__flow__template=template).exists()

    # Fixed with the pickers' names, then the rest of the flow.
    prefix = new_message_prefix(browser, "Pedido")
    fill(browser, prefix + "message_text", "Olá ")
    Select(one(browser, f'select[data-insert-into="id_{prefix}message_text"]')).select_by_value("nome")
    one(browser, f'[name="{prefix}message_text"]').send_keys("! O que vai querer? (ex.: 2x calabresa)")
    fill(browser, prefix + "action", "add_to_cart")
    save(browser)
    assert "Rascunho salvo" in messages_text(browser)
    add_message(browser, "Pedido", "Como vai pagar: *Pix*, _dinheiro_ ou cartão?", wait=True, action="checkout")
    add_message(browser, "Pedido", "Obrigado, {{ nome }}!")
    with company_scope(company):
        assert list(
            FlowMessage.objects.filter(subflow__flow__template=template)
            .order_by("order_index")
            .values_list("message_text", flat=True)
        ) == [
            "Olá {{ nome }}! O que vai querer? (ex.: 2x calabresa)",
            "Como vai pagar: *Pix*, _dinheiro_ ou cartão?",
            "Obrigado, {{ nome }}!",
        ]
    assert "O verificador não encontrou problemas" in browser.page_source

    # Publish; then a new subflow in the draft shows as added on the graph.
    browser.execute_script("document.getElementById('builder-publish').click();")
    wait_until(
        lambda: "Publicada como versão 1" in messages_text(browser) or "versão 1" in messages_text(browser),
        what="the publish",
    )
    fill(browser, css(browser, ".builder-new-subflow input[name$='-name']")[0].get_attribute("name"), "Cardápio")
    fill(
        browser,
        css(browser, ".builder-new-subflow input[name$='-trigger_keywords']")[0].get_attribute("name"),
        "cardápio, menu",
    )
    save(browser)
    add_message(browser, "Cardápio", "Nosso cardápio:", action="show_catalog")
    with company_scope(company):
        subflows = Subflow.objects.filter(flow__template=template).count()
        pedido = Subflow.objects.get(flow__template=template, name="Pedido")
    # The graph is swapped in after each save (htmx): read it once the new one is there, whole.
    wait_until(
        lambda: "1 adicionados" in one(browser, ".builder-graph-legend").text, what="the graph with the new subflow"
    )
    nodes = css(browser, "#builder-graph .node-subflow:not(.removed)")
    assert len(nodes) == subflows == 2
    assert len(css(browser, "#builder-graph .node-subflow.added")) == 1
    if browser.window_width == DESKTOP:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT_DIR / "flow_builder_graph_1440.png"))

    # The docked preview: an order without a page reload, the current subflow highlighted.
    wait_until(lambda: css(browser, "#preview-text"), what="the preview panel")
    browser.execute_script("window.__sameDocument = true;")

    def say(text: str, expect: str) -> None:
        field = one(browser, "#preview-text")
        field.clear()
        field.send_keys(text)
        one(browser, "#preview-send").click()
        wait_until(lambda: expect in one(browser, "#preview-log").text, what=f"the bot's answer to {text!r}")

    say("oi", "O que vai querer?")
    say("2x calabresa", "Como vai pagar")
    assert "Pizza de Calabresa" in one(browser, "#preview-cart").text
    current = wait_until(lambda: css(browser, "#builder-graph .node.current"), what="the highlighted node")
    assert current[0].get_attribute("id") == f"graph-subflow-{pedido.pk}"
    assert css(browser, "#preview-log .bubble.outbound strong")  # *Pix* rendered bold
    say("pix", "Obrigado")
    with company_scope(company):
        order = Order.objects.get(customer__provider_contact_ids__has_key="simulator")
    link = wait_until(lambda: css(browser, "#preview-orders a.preview-order"), what="the order link")
    assert link[0].get_attribute("href").endswith(f"/admin/orders/order/{order.pk}/change/")
    assert css(browser, "#preview-log img.pix-qr")
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    assert csp_violations(browser) == []
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT_DIR / "flow_builder_preview_1440.png"))

    # The published version's graph, with its per-node figures (the preview talked to the draft).
    Select(one(browser, "#builder-graph select[name=version]")).select_by_value("1")
    wait_until(lambda: css(browser, "#graph-analytics"), what="the version's analytics")
    assert len(css(browser, "#builder-graph .node-subflow")) == 1
    assert "0 chegaram" in one(browser, "#builder-graph").text
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"


@pytest.mark.parametrize("browser", [DESKTOP, MOBILE], indirect=True)
def test_the_builder_reads_at_its_width(demo, browser_login, live_server, browser):
    company, user = demo
    with company_scope(company):
        template = FlowTemplate.objects.get(name="Pedidos")
    browser = browser_login(user)

    browser.get(live_server.url + f"/admin/flows/flowtemplate/{template.pk}/builder/")
    wait_until(lambda: css(browser, "#preview-text"), what="the preview panel")

    assert (
        len(css(browser, "#builder-graph .node-subflow"))
        == Subflow.objects.for_company(company).filter(flow__template=template).count()
    )
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than the window"
    assert csp_violations(browser) == []
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT_DIR / f"flow_builder_{browser.window_width}.png"))
