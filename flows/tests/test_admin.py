import json

from django.core.files.uploadedfile import SimpleUploadedFile

from flows.models import FlowTemplate
from flows.services import flow_template_export
from flows.tests.factories import pizzeria_template
from tenants.scoping import company_scope


def test_template_page_and_simulator(admin_client_a, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)

    page = admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/change/")
    simulated = admin_client_a.post(f"/admin/flows/flowtemplate/{template.pk}/simulate/", {"inputs": "oi\nAna"})

    assert page.status_code == 200
    assert simulated.status_code == 200
    assert "Prazer, Ana! Quer o cardápio?" in simulated.content.decode()


def test_simulator_of_another_companys_template_is_404(admin_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/simulate/").status_code == 404


def test_export_action_downloads_the_document(admin_client_a, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
        expected = flow_template_export(template=template)

    response = admin_client_a.post(
        "/admin/flows/flowtemplate/", {"action": "export_json", "_selected_action": [template.pk]}
    )

    assert response.status_code == 200
    assert json.loads(response.content) == expected


def test_import_page_creates_the_template(admin_client_a, company_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)
        document = flow_template_export(template=template)
    upload = SimpleUploadedFile("flows.json", json.dumps(document).encode(), content_type="application/json")

    response = admin_client_a.post("/admin/flows/flowtemplate/import/", {"file": upload})

    assert response.status_code == 302
    with company_scope(company_a):
        assert list(FlowTemplate.objects.values_list("name", flat=True)) == ["Imported - Pizzaria"]


def test_import_page_rejects_a_bad_file(admin_client_a, company_a):
    upload = SimpleUploadedFile("flows.json", b'{"format": 1}', content_type="application/json")

    response = admin_client_a.post("/admin/flows/flowtemplate/import/", {"file": upload})

    assert response.status_code == 200
    assert "Not a valid export" in response.content.decode()
    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 0
