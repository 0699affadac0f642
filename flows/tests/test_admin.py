import json

from django.core.files.uploadedfile import SimpleUploadedFile

from flows.models import FlowMessage, FlowTemplate, FlowVersion
from flows.services import flow_template_export, flow_template_publish
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
    assert list(response.context["form"].errors) == ["file"]
    with company_scope(company_a):
        assert FlowTemplate.objects.count() == 0


def test_flow_page_shows_a_read_only_diagram(admin_client_a, company_a):
    with company_scope(company_a):
        template, ask = pizzeria_template(company_a)
        flow = template.flows.get()
        FlowMessage.objects.filter(pk=ask.pk).update(action="show_catalog", delay_seconds=3)

    page = admin_client_a.get(f"/admin/flows/flow/{flow.pk}/change/").content.decode()
    diagram = page[page.index('class="module flow-diagram"') :]

    for expected in (
        "greeting",
        "offer",
        "menu",
        "bye",
        "<code>cardápio</code>",
        "<em>offer</em>",
        "<code>nome</code>",
    ):
        assert expected in diagram
    assert "<code>show_catalog</code>" in diagram
    assert "3s" in diagram
    assert diagram.index("greeting") < diagram.index("offer") < diagram.index("menu") < diagram.index("bye")


def test_template_page_shows_every_flows_diagram_and_publishes(admin_client_a, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)

    page = admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/change/").content.decode()
    published = admin_client_a.post(f"/admin/flows/flowtemplate/{template.pk}/publish/")

    assert 'class="module flow-diagram"' in page
    assert 'id="flow-publish-form"' in page
    assert published.status_code == 302
    with company_scope(company_a):
        assert list(FlowVersion.objects.values_list("template_id", "number")) == [(template.pk, 1)]
        assert FlowTemplate.objects.get(pk=template.pk).published_version == 1


def test_publish_page_refuses_get_and_foreign_templates(admin_client_a, company_a, company_b):
    with company_scope(company_a):
        own, _ = pizzeria_template(company_a, name="Own")
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert admin_client_a.get(f"/admin/flows/flowtemplate/{own.pk}/publish/").status_code == 405
    assert admin_client_a.post(f"/admin/flows/flowtemplate/{template.pk}/publish/").status_code == 404
    with company_scope(company_b):
        assert FlowVersion.objects.count() == 0
    with company_scope(company_a):
        assert FlowVersion.objects.count() == 0


def test_simulator_shows_the_current_step_and_variables_of_a_version(admin_client_a, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
        flow_template_publish(template=template)
        FlowMessage.objects.filter(message_text="Olá!").update(message_text="Oi (rascunho)!")

    draft = admin_client_a.post(f"/admin/flows/flowtemplate/{template.pk}/simulate/", {"inputs": "oi\nAna"})
    published = admin_client_a.post(
        f"/admin/flows/flowtemplate/{template.pk}/simulate/", {"inputs": "oi", "version": "published"}
    )

    turns = draft.context["turns"]
    assert turns[-1]["step"]["subflow"] == "offer"
    assert turns[-1]["variables"] == {"nome": "Ana"}
    body = draft.content.decode()
    assert "Main › offer" in body
    assert "<code>nome</code> = Ana" in body
    assert "Oi (rascunho)!" in body
    assert "Oi (rascunho)!" not in published.content.decode()
    assert "Olá!" in published.content.decode()
