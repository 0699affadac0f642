"""Headless Chromium walks the admin and the API docs under the real Content-Security-Policy: no
violation is reported, and the pages' own scripts run (company switcher, Swagger UI, import progress,
the inbox's refreshes). The browser, its sign-in and the violation record are tests/browser's."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from conversations.models import Conversation
from flows.models import FlowTemplate
from leads.models import ImportRun
from orders.models import Order
from tenants.models import Membership
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.browser.driver import csp_violations
from tests.builders import ObjectBuilder


@pytest.fixture
def shop(transactional_db):
    """An owner of two companies, with a row of the models whose pages carry scripts and widgets."""
    company = CompanyFactory(name="Alpha Pizzaria", slug="alpha")  # first by name: where the owner starts
    other = CompanyFactory(name="Beta Loja", slug="beta")
    owner = UserFactory(username="owner")
    MembershipFactory(company=company, user=owner, role=Membership.Role.OWNER)
    MembershipFactory(company=other, user=owner, role=Membership.Role.OWNER)
    builder = ObjectBuilder(marker_for=lambda c: "alpha")
    models = (Order, FlowTemplate, ImportRun, Conversation)
    rows = {model._meta.label: builder.get(model, company) for model in models}
    return owner, rows


def visit(browser, url: str) -> list[str]:
    """Open `url` (an admin page: it must render, not a 404); what the policy blocked there."""
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert browser.find_elements(By.ID, "content") or browser.find_elements(By.ID, "swagger-ui"), url
    return csp_violations(browser)


def test_the_login_page_works_under_the_policy(browser, live_server, shop):
    assert visit(browser, f"{live_server.url}/admin/login/") == []
    assert browser.find_element(By.ID, "login-form")


def test_admin_pages_report_no_violation(browser, browser_login, live_server, shop):
    owner, rows = shop
    browser_login(owner)
    pages = [
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{rows['orders.Order'].pk}/change/",
        "/admin/catalog/product/add/",
        f"/admin/flows/flowtemplate/{rows['flows.FlowTemplate'].pk}/change/",
        f"/admin/flows/flowtemplate/{rows['flows.FlowTemplate'].pk}/simulate/",
        "/admin/flows/flowtemplate/console-chat/",
        "/admin/leads/importrun/",
        f"/admin/leads/importrun/{rows['leads.ImportRun'].pk}/change/",
        "/admin/tenants/membership/",
        "/admin/conversations/conversation/inbox/",
        f"/admin/conversations/conversation/{rows['conversations.Conversation'].pk}/chat/",
    ]

    violations = {page: visit(browser, live_server.url + page) for page in pages}

    assert {page: found for page, found in violations.items() if found} == {}


def test_the_import_progress_script_runs(browser, browser_login, live_server, shop):
    owner, rows = shop
    browser_login(owner)

    visit(browser, f"{live_server.url}/admin/leads/importrun/{rows['leads.ImportRun'].pk}/change/")

    text = WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "import-progress-text").text)
    # The script wrote the run's state: a queued run reads "Na fila" (no percent until it runs).
    assert text.startswith(str(rows["leads.ImportRun"].get_status_display())) or "%" in text


def test_the_company_switcher_submits_on_change(browser, browser_login, live_server, shop):
    owner, _rows = shop
    browser_login(owner)
    visit(browser, f"{live_server.url}/admin/")

    Select(browser.find_element(By.ID, "company-switcher-select")).select_by_visible_text("Beta Loja")
    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.ID, "site-name"), "Beta"))
    Select(browser.find_element(By.ID, "company-switcher-select")).select_by_visible_text("Alpha Pizzaria")

    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.ID, "site-name"), "Alpha"))


def test_the_api_docs_render_the_operations(browser, live_server, shop):
    violations = visit(browser, f"{live_server.url}/api/docs/")

    operations = WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock"))
    assert len(operations) > 50
    assert violations + browser.execute_script("return window.__cspViolations") == []
