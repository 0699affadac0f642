"""API lists (customers, leads, carts, orders, recovery) filtered by period, and their exports; admin exports."""

import io
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from carts.models import Cart
from carts.tests.factories import CartFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from leads.tests.factories import LeadFactory
from orders.tests.factories import OrderFactory
from tenants.services import company_setting_set

INSIDE = datetime(2026, 11, 10, 12, tzinfo=UTC)
# 2026-11-01 02:00 UTC is still 31 October in São Paulo (the company's zone): outside November.
OUTSIDE = datetime(2026, 11, 1, 2, tzinfo=UTC)
NOVEMBER = "since=2026-11-01&until=2026-11-30"


def person(company, name, phone, when):
    customer = CustomerFactory(company=company, name=name, phone=phone)
    Customer.objects.for_company(company).filter(pk=customer.pk).update(created_at=when)
    LeadFactory(company=company, customer=customer, external_id=name, name=name, phone=phone, submitted_at=when)
    CartFactory(
        company=company, customer=customer, source="woocommerce", external_id=name, status="abandoned",
        last_activity_at=when, external_total=Decimal("100.00"),
    )  # fmt: skip
    OrderFactory(
        company=company, customer=customer, source="woocommerce", external_id=name, status="cancelled",
        placed_at=when, total=Decimal("80.00"),
    )  # fmt: skip
    return customer


@pytest.fixture
def people(company_a, company_b):
    return {
        "inside": person(company_a, "Dentro Silva", "+5511987654321", INSIDE),
        "outside": person(company_a, "Fora Souza", "+5521987654321", OUTSIDE),
        "other": person(company_b, "Intrusa Lima", "+5531987654321", INSIDE),
    }


LISTS = ["/api/customers/", "/api/leads/", "/api/carts/", "/api/orders/"]


@pytest.mark.parametrize("url", LISTS)
def test_lists_are_company_scoped_and_filtered_by_period_in_the_company_zone(api_client_a, people, url):
    everything = api_client_a.get(url).json()["results"]
    november = api_client_a.get(f"{url}?{NOVEMBER}").json()["results"]

    assert len(everything) == 2  # company B's row never shows
    assert [row["id"] for row in november] == [row["id"] for row in everything if "Dentro" in str(row)][:1]
    assert len(november) == 1


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "query",
    [
        "since=2026-02-30",
        "until=ontem",
        "periodo=semana",
        "periodo=hoje&since=2026-11-01",
        "since=2026-11-02&until=2026-11-01",
    ],
)
def test_bad_periods_are_a_400(api_client_a, url, query):
    assert api_client_a.get(f"{url}?{query}").status_code == 400


def test_periodo_presets(api_client_a, company_a):
    CustomerFactory(company=company_a, name="Hoje", phone="+5511987654321")

    assert [r["name"] for r in api_client_a.get("/api/customers/?periodo=hoje").json()["results"]] == ["Hoje"]
    assert api_client_a.get("/api/customers/?periodo=ontem").json()["results"] == []


def test_customer_detail_of_another_company_is_a_404(api_client_a, people):
    mine = api_client_a.get(f"/api/customers/{people['inside'].pk}/")
    theirs = api_client_a.get(f"/api/customers/{people['other'].pk}/")

    assert (mine.status_code, mine.json()["name"], mine.json()["phone"]) == (200, "Dentro Silva", "+5511987654321")
    assert theirs.status_code == 404


def test_analytics_are_filterable_by_period(api_client_a, people):
    recovery = api_client_a.get(f"/api/analytics/recovery/?{NOVEMBER}").json()
    leads = api_client_a.get(f"/api/analytics/leads/?{NOVEMBER}").json()
    everything = api_client_a.get("/api/analytics/leads/").json()

    assert (recovery["carts"], recovery["recovered"], recovery["orders"]) == (1, 0, 0)  # cancelled orders don't count
    assert (leads["total"], everything["total"]) == (1, 2)


# --- Exports of the filtered API lists -----------------------------------------------------------

EXPORTS = [*(f"{url}export/" for url in LISTS), "/api/analytics/recovery/export/"]


def _text(response, fmt) -> str:
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        return "\n".join(" ".join(str(cell.value) for cell in row) for row in sheet.iter_rows())
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "txt"])
def test_api_exports_hold_the_filtered_list_only(api_client_a, people, url, fmt):
    response = api_client_a.get(f"{url}?type={fmt}&{NOVEMBER}")

    text = _text(response, fmt)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    assert "+5511987654321" in text
    assert "+5521987654321" not in text  # outside the period
    assert "+5531987654321" not in text and "Intrusa" not in text  # another company


@pytest.mark.parametrize("url", EXPORTS)
def test_api_whatsapp_export_numbers_and_links_with_a_message(api_client_a, people, url):
    message = quote("Oi {nome}, tudo bem?")

    body = api_client_a.get(f"{url}?type=whatsapp&{NOVEMBER}&message={message}").content.decode()

    assert body == "+5511987654321\thttps://wa.me/5511987654321?text=Oi%20Dentro%2C%20tudo%20bem%3F\n"


def test_whatsapp_export_lists_each_number_once_with_the_default_message(api_client_a, company_a):
    for n in range(2):
        LeadFactory(company=company_a, external_id=str(n), name="Ana", phone="+5511987654321")

    lines = api_client_a.get("/api/leads/export/?type=whatsapp").content.decode().splitlines()

    assert len(lines) == 1
    assert lines[0].startswith("+5511987654321\thttps://wa.me/5511987654321?text=")
    assert "Ana" in lines[0] and "%7Bnome%7D" not in lines[0]


