"""The WordPress / WooCommerce settings page: a form of the declared keys, saved through the service,
"Salvar e testar" against a real MariaDB, the Form Vibes picker filled from the store's entries."""

import pytest
from django.urls import reverse

from leads.tests.woo_site import woo_site
from leads.tests.wordpress_db import insert_form_entry
from tenants.models import CompanySetting
from tenants.services import company_setting_get, company_setting_set

PAGE = reverse("admin:tenants_companysetting_integration", args=["wordpress"])
PASSWORD = "wp-db-pass-9876"


def _form(source, **extra):
    return {
        "wp_db_host": source.host,
        "wp_db_port": str(source.port),
        "wp_db_name": source.database,
        "wp_db_user": source.user,
        "wp_db_password": source.password,
        "wp_table_prefix": source.table_prefix,
        **extra,
    }


@pytest.mark.services
def test_saving_and_testing_the_wordpress_form_against_mariadb(company_a, admin_client_a, mysql_url):
    with woo_site(mysql_url) as site:
        site.admin.select_db(site.source.database)
        insert_form_entry(
            site.admin, site.source.table_prefix, captured_gmt="2025-03-01 12:00:00", captured="2025-03-01 09:00:00",
            fields={"Nome_1": "Ana", "Whatsapp_8": "11 98888-7777"},
        )  # fmt: skip

        tested = admin_client_a.post(PAGE, {**_form(site.source), "action": "test"}, follow=True)
        page = admin_client_a.get(PAGE).content.decode()

    assert [m.tags for m in tested.context["messages"]] == ["success", "success"]
    assert f"Conectado a {site.source.database}" in " ".join(str(m) for m in tested.context["messages"])
    assert company_setting_get(company=company_a, key="wp_db_host") == site.source.host  # no quotes needed
    assert company_setting_get(company=company_a, key="wp_db_port") == site.source.port
    assert 'list="suggestions-fv_field_whatsapp"' in page and '<option value="Whatsapp_8">' in page


def test_a_failed_test_says_why(company_a, admin_client_a):
    form = {
        "wp_db_host": "127.0.0.1",
        "wp_db_port": "1",
        "wp_db_name": "loja",
        "wp_db_user": "leitor",
        "action": "test",
    }

    tested = admin_client_a.post(PAGE, form, follow=True)

    assert [m.tags for m in tested.context["messages"]] == ["success", "error"]
    assert "recusou" in str(list(tested.context["messages"])[1]).lower()


def test_a_malformed_field_is_a_form_error_and_nothing_is_saved(company_a, admin_client_a):
    response = admin_client_a.post(PAGE, {"wp_db_host": "db.loja", "wp_db_port": "três mil", "action": "save"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"wp_db_port": ["Digite um número, por exemplo 5 ou 5,50."]}
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_a_stored_secret_is_kept_when_left_blank_and_removed_when_asked(company_a, admin_client_a):
    company_setting_set(company=company_a, key="wp_db_password", value=PASSWORD)

    kept = admin_client_a.post(PAGE, {"wp_db_host": "db.loja", "wp_db_password": "", "action": "save"})
    page = admin_client_a.get(PAGE).content.decode()
    removed = admin_client_a.post(PAGE, {"wp_db_host": "db.loja", "wp_db_password__clear": "on", "action": "save"})

    assert kept.status_code == removed.status_code == 302
    assert PASSWORD not in page and "Definido" in page
    assert company_setting_get(company=company_a, key="wp_db_password") is None
    assert company_setting_get(company=company_a, key="wp_db_host") == "db.loja"


def test_blank_fields_remove_their_setting(company_a, admin_client_a):
    company_setting_set(company=company_a, key="wp_table_prefix", value="cli_")

    admin_client_a.post(PAGE, {"wp_table_prefix": "", "action": "save"})

    assert company_setting_get(company=company_a, key="wp_table_prefix") is None


def test_a_viewer_reads_the_page_but_cannot_save(company_a, viewer_a, client):
    client.force_login(viewer_a)

    page = client.get(PAGE)
    saved = client.post(PAGE, {"wp_db_host": "db.loja", "action": "save"})

    assert page.status_code == 200 and 'value="save"' not in page.content.decode()
    assert saved.status_code == 403
    assert not CompanySetting.objects.for_company(company_a).exists()


def test_every_page_is_listed_and_opens(company_a, admin_client_a):
    index = admin_client_a.get(reverse("admin:tenants_companysetting_integrations")).content.decode()

    for slug in (
        "wordpress",
        "pix",
        "mercadopago",
        "erp",
        "llm",
        "sheets",
        "messages",
        "opt_out",
        "delivery",
        "retention",
    ):
        assert f'data-group="{slug}"' in index
        assert admin_client_a.get(reverse("admin:tenants_companysetting_integration", args=[slug])).status_code == 200
    assert admin_client_a.get(reverse("admin:tenants_companysetting_integration", args=["nope"])).status_code == 404
