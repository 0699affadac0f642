"""The company page warns about what the live ordering flow needs and is missing (issue 20)."""

from django.urls import reverse

from carts.readiness import ordering_warnings
from catalog.models import DeliveryZone
from flows.services import flow_template_import
from orders.demo import ordering_document
from tenants.scoping import company_scope
from tenants.services import company_setting_set


def test_missing_pix_and_zones_are_warned_on_the_company_page(company_a, admin_client_a, settings):
    settings.LANGUAGE_CODE = "pt-br"
    with company_scope(company_a):
        flow_template_import(document=ordering_document())
    warnings = ordering_warnings(company_a)
    assert len(warnings) == 2
    page = admin_client_a.get(
        reverse("admin:tenants_company_change", args=[company_a.pk]), HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "não há chave Pix" in text and "não há zonas de entrega" in text

    company_setting_set(company=company_a, key="pix_key", value="(11) 98765-4321")
    company_setting_set(company=company_a, key="pix_merchant_name", value="Pizzaria")
    DeliveryZone.objects.for_company(company_a).create(company=company_a, neighbourhood="Centro", fee="5.00")
    assert ordering_warnings(company_a) == []


def test_no_warning_without_a_live_flow(company_a):
    assert ordering_warnings(company_a) == []