def test_the_company_can_set_the_whatsapp_message(api_client_a, company_a, people):
    company_setting_set(company=company_a, key="whatsapp_export_message", value="Volta, {nome}!", value_type="string")

    body = api_client_a.get(f"/api/carts/export/?type=whatsapp&{NOVEMBER}").content.decode()

    assert body == "+5511987654321\thttps://wa.me/5511987654321?text=Volta%2C%20Dentro%21\n"


def test_xlsx_keeps_accents_and_local_times(api_client_a, company_a):
    LeadFactory(company=company_a, external_id="1", name="Ângela", phone="+5511987654321", submitted_at=INSIDE)

    sheet = load_workbook(io.BytesIO(api_client_a.get("/api/leads/export/?type=xlsx").content)).active

    assert [cell.value for cell in sheet[1]] == ["nome", "telefone", "email", "tamanho", "enviado em"]
    assert [cell.value for cell in sheet[2]][:2] == ["Ângela", "+5511987654321"]
    assert sheet[2][4].value == datetime(2026, 11, 10, 9, 0)  # 12:00 UTC is 09:00 in São Paulo


def test_unknown_export_type_is_a_400(api_client_a):
    assert api_client_a.get("/api/leads/export/?type=pdf").status_code == 400


@pytest.mark.parametrize("url", EXPORTS)
def test_every_export_refuses_an_unknown_type_or_period(api_client_a, url):
    assert "type" in api_client_a.get(f"{url}?type=pdf").json()
    assert "periodo" in api_client_a.get(f"{url}?periodo=semana").json()


def test_recovery_export_refuses_an_unknown_status(api_client_a):
    assert "status" in api_client_a.get("/api/analytics/recovery/export/?status=lost").json()


def test_staff_toggle_whatsapp_sent_but_not_the_data(api_client_a, company_a):
    lead = LeadFactory(company=company_a, external_id="1", name="Ana")

    response = api_client_a.patch(f"/api/leads/{lead.pk}/", {"whatsapp_sent": True, "name": "X"}, format="json")

    lead.refresh_from_db()
    assert response.status_code == 200
    assert (lead.whatsapp_sent, lead.name) == (True, "Ana")


# --- Exports of the filtered admin lists ---------------------------------------------------------

ADMIN_LISTS = [
    "/admin/customers/customer/",
    "/admin/leads/lead/",
    "/admin/leads/importedcart/",
    "/admin/carts/cart/",
    "/admin/orders/order/",
]


@pytest.mark.parametrize("url", ADMIN_LISTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "txt", "whatsapp"])
def test_admin_exports_the_filtered_list(admin_client_a, company_a, people, url, fmt):
    company_setting_set(company=company_a, key="whatsapp_export_message", value="Oi {nome}", value_type="string")

    # "Select all" of the list searched for "Dentro": the action gets the filtered queryset.
    response = admin_client_a.post(
        f"{url}?q=Dentro", {"action": f"export_{fmt}", "select_across": "1", "index": "0", "_selected_action": ["0"]}
    )

    text = _text(response, fmt)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment; filename=")
    if fmt == "whatsapp":
        assert text == "+5511987654321\thttps://wa.me/5511987654321?text=Oi%20Dentro\n"
    else:
        assert "Dentro" in text
        assert "Fora" not in text and "Intrusa" not in text


def test_admin_staff_toggle_whatsapp_sent_on_imported_carts(admin_client_a, company_a, people):
    cart = Cart.objects.for_company(company_a).get(external_id="Dentro Silva")
    other = Cart.objects.for_company(company_a).get(external_id="Fora Souza")

    response = admin_client_a.post(
        "/admin/leads/importedcart/",
        {
            "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save",
            "form-0-id": str(cart.pk), "form-0-whatsapp_sent": "on",
            "form-1-id": str(other.pk),
        },
    )  # fmt: skip

    assert response.status_code == 302
    assert dict(Cart.objects.for_company(company_a).values_list("external_id", "whatsapp_sent")) == {
        "Dentro Silva": True,
        "Fora Souza": False,
    }


def test_staff_toggle_email_and_whatsapp_sent_on_carts_through_the_api(api_client_a, company_a, people):
    cart = Cart.objects.for_company(company_a).get(external_id="Dentro Silva")

    response = api_client_a.patch(
        f"/api/carts/{cart.pk}/", {"email_sent": True, "whatsapp_sent": True, "status": "open"}, format="json"
    )

    cart.refresh_from_db()
    assert response.status_code == 200
    assert (cart.email_sent, cart.whatsapp_sent, cart.status) == (True, True, "abandoned")


def test_the_default_whatsapp_message_is_portuguese_whatever_the_staff_reads(api_client_a, company_a):
    LeadFactory(company=company_a, external_id="1", name="Maria Silva", phone="+5511987654321")

    english = api_client_a.get("/api/leads/export/?type=whatsapp", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Ol%C3%A1%2C%20Maria%21%20Recebemos%20o%20seu%20cadastro" in english
    assert "Hello" not in english


@pytest.mark.parametrize("fmt", ["csv", "txt"])
def test_yes_and_no_are_words_in_the_files(admin_client_a, company_a, fmt):
    lead = LeadFactory(company=company_a, external_id="1", name="Ana", phone="+5511987654321", email_sent=True)

    body = admin_client_a.post(
        "/admin/leads/lead/", {"action": f"export_{fmt}", "_selected_action": [lead.pk]}
    ).content.decode()

    assert "Sim" in body and "Não" in body and "True" not in body and "False" not in body
