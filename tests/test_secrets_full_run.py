"""A full run with every secret set to a distinctive value: none of them is in the database dump or
in any log line, and no log line holds a full phone number or a webhook key.

Every provider is configured with credentials and driven through its webhook (accepted and
refused deliveries, Meta's GET handshake) and one outbound send; Mercado Pago gets a signed
notification; the ERP push, the LLM call and the Google Sheets export run against local fakes; the
WordPress test-connection button runs with a password; the cron endpoints are called with the
header and, refused, the old way (``?secret=``). Logs: every record of every logger, through the
project's JSON formatter, plus the access line gunicorn would write for each request. Then
``pg_dump`` of the test database is searched.
"""

import hashlib
import hmac
import io
import json
import logging
import shutil
import subprocess
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from gunicorn.config import Config

from config import services
from config.gunicorn_logging import MaskingLogger
from config.logging import json_formatter
from conversations.models import Channel
from conversations.providers import credentials_for, get_provider
from conversations.tests.conftest import make_channel
from conversations.tests.test_provider_payloads import meta_signature
from customers.models import Customer
from integrations.llm import LlmCredentials, extract_order_lines
from integrations.messaging.tests.support import raw
from integrations.testing.fake_server import FakeServer
from integrations.tests.test_google_sheets import SERVICE_ACCOUNT, SHEET_ID, token_endpoint, values_path
from integrations.tests.test_llm import CATALOG, PATH, answer_with
from integrations.tests.test_tiny import FakeTiny
from leads.models import Lead
from orders.erp_tasks import order_erp_push_task
from orders.models import Order
from orders.tests.test_erp import _completed_order
from tenants.models import Membership
from tenants.services import company_setting_set
from tenants.tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.services]

SECRETS = {
    "gosac_token": "GOSACtok-5d1e7a",
    "gosac_integration": "GOSACint-8b2c4f",
    "uazapi_token": "UAZAPItok-3f9e1b",
    "evolution_api_key": "EVOkey-6a4d2c",
    "meta_token": "METAtok-9c7b5e",
    "meta_app_secret": "METAsecret-2e8f6a",
    "meta_verify_token": "METAverify-4b1d9c",
    "mp_access_token": "APP_USR-MPtok-7e3a5b",
    "mp_webhook_secret": "MPwhsecret-1c6f8d",
    "tiny_token": "TINYtok-5a9e2b",
    "llm_key": "gsk_LLMkey-8d4c1e",
    "wp_password": "WPpass-3b7f9a",
    "google_key_id": "GOOGkid-6e2a8c",
    "cron_secret": "CRONsecret-9f5d3b",
}
# The phones of the customers who write in the provider fixtures, and one typed into a lead.
PHONES = ("5511987654321", "5511999990001")


class LogCapture:
    """Every log record of the run as the JSON line production would write, plus access lines."""

    def __init__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(json_formatter())
        self.access = MaskingLogger(Config())

    def __enter__(self):
        root = logging.getLogger()
        self.level, root.level = root.level, logging.DEBUG
        root.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.level = self.level

    def access_line(self, method: str, url: str, status: int) -> None:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "RAW_URI": url,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.7",
        }
        req = SimpleNamespace(headers=[], method=method, path=path, query=query)
        resp = SimpleNamespace(status=f"{status} X", status_code=status, sent=0, headers=[], response_length=0)
        atoms = self.access.atoms(resp, req, environ, timedelta(milliseconds=5))
        self.stream.write(self.access.cfg.access_log_format % atoms + "\n")

    @property
    def text(self) -> str:
        return self.stream.getvalue()


class Browser:
    """A test client whose every request also writes gunicorn's access line."""

    def __init__(self, client: Client, logs: LogCapture):
        self.client, self.logs = client, logs

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        self.logs.access_line("GET", url, response.status_code)
        return response

    def post(self, url, data=None, **kwargs):
        response = self.client.post(url, data=data, **kwargs)
        self.logs.access_line("POST", url, response.status_code)
        return response


def secret(company, key, value):
    company_setting_set(company=company, key=key, value=value, value_type="secret")


def text(company, key, value):
    company_setting_set(company=company, key=key, value=value, value_type="string")


def channel(company, provider, credentials, **fields):
    return make_channel(company, provider=provider, name=f"{provider}-full", credentials=credentials, **fields)


