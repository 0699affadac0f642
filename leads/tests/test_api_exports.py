import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from leads.models import Lead


def make_lead(company, n, phone="+5511987654321", when=datetime(2026, 11, 10, 12, tzinfo=UTC), name="Ana"):
    return Lead.objects.for_company(company).create(
        company=company, external_id=str(n), name=name, phone=phone, email=f"l{n}@example.com", submitted_at=when
    )


def test_csv_export_holds_only_the_companys_leads(api_client_a, company_a, company_b):
    make_lead(company_a, 1, name="Ana")
    make_lead(company_b, 2, name="Intrusa")

    response = api_client_a.get("/api/leads/export/?type=csv")

    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    assert body.splitlines()[0] == "nome,telefone,email,tamanho,enviado em"
    assert "Ana" in body and "Intrusa" not in body


def test_whatsapp_export_lists_each_number_once_with_a_link(api_client_a, company_a):
    make_lead(company_a, 1)
    make_lead(company_a, 2)

    body = api_client_a.get("/api/leads/export/?type=whatsapp").content.decode()

    assert body == "+5511987654321\thttps://wa.me/5511987654321\n"


def test_xlsx_export_opens_in_excel(api_client_a, company_a):
    make_lead(company_a, 1, name="Ângela")

    response = api_client_a.get("/api/leads/export/?type=xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[2]][:2] == ["Ângela", "+5511987654321"]


def test_unknown_export_type_is_a_400(api_client_a):
    assert api_client_a.get("/api/leads/export/?type=pdf").status_code == 400


def test_period_filter(api_client_a, company_a):
    make_lead(company_a, 1, when=datetime(2026, 10, 31, 12, tzinfo=UTC))
    make_lead(company_a, 2, when=datetime(2026, 11, 10, 12, tzinfo=UTC))

    body = api_client_a.get("/api/leads/?since=2026-11-01&until=2026-11-30").json()
    bad = api_client_a.get("/api/leads/?since=ontem")

    assert [row["external_id"] for row in body["results"]] == ["2"]
    assert bad.status_code == 400


def test_staff_toggle_whatsapp_sent_but_not_the_data(api_client_a, company_a):
    lead = make_lead(company_a, 1)

    response = api_client_a.patch(f"/api/leads/{lead.pk}/", {"whatsapp_sent": True, "name": "X"}, format="json")

    lead.refresh_from_db()
    assert response.status_code == 200
    assert (lead.whatsapp_sent, lead.name) == (True, "Ana")


def test_admin_export_action(admin_client_a, company_a):
    lead = make_lead(company_a, 1)

    response = admin_client_a.post(
        "/admin/leads/lead/", {"action": "export_csv", "_selected_action": [lead.pk], "index": 0}
    )

    assert response.status_code == 200
    assert "Ana" in response.content.decode("utf-8-sig")
