"""The builder's docked preview: the console chat of one template, answered through htmx."""

import re

import pytest

from console.preview import whatsapp_html
from flows.models import FlowTemplate, Subflow
from integrations.messaging.console import ConsoleProvider
from orders.models import Order
from tenants.demo import DEMO_USERNAME, load_demo
from tenants.scoping import company_scope

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_whatsapp_formatting_is_rendered_and_everything_else_escaped():
    html = whatsapp_html("*Total* _hoje_ ~caro~ ```x``` <b>\n- um\n- dois\nhttps://x.test/a")

    assert "<strong>Total</strong> <em>hoje</em> <s>caro</s> <code>x</code> &lt;b&gt;" in html
    assert "• um\n• dois" in html
    assert '<a href="https://x.test/a"' in html
    assert "2*3*4" in whatsapp_html("2*3*4")  # no bold inside words


def test_the_pix_qr_link_is_shown_as_the_image_by_path():
    html = whatsapp_html("QR code: http://localhost:8000/payments/qr/3f1c2a9e-0000-4000-8000-000000000001.png")

    assert '<img class="pix-qr" src="/payments/qr/3f1c2a9e-0000-4000-8000-000000000001.png"' in html
    assert "localhost:8000" not in html


@pytest.fixture
def demo(db, postgres_only, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ConsoleProvider.clear_outbox()
    company, _, _ = load_demo()
    return company


def test_an_order_is_taken_in_the_docked_preview(demo, client, django_user_model):
    user = django_user_model.objects.get(username=DEMO_USERNAME)
    client.force_login(user)
    with company_scope(demo):
        template = FlowTemplate.objects.get(name="Pedidos")
        delivery = Subflow.objects.get(flow__template=template, name="Entrega e pagamento")
    url = f"/admin/flows/flowtemplate/{template.pk}/preview/"

    builder = client.get(f"/admin/flows/flowtemplate/{template.pk}/builder/").content.decode()
    assert f'hx-get="{url}"' in builder

    panel = ""
    for text in ("oi", "2x calabresa", "2", "Rua das Flores, 123", "pix", "sim"):  # "sim" confirms the recap
        response = client.post(url, {"text": text}, **HTMX)
        assert response.status_code == 200
        panel = response.content.decode()
        if text == "2x calabresa":
            assert f'data-current-subflow="{delivery.pk}"' in panel
            current = re.search(rf'<g class="([^"]*)" id="graph-subflow-{delivery.pk}"', panel)
            assert current and "current" in current.group(1).split()
            assert 'hx-swap-oob="true"' in panel
            assert "Pizza de Calabresa" in panel  # the cart, live
    with company_scope(demo):
        order = Order.objects.get()
    assert f'href="/admin/orders/order/{order.pk}/change/"' in panel
    assert 'class="pix-qr"' in panel
    assert "<strong>" in panel  # the menu's *category* headings


def test_without_htmx_a_post_goes_back_to_the_builder(demo, client, django_user_model):
    client.force_login(django_user_model.objects.get(username=DEMO_USERNAME))
    with company_scope(demo):
        template = FlowTemplate.objects.get(name="Pedidos")

    response = client.post(f"/admin/flows/flowtemplate/{template.pk}/preview/", {"text": "oi"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/flowtemplate/{template.pk}/builder/")


def test_another_companys_preview_is_404(demo, client, manager_b):
    client.force_login(manager_b)
    with company_scope(demo):
        template = FlowTemplate.objects.get(name="Pedidos")

    assert client.post(f"/admin/flows/flowtemplate/{template.pk}/preview/", {"text": "oi"}, **HTMX).status_code == 404