def drive_webhooks(browser: Browser, company, server_url: str) -> list[Channel]:
    s = SECRETS
    gosac = channel(company, "gosac", {"token": s["gosac_token"], "integration": s["gosac_integration"]})
    uazapi = channel(company, "uazapi", {"token": s["uazapi_token"]})
    evolution = channel(company, "evolution", {"api_key": s["evolution_api_key"], "instance": "loja"})
    meta = channel(
        company,
        "meta_cloud",
        {
            "token": s["meta_token"],
            "app_secret": s["meta_app_secret"],
            "verify_token": s["meta_verify_token"],
            "phone_number_id": "1122334455667",
        },
    )
    for row in (gosac, uazapi, evolution, meta):
        Channel.objects.for_company(company).filter(pk=row.pk).update(base_url=server_url)
        row.refresh_from_db()

    def post(row, body: bytes, **headers):
        url = reverse("webhook", args=[row.inbound_key])
        return browser.post(url, data=body, content_type="application/json", **headers)

    assert post(gosac, raw("gosac", "text")).status_code == 200
    uazapi_body = {**json.loads(raw("uazapi", "text")), "token": s["uazapi_token"]}
    assert post(uazapi, json.dumps(uazapi_body).encode()).status_code == 200
    assert post(uazapi, json.dumps({**uazapi_body, "token": "wrong"}).encode()).status_code == 403
    evolution_body = {**json.loads(raw("evolution", "text")), "apikey": s["evolution_api_key"]}
    assert post(evolution, json.dumps(evolution_body).encode()).status_code == 200
    meta_body = raw("meta_cloud", "text")
    signature = meta_signature(meta_body, s["meta_app_secret"])
    assert post(meta, meta_body, HTTP_X_HUB_SIGNATURE_256=signature).status_code == 200
    assert post(meta, meta_body, HTTP_X_HUB_SIGNATURE_256="sha256=00").status_code == 403
    handshake = f"?hub.mode=subscribe&hub.challenge=42&hub.verify_token={s['meta_verify_token']}"
    assert browser.get(reverse("webhook", args=[meta.inbound_key]) + handshake).status_code == 200
    assert post(meta, b"[" * 100_000).status_code == 400
    return [gosac, uazapi, evolution, meta]


def send_outbound(channels: list[Channel], server: FakeServer) -> None:
    server.add("POST", "/send-message", json={"id": "g-1"})
    server.add("POST", "/send/text", json={"messageid": "u-1"})
    server.add("POST", "/message/sendText/loja", json={"key": {"id": "e-1"}})
    server.add("POST", "/v23.0/1122334455667/messages", json={"messages": [{"id": "wamid.1"}]})
    for row in channels:
        get_provider(row.provider).send_text(credentials_for(row), "5511987654321", "Seu pedido saiu para entrega")


def drive_mercadopago(browser: Browser, company, server: FakeServer, settings) -> None:
    settings.MERCADOPAGO_BASE_URL = server.url
    secret(company, "mercadopago_access_token", SECRETS["mp_access_token"])
    secret(company, "mercadopago_webhook_secret", SECRETS["mp_webhook_secret"])
    server.add("GET", "/v1/payments/555", json={"id": 555, "status": "approved", "external_reference": "x"})
    ts, request_id = str(int(time.time())), "req-1"
    manifest = f"id:555;request-id:{request_id};ts:{ts};"
    signature = hmac.new(SECRETS["mp_webhook_secret"].encode(), manifest.encode(), hashlib.sha256).hexdigest()
    url = reverse("mercadopago-webhook", args=[company.webhook_key]) + "?data.id=555&type=payment"
    body = json.dumps({"action": "payment.updated", "type": "payment", "data": {"id": "555"}})
    for sign in (f"ts={ts},v1={signature}", f"ts={ts},v1=00"):
        browser.post(
            url, data=body, content_type="application/json", HTTP_X_REQUEST_ID=request_id, HTTP_X_SIGNATURE=sign
        )


def drive_erp(company) -> None:
    with FakeServer() as server:
        FakeTiny(server)
        text(company, "erp_provider", "tiny")
        secret(company, "tiny_token", SECRETS["tiny_token"])
        text(company, "tiny_base_url", f"{server.url}/api2")
        customer = Customer.objects.for_company(company).create(company=company, name="Ana", phone="+5511999990001")
        order = _completed_order(company, customer)
        Order.objects.for_company(company).filter(pk=order.pk).update(status="completed")
        order_erp_push_task(company_id=company.pk, order_id=order.pk)


