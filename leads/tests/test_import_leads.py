import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import translation

from customers.models import Customer
from leads.models import ImportRun, Lead
from leads.services.imports import import_run_create, import_run_execute
from leads.tests.wordpress_db import insert_form_entry, wordpress_database
from tenants.services import company_setting_set

PREFIX = "cli_"
SPELLINGS = [
    "(11) 98765-4321",
    "11987654321",
    "5511987654321",
    "+55 11 8765-4321",
    "011 98765-4321",
    "551187654321",  # a 12-digit WhatsApp id without the ninth digit
]


@pytest.fixture
def source(mysql_url, company_a):
    with wordpress_database(mysql_url, PREFIX) as (kwargs, name, conn):
        settings = {
            "wp_db_host": ("string", kwargs["host"]),
            "wp_db_port": ("number", kwargs["port"]),
            "wp_db_name": ("string", name),
            "wp_db_user": ("string", kwargs["user"]),
            "wp_table_prefix": ("string", PREFIX),
            "fv_field_nome": ("string", "Nome_3"),
            "fv_field_whatsapp": ("string", "Whatsapp_8"),
            "fv_field_tamanho": ("string", "Numero_do_sapato_9"),
        }
        for key, (value_type, value) in settings.items():
            company_setting_set(company=company_a, key=key, value=value, value_type=value_type)
        if kwargs["password"]:
            company_setting_set(company=company_a, key="wp_db_password", value=kwargs["password"], value_type="secret")
        yield conn


def add_lead(conn, n: int, phone: str, name: str = "Ana Souza", when: str = "2026-11-10 15:00:00"):
    return insert_form_entry(
        conn,
        PREFIX,
        captured_gmt=when,
        captured=when,
        fields={"Nome_3": name, "Whatsapp_8": phone, "Numero_do_sapato_9": "37", "Cidade_5": f"Cidade {n}"},
    )


def run_leads(company):
    run = import_run_create(
        company=company,
        kind="leads",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
    )
    return import_run_execute(run=run)


def test_every_spelling_of_one_phone_lands_on_one_customer(source, company_a):
    for n, phone in enumerate(SPELLINGS):
        add_lead(source, n, phone)

    run = run_leads(company_a)

    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.summary["leads"]["created"] == len(SPELLINGS)
    assert list(Customer.objects.for_company(company_a).values_list("phone", flat=True)) == ["+5511987654321"]
    lead = Lead.objects.for_company(company_a).order_by("external_id").first()
    assert (lead.name, lead.size, lead.extra["Cidade_5"]) == ("Ana Souza", "37", "Cidade 0")


def test_running_twice_changes_nothing(source, company_a):
    add_lead(source, 1, "11987654321")
    add_lead(source, 2, "21987654321", name="Bruno")
    run_leads(company_a)
    before = list(Lead.objects.for_company(company_a).order_by("id").values())

    second = run_leads(company_a)

    assert second.summary["leads"] == {"created": 0, "updated": 0, "skipped": 2, "failed": 0, "errors": []}
    assert list(Lead.objects.for_company(company_a).order_by("id").values()) == before
    assert Customer.objects.for_company(company_a).count() == 2


def test_a_changed_entry_is_updated(source, company_a):
    entry = add_lead(source, 1, "11987654321", name="Ana")
    run_leads(company_a)
    source.cursor().execute(
        f"UPDATE {PREFIX}fv_entry_meta SET meta_value = 'Ana Maria' WHERE data_id = %s AND meta_key = 'Nome_3'",
        [str(entry)],
    )

    run = run_leads(company_a)

    assert run.summary["leads"]["updated"] == 1
    assert Lead.objects.for_company(company_a).get().name == "Ana Maria"


def test_leads_outside_the_period_are_not_imported(source, company_a):
    add_lead(source, 1, "11987654321", when="2026-10-31 23:59:59")

    run = run_leads(company_a)

    assert run.summary["leads"]["created"] == 0


def test_another_companys_customer_is_never_reused(source, company_a, company_b):
    Customer.objects.for_company(company_b).create(company=company_b, phone="+5511987654321")
    add_lead(source, 1, "11987654321")

    run_leads(company_a)

    assert Customer.objects.for_company(company_a).count() == 1
    assert Customer.objects.for_company(company_b).count() == 1


def test_unreachable_source_fails_clearly(company_a):
    company_setting_set(company=company_a, key="wp_db_host", value="127.0.0.1", value_type="string")
    company_setting_set(company=company_a, key="wp_db_port", value=1, value_type="number")
    company_setting_set(company=company_a, key="wp_db_name", value="wp", value_type="string")
    company_setting_set(company=company_a, key="wp_db_user", value="root", value_type="string")

    run = run_leads(company_a)

    assert run.status == ImportRun.Status.FAILED
    assert run.error
    assert not Lead.objects.for_company(company_a).exists()


def test_unconfigured_source_names_the_missing_settings(company_a):
    run = run_leads(company_a)

    assert run.status == ImportRun.Status.FAILED
    assert "wp_db_host" in run.error


def test_command_imports_and_prints_the_summary(source, company_a):
    add_lead(source, 1, "11987654321", when="2026-11-10 15:00:00")
    out = io.StringIO()

    with translation.override("en"):
        call_command(
            "import_leads",
            f"--empresa={company_a.slug}",
            "--start_date=2026-11-01",
            "--end_date=2026-11-30",
            stdout=out,
        )

    assert "leads: 1 created" in out.getvalue()
    assert Lead.objects.for_company(company_a).count() == 1
