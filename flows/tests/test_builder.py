"""The builder page: one page per template, formsets checked on save, the graph beside them."""

import re

import pytest

from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from flows.services import flow_template_publish
from flows.tests.factories import FlowTemplateFactory, pizzeria_template
from tenants.scoping import company_scope


def builder_url(template):
    return f"/admin/flows/flowtemplate/{template.pk}/builder/"


def form_data(page) -> dict:
    """The builder form's fields as the browser would post them (inputs, selects, textareas)."""
    html = page.content.decode()
    form = html[html.index('id="builder-form"') : html.index("</form>", html.index('id="builder-form"'))]
    data: dict = {}
    for tag in re.finditer(r"<input[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind == "submit":
            continue
        if kind == "checkbox":
            if "checked" in tag.group(0):
                data.setdefault(name, []).append(attrs.get("value", "on"))
            continue
        data[name] = attrs.get("value", "")
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[match.group(1)] = (
            match.group(2)
            .strip("\n")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", '"')
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
        )
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', match.group(2)) or re.search(
            r'<option value="([^"]*)"', match.group(2)
        )
        data[match.group(1)] = chosen.group(1) if chosen else ""
    return data


def test_an_empty_template_is_built_on_one_page(admin_client_a, company_a):
    with company_scope(company_a):
        template = FlowTemplateFactory(company=company_a, name="Vazio")
    url = builder_url(template)

    page = admin_client_a.get(url)
    assert page.status_code == 200
    assert "ordem" in page.content.decode()
    data = form_data(page) | {"flows-0-name": "Atendimento"}
    assert admin_client_a.post(url, data).status_code == 302

    data = form_data(admin_client_a.get(url)) | {"subflows-0-name": "Saudação"}
    assert admin_client_a.post(url, data).status_code == 302
    with company_scope(company_a):
        subflow = Subflow.objects.get(flow__template=template)

    data = form_data(admin_client_a.get(url)) | {"messages-0-message_text": "Olá, {{ nome }}!"}
    assert admin_client_a.post(url, data).status_code == 302
    with company_scope(company_a):
        assert list(FlowMessage.objects.filter(subflow=subflow).values_list("message_text", flat=True)) == [
            "Olá, {{ nome }}!"
        ]
        flow_template_publish(template=template)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("action", "mostrar_cardapio", "Ação desconhecida"),
        ("message_text", "Olá {{ nome.upper() }}", "Sintaxe não suportada"),
    ],
)
def test_the_checker_refuses_a_save_and_shows_the_error_on_the_field(admin_client_a, company_a, field, value, error):
    with company_scope(company_a):
        template, ask = pizzeria_template(company_a)
    url = builder_url(template)
    data = form_data(admin_client_a.get(url))
    key = next(k for k, v in data.items() if k.endswith("-id") and k.startswith("messages-") and v == str(ask.pk))
    prefix = key[: -len("id")]

    refused = admin_client_a.post(url, data | {prefix + field: value})

    assert refused.status_code == 200
    html = refused.content.decode()
    assert error in html
    assert f"builder-field-{field} has-errors" in html
    with company_scope(company_a):
        ask.refresh_from_db()
        assert getattr(ask, field) != value


def test_reordering_is_saved(admin_client_a, company_a):
    with company_scope(company_a):
        template, ask = pizzeria_template(company_a)
    url = builder_url(template)
    data = form_data(admin_client_a.get(url))
    key = next(k for k, v in data.items() if k.startswith("messages-") and k.endswith("-id") and v == str(ask.pk))

    assert admin_client_a.post(url, data | {key[: -len("id")] + "order_index": "0"}).status_code == 302
    with company_scope(company_a):
        ask.refresh_from_db()
        assert ask.order_index == 0


def test_graph_counts_subflows_and_shows_the_difference(admin_client_a, company_a):
    with company_scope(company_a):
        template, ask = pizzeria_template(company_a)
        flow_template_publish(template=template)
        Subflow.objects.create(
            company=company_a, flow=ask.subflow.flow, name="Promo", trigger_keywords=["promo"], order_index=9
        )
        FlowMessage.objects.filter(pk=ask.pk).update(message_text="Seu nome?")

    panel = admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/graph/").content.decode()

    assert panel.count('class="node node-subflow') == 5
    assert 'data-status="added"' in panel and 'data-status="changed"' in panel
    assert "unreachable" in panel  # Promo has no message
    assert f'href="/admin/flows/flowtemplate/{template.pk}/builder/#subflow-{ask.subflow_id}"' in panel
    published = admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/graph/?version=1").content.decode()
    assert published.count('class="node node-subflow') == 4


def test_another_companys_builder_is_404(admin_client_a, company_b):
    with company_scope(company_b):
        template, _ = pizzeria_template(company_b)

    assert admin_client_a.get(builder_url(template)).status_code == 404
    assert admin_client_a.post(builder_url(template), {}).status_code == 404
    assert admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/graph/").status_code == 404


def test_a_viewer_sees_the_builder_but_cannot_save(client, viewer_a, company_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
    client.force_login(viewer_a)

    answered = client.post(builder_url(template), form_data(client.get(builder_url(template))) | {"flows-0-name": "X"})

    assert answered.status_code == 200
    assert "Salvar rascunho" not in answered.content.decode()
    with company_scope(company_a):
        assert Flow.objects.count() == 1 and FlowTemplate.objects.count() == 1


def test_the_builder_page_queries_do_not_grow_with_the_flow(admin_client_a, company_a):
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    def queries(extra: int) -> int:
        with company_scope(company_a):
            template, ask = pizzeria_template(company_a, name=f"T{extra}")
            for n in range(extra):
                FlowMessage.objects.create(
                    company=company_a, subflow=ask.subflow, message_text=f"m{n}", order_index=10 + n
                )
        admin_client_a.get(builder_url(template))  # warm caches (session, company)
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_a.get(builder_url(template)).status_code == 200
        return len(captured)

    assert queries(0) == queries(25)