def drive_llm() -> None:
    with FakeServer() as server:
        server.add("POST", PATH, status=401, json={"error": {"message": "Invalid API Key"}})
        creds = LlmCredentials(api_key=SECRETS["llm_key"], base_url=f"{server.url}/openai/v1", timeout=2.0)
        try:
            extract_order_lines(creds, "2 pizzas", CATALOG)
        except Exception:  # noqa: BLE001 - only what it logs matters here
            pass
        server.add("POST", PATH, json=answer_with([]))


def drive_sheets(browser: Browser, company, settings) -> None:
    key = {**SERVICE_ACCOUNT, "private_key_id": SECRETS["google_key_id"]}
    Lead.objects.for_company(company).create(
        company=company, external_id="l1", name="Bia", phone="+5511999990001", phone_raw="+55 11 99999-0001"
    )
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'leads'", ":clear"), json={})
        server.add("PUT", values_path("'leads'!A1"), json={"updatedRange": "leads!A1:H2", "updatedRows": 2})
        key["token_uri"] = f"{server.url}/token"
        secret(company, "google_service_account_json", json.dumps(key))
        text(company, "google_sheets_spreadsheet_id", SHEET_ID)
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"
        lead = Lead.objects.for_company(company).get(external_id="l1")
        browser.post("/admin/leads/lead/", {"action": "export_google_sheets", "_selected_action": [lead.pk]})


def drive_wordpress(browser: Browser, company) -> None:
    text(company, "wp_db_host", "127.0.0.1")
    text(company, "wp_db_name", "wp_full_run")
    text(company, "wp_db_user", "balcao_full_run")
    company_setting_set(company=company, key="wp_db_port", value=3306, value_type="number")
    secret(company, "wp_db_password", SECRETS["wp_password"])
    # POST only; answered with a redirect to the list carrying the message ("access denied").
    assert browser.post("/admin/leads/importrun/test-connection/").status_code == 302


def drive_cron(browser: Browser, settings) -> None:
    settings.CRON_SECRET = SECRETS["cron_secret"]
    for path in ("/cron/reset-states", "/cron/abandoned-carts", "/cron/avaliar"):
        assert browser.get(path, HTTP_X_CRON_SECRET=SECRETS["cron_secret"]).status_code == 200
        assert browser.get(f"{path}?secret={SECRETS['cron_secret']}").status_code == 403


def dump_database() -> str:
    pg_dump = shutil.which("pg_dump")
    if connection.vendor != "postgresql" or pg_dump is None:
        reason = "needs PostgreSQL and pg_dump (apt-get install postgresql-client; .ci/run installs it)"
        if services.services_required():
            pytest.fail(reason)
        pytest.skip(reason)
    params = connection.get_connection_params()
    command = [pg_dump, "--data-only", "--no-owner", "--dbname", params["dbname"]]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command += [flag, str(params[key])]
    env = {"PGPASSWORD": str(params.get("password") or ""), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout


@pytest.mark.django_db(transaction=True)
def test_no_secret_in_the_database_or_the_logs_and_no_full_phone_in_the_logs(settings, client):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    company = CompanyFactory(name="Loja Segredo", slug="loja-segredo")
    owner = MembershipFactory(company=company, user=UserFactory(username="dona"), role=Membership.Role.OWNER).user
    client.force_login(owner)
    with LogCapture() as logs, FakeServer() as server:
        browser = Browser(client, logs)
        channels = drive_webhooks(browser, company, server.url)
        send_outbound(channels, server)
        drive_mercadopago(browser, company, server, settings)
        drive_erp(company)
        drive_llm()
        drive_sheets(browser, company, settings)
        drive_wordpress(browser, company)
        drive_cron(browser, settings)
        keys = [row.inbound_key for row in channels] + [company.webhook_key]
        logging.getLogger("balcao.full_run").warning("customer %s wrote", "+5511987654321")  # the mask itself

    dump = dump_database()
    assert "loja-segredo" in dump and "dona" in dump  # the dump holds the run's rows
    assert [name for name, value in SECRETS.items() if value in dump] == []
    assert [name for name, value in SECRETS.items() if value in logs.text] == []
    assert [key for key in keys if key in logs.text] == []
    assert [phone for phone in PHONES if phone in logs.text] == []
    assert "/webhook/***/" in logs.text and "hub.verify_token=***" in logs.text  # the access lines were written
