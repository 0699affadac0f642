import json
from datetime import UTC, datetime

import pytest
from django.utils import translation

from integrations.testing.fake_server import FakeServer
from integrations.tests.test_google_sheets import SERVICE_ACCOUNT, SHEET_ID, token_endpoint, values_path
from leads.tests.factories import LeadFactory
from orders.tests.factories import OrderFactory
from tenants.services import company_setting_set

LEADS = "/admin/leads/lead/"


@pytest.fixture(autouse=True)
def english():
    """Assert the English msgids whatever the compiled pt-BR catalog holds."""
    with translation.override("en"):
        yield


def configure(company, server):
    key = {**SERVICE_ACCOUNT, "token_uri": f"{server.url}/token"}
    company_setting_set(company=company, key="google_service_account_json", value=json.dumps(key), value_type="secret")
    company_setting_set(company=company, key="google_sheets_spreadsheet_id", value=SHEET_ID, value_type="string")


def fake_sheets(server, tab):
    server.add("POST", "/token", handler=token_endpoint)
    server.add(
        "POST", values_path(f"'{tab}'", ":clear"), json={"spreadsheetId": SHEET_ID, "clearedRange": f"{tab}!A1:Z100"}
    )
    server.add(
        "PUT",
        values_path(f"'{tab}'!A1"),
        handler=lambda request: (
            200,
            {},
            {"spreadsheetId": SHEET_ID, "updatedRange": f"{tab}!A1:H3", "updatedRows": len(request.json["values"])},
        ),
    )


def lead(company, name, phone, **fields):
    return LeadFactory(company=company, external_id=name, name=name, phone=phone, phone_raw=phone, **fields)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_selected_leads_exported(company_a, admin_client_a, settings):
    ana = lead(company_a, "Ana", "+5511999990001", submitted_at=datetime(2025, 3, 9, 15, 30, tzinfo=UTC))
    bia = lead(company_a, "Bia", "+5511999990002", email="bia@example.com", whatsapp_sent=True)
    lead(company_a, "Caio", "+5511999990003")  # not selected
    with FakeServer() as server:
        fake_sheets(server, "leads")
        configure(company_a, server)
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        response = admin_client_a.post(
            LEADS,
            {"action": "export_google_sheets", "_selected_action": [ana.pk, bia.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    (written,) = server.requests_to("PUT", values_path("'leads'!A1"))
    assert written.query == {"valueInputOption": ["RAW"]}
    header, *rows = written.json["values"]
    assert header == ["name", "phone", "phone as typed", "email", "size", "submitted at", "email sent", "WhatsApp sent"]
    assert sorted(rows) == [
        ["Ana", "+5511999990001", "+5511999990001", "", "", "2025-03-09T12:30:00", False, False],
        ["Bia", "+5511999990002", "+5511999990002", "bia@example.com", "", "", False, True],
    ]
    assert written.headers["Authorization"] == "Bearer ya29.test-token"
    assert messages_of(response) == ["2 row(s) exported to Google Sheets (leads!A1:H3)."]


def test_orders_exported_with_list_display_columns(company_a, admin_client_a, settings):
    order = OrderFactory(company=company_a, customer=None, total="91.00", payment_method="pix")
    with FakeServer() as server:
        fake_sheets(server, "pedidos")
        configure(company_a, server)
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        admin_client_a.post(
            "/admin/orders/order/",
            {"action": "export_google_sheets", "_selected_action": [order.pk]},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    (written,) = server.requests_to("PUT", values_path("'pedidos'!A1"))
    header, row = written.json["values"]
    assert header[:6] == ["number", "status", "customer", "total", "payment method", "neighbourhood"]
    assert row[:6] == [f"#{order.pk}", "Pending", "", 91.0, "Pix", ""]
    assert header[6:] == ["placed at", "rating"]


def test_not_configured_is_a_clear_message_and_nothing_is_sent(company_a, admin_client_a, settings):
    ana = lead(company_a, "Ana", "+5511999990001")
    with FakeServer() as server:
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        response = admin_client_a.post(
            LEADS,
            {"action": "export_google_sheets", "_selected_action": [ana.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert server.requests == []
    assert messages_of(response) == [
        "Google Sheets is not configured: add a service account JSON key in the company settings."
    ]


def test_missing_spreadsheet_id_is_a_clear_message(company_a, admin_client_a, settings):
    ana = lead(company_a, "Ana", "+5511999990001")
    company_setting_set(
        company=company_a, key="google_service_account_json", value=json.dumps(SERVICE_ACCOUNT), value_type="secret"
    )
    with FakeServer() as server:
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        response = admin_client_a.post(
            LEADS,
            {"action": "export_google_sheets", "_selected_action": [ana.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert server.requests == []
    assert messages_of(response) == [
        "Google Sheets is not configured: set the spreadsheet id (google_sheets_spreadsheet_id)."
    ]


def test_spreadsheet_refused_is_reported(company_a, admin_client_a, settings):
    ana = lead(company_a, "Ana", "+5511999990001")
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'leads'", ":clear"), status=403, json={"error": {"code": 403}})
        configure(company_a, server)
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        response = admin_client_a.post(
            LEADS,
            {"action": "export_google_sheets", "_selected_action": [ana.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert server.requests_to("PUT", values_path("'leads'!A1")) == []
    (message,) = messages_of(response)
    assert message.startswith("Google Sheets export failed (POST 127.0.0.1:")
    assert message.endswith(
        "Check that the spreadsheet is shared with the service account and has a tab named “leads”."
    )
