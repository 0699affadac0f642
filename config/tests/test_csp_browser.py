"""Headless Chromium walks the admin and the API docs under the real Content-Security-Policy: no
violation is reported, and the pages' own scripts run (company switcher, Swagger UI, import progress)."""

import shutil

import pytest
from django.test import Client
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from flows.models import FlowTemplate
from leads.models import ImportRun
from orders.models import Order
from tenants.models import Membership
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.builders import ObjectBuilder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver"),
]
# Injected by the browser itself before any page script: the page's policy does not apply to it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=pt-BR"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    yield driver
    driver.quit()


@pytest.fixture
def shop(transactional_db):
    """An owner of two companies, with a row of the models whose pages carry scripts and widgets."""
    company = CompanyFactory(name="Alpha Pizzaria", slug="alpha")  # first by name: where the owner starts
    other = CompanyFactory(name="Beta Loja", slug="beta")
    owner = UserFactory(username="owner")
    MembershipFactory(company=company, user=owner, role=Membership.Role.OWNER)
    MembershipFactory(company=other, user=owner, role=Membership.Role.OWNER)
    builder = ObjectBuilder(marker_for=lambda c: "alpha")
    rows = {model._meta.label: builder.get(model, company) for model in (Order, FlowTemplate, ImportRun)}
    return owner, rows


def sign_in(browser, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    browser.get(f"{live_server.url}/static/balcao/admin.css")  # the cookie needs the origin open
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})


def visit(browser, url: str) -> list[str]:
    """Open `url` (an admin page: it must render, not a 404); what the policy blocked there."""
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert browser.find_elements(By.ID, "content") or browser.find_elements(By.ID, "swagger-ui"), url
    events = browser.execute_script("return window.__cspViolations || []")
    console = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    return events + console


def test_the_login_page_works_under_the_policy(browser, live_server, shop):
    assert visit(browser, f"{live_server.url}/admin/login/") == []
    assert browser.find_element(By.ID, "login-form")


def test_admin_pages_report_no_violation(browser, live_server, shop):
    owner, rows = shop
    sign_in(browser, live_server, owner)
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
    ]

    violations = {page: visit(browser, live_server.url + page) for page in pages}

    assert {page: found for page, found in violations.items() if found} == {}


def test_the_import_progress_script_runs(browser, live_server, shop):
    owner, rows = shop
    sign_in(browser, live_server, owner)

    visit(browser, f"{live_server.url}/admin/leads/importrun/{rows['leads.ImportRun'].pk}/change/")

    text = WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "import-progress-text").text)
    assert "%" in text


def test_the_company_switcher_submits_on_change(browser, live_server, shop):
    owner, _rows = shop
    sign_in(browser, live_server, owner)
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
