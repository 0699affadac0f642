import dataclasses
import html
import socket
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.utils import translation
from kombu.exceptions import OperationalError

from integrations.wordpress.tests.builders import add_form_entry
from integrations.wordpress.tests.schema import CARTFLOWS, ORDER_ITEMS, WORDPRESS_CORE
from leads.models import ImportRun, Lead
from leads.progress import progress_set
from leads.services.imports import import_run_create
from leads.tests.woo_site import configure_source, woo_site
from tenants.services import company_setting_set

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
ADD_FORM = {
    "kind": "leads",
    "period_start_0": "2026-11-01",
    "period_start_1": "00:00:00",
    "period_end_0": "2026-11-30",
    "period_end_1": "00:00:00",
}


@pytest.fixture
def source_configured(company_a):
    company_setting_set(company=company_a, key="wp_db_host", value="db.loja.example")
    company_setting_set(company=company_a, key="wp_db_name", value="loja")
    company_setting_set(company=company_a, key="wp_db_user", value="leitor")


def test_starting_an_import_from_the_admin_queues_it_after_commit(
    admin_client_a, company_a, source_configured, django_capture_on_commit_callbacks
):
    with mock.patch("leads.tasks.import_run_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_a.post("/admin/leads/importrun/add/", ADD_FORM)

    run = ImportRun.objects.for_company(company_a).get()
    assert response.status_code == 302
    assert run.status == ImportRun.Status.QUEUED
    assert run.triggered_by == "manager-a"
    delay.assert_called_once_with(company_id=company_a.pk, run_id=run.pk)


def test_an_import_the_broker_refuses_is_marked_failed_not_left_queued(
    admin_client_a, company_a, source_configured, django_capture_on_commit_callbacks
):
    refused = OperationalError("[Errno 111] Connection refused")
    with mock.patch("leads.tasks.import_run_task.delay", side_effect=refused):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_a.post("/admin/leads/importrun/add/", ADD_FORM)

    run = ImportRun.objects.for_company(company_a).get()
    assert response.status_code == 302
    assert run.status == ImportRun.Status.FAILED
    assert run.finished_at is not None
    assert "OperationalError" in run.error


def test_progress_is_live_for_own_runs_and_404_for_others(admin_client_a, company_a, company_b):
    mine = import_run_create(company=company_a, kind="leads", start=START, end=END)
    theirs = import_run_create(company=company_b, kind="leads", start=START, end=END)
    ImportRun.objects.for_company(company_a).filter(pk=mine.pk).update(status=ImportRun.Status.RUNNING)
    progress_set(mine.pk, "leads", done=25, total=100)

    own = admin_client_a.get(f"/admin/leads/importrun/{mine.pk}/progress/")
    other = admin_client_a.get(f"/admin/leads/importrun/{theirs.pk}/progress/")

    assert own.json()["percent"] == 25
    assert own.json()["progress"] == {"leads": {"done": 25, "total": 100, "label": "Leads (Form Vibes)"}}
    assert other.status_code == 404


def test_an_import_cannot_start_before_its_source_is_configured(admin_client_a, company_a):
    page = admin_client_a.get("/admin/leads/importrun/add/")
    posted = admin_client_a.post("/admin/leads/importrun/add/", ADD_FORM)

    html_text = page.content.decode()
    assert page.status_code == 200 and "wp_db_host" in html_text
    assert 'href="/admin/tenants/companysetting/integrations/wordpress/"' in html_text
    assert posted.status_code == 200 and not ImportRun.objects.for_company(company_a).exists()


@pytest.mark.parametrize(
    ("status", "progress", "percent", "shown"),
    [
        ("queued", None, None, "Na fila"),
        ("running", None, None, "Em andamento"),
        ("running", {"leads": {"done": 30, "total": 120}}, 25, "25%"),
        ("succeeded", None, 100, "100%"),
        ("failed", {"leads": {"done": 3, "total": 120}}, None, "Access denied for user"),
    ],
)
def test_the_progress_bar_tells_queued_running_done_and_failed_apart(
    admin_client_a, company_a, status, progress, percent, shown
):
    run = import_run_create(company=company_a, kind="leads", start=START, end=END)
    ImportRun.objects.for_company(company_a).filter(pk=run.pk).update(
        status=status, error="Access denied for user 'leitor'" if status == "failed" else ""
    )
    for kind, part in (progress or {}).items():
        progress_set(run.pk, kind, **part)

    listing = admin_client_a.get("/admin/leads/importrun/").content.decode()
    live = admin_client_a.get(f"/admin/leads/importrun/{run.pk}/progress/").json()

    assert live["percent"] == percent
    assert shown in listing
    assert ("100%" in listing) == (status == "succeeded")
    assert (live["error"] != "") == (status == "failed")


def test_the_live_progress_names_each_part_in_portuguese_and_the_page_shows_no_stale_state(admin_client_a, company_a):
    run = import_run_create(company=company_a, kind="all", start=START, end=END)
    ImportRun.objects.for_company(company_a).filter(pk=run.pk).update(status="running")
    progress_set(run.pk, "carts", done=1, total=2)

    live = admin_client_a.get(f"/admin/leads/importrun/{run.pk}/progress/", HTTP_ACCEPT_LANGUAGE="pt-br").json()
    page = admin_client_a.get(f"/admin/leads/importrun/{run.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-br")

    assert live["progress"] == {"carts": {"done": 1, "total": 2, "label": "Carrinhos abandonados"}}
    # The state is the live box's alone: no read-only "Situação"/"Progresso" left as the page opened.
    assert 'id="import-progress"' in page.content.decode()
    assert {"status", "progress_bar"}.isdisjoint(page.context_data["adminform"].form.fields)
    assert "field-progress_bar" not in page.content.decode() and "field-status" not in page.content.decode()


def test_test_connection_button_says_what_is_missing(admin_client_a):
    response = admin_client_a.post("/admin/leads/importrun/test-connection/", follow=True)

    assert "wp_db_host" in response.content.decode()


def test_import_task_runs_the_run_once(company_a):
    from leads.tasks import import_run_task

    run = import_run_create(company=company_a, kind="leads", start=START, end=END)

    first = import_run_task(company_id=company_a.pk, run_id=run.pk)
    second = import_run_task(company_id=company_a.pk, run_id=run.pk)

    assert first == second == ImportRun.Status.FAILED  # no source configured: failed, not crashed
    assert "wp_db_host" in ImportRun.objects.for_company(company_a).get().error


# --- Background import, live progress, queue and beat ---------------------------------------------


def test_imports_run_on_the_imports_queue_and_daily_from_beat():
    from config.beat import PERIODIC_TASKS
    from leads.tasks import import_daily_company_task, import_run_task, imports_daily_task

    assert import_run_task.queue == imports_daily_task.queue == import_daily_company_task.queue == "imports"
    daily = PERIODIC_TASKS["leads-import-daily"]
    assert (daily["task"], daily["queue"]) == ("leads.tasks.imports_daily_task", "imports")
    assert daily["crontab"] == {"minute": "30", "hour": "2"}


@pytest.fixture
def leads_site(mysql_url, company_a):
    with woo_site(mysql_url, "cli_") as site:
        configure_source(company_a, site.source, fv_field_nome="Nome_3", fv_field_whatsapp="Whatsapp_8")
        for n in range(3):
            add_form_entry(site, {"Nome_3": f"Pessoa {n}", "Whatsapp_8": f"1198765432{n}"}, "2026-11-05 13:30:00", "x")
        yield site


def test_admin_starts_a_background_import_with_live_progress_and_summary(
    admin_client_a, company_a, leads_site, monkeypatch, django_capture_on_commit_callbacks
):
    from leads.services import imports
    from leads.tasks import import_run_task

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    seen = []
    real_upsert = imports.leads_upsert

    def upsert_watching_progress(**kwargs):
        run = ImportRun.objects.for_company(company_a).get()
        url = f"/admin/leads/importrun/{run.pk}/progress/"
        seen.append(admin_client_a.get(url, HTTP_ACCEPT_LANGUAGE="en").json())
        return real_upsert(**kwargs)

    monkeypatch.setattr(imports, "leads_upsert", upsert_watching_progress)
    # The worker: the queued task runs when the admin's transaction commits.
    monkeypatch.setattr(import_run_task, "delay", lambda **kwargs: import_run_task.apply(kwargs=kwargs))

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = admin_client_a.post(
            "/admin/leads/importrun/add/",
            {"kind": "leads", "period_start_0": "2026-11-01", "period_start_1": "00:00:00",
             "period_end_0": "2026-11-30", "period_end_1": "00:00:00"},
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
    run = ImportRun.objects.for_company(company_a).get()
    done = admin_client_a.get(f"/admin/leads/importrun/{run.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en").json()
    page = admin_client_a.get(f"/admin/leads/importrun/{run.pk}/change/").content.decode()

    assert response.status_code == 302
    label = "Leads (Form Vibes)"
    assert [(s["status"], s["percent"], s["progress"]) for s in seen] == [
        ("running", 0, {"leads": {"done": 0, "total": 3, "label": label}}),
        ("running", 33, {"leads": {"done": 1, "total": 3, "label": label}}),
        ("running", 67, {"leads": {"done": 2, "total": 3, "label": label}}),
    ]
    assert (done["status"], done["percent"], done["progress"]) == (
        "succeeded",
        100,
        {"leads": {"done": 3, "total": 3, "label": label}},
    )
    assert done["summary_text"].startswith("leads: 3 created, 0 updated, 0 unchanged, 0 failed\nDuration: ")
    assert 'id="import-progress-bar"' in page and f"/admin/leads/importrun/{run.pk}/progress/" in page
    history = admin_client_a.get("/admin/leads/importrun/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/admin/leads/importrun/{run.pk}/change/" in history and "Succeeded" in history
    assert Lead.objects.for_company(company_a).count() == 3


# --- Test connection button ----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


def _button(client) -> str:
    response = client.post("/admin/leads/importrun/test-connection/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("change", "settings", "expected"),
    [
        ({}, {}, "Connected to wp_test_"),
        ({"host": "no-such-db-host.invalid"}, {}, "Database host no-such-db-host.invalid was not found (DNS)."),
        ({"port": "closed"}, {}, "refused the connection: is the port right and our IP allowed?"),
        ({"password": "wrong"}, {}, "Access denied for user root: check user and password."),
        ({"table_prefix": "wp_"}, {}, "these tables are missing: wp_posts, wp_postmeta"),
        ({}, {"wc_cart_table": "woo_cart_abandonment2"}, "these tables are missing: cli_woo_cart_abandonment2."),
    ],
)
def test_test_connection_button_says_clearly_what_failed(
    admin_client_a, company_a, mysql_url, change, settings, expected
):
    with woo_site(mysql_url, "cli_") as site:
        if change.get("port") == "closed":
            change = {"port": _closed_port()}
        configure_source(company_a, dataclasses.replace(site.source, **change), **settings)

        text = _button(admin_client_a)

    assert expected in text


def test_test_connection_checks_the_form_vibes_tables_once_fields_are_mapped(admin_client_a, company_a, mysql_url):
    with woo_site(mysql_url, "cli_", tables=tuple(WORDPRESS_CORE + ORDER_ITEMS + CARTFLOWS)) as site:
        configure_source(company_a, site.source)
        unmapped = _button(admin_client_a)
        company_setting_set(company=company_a, key="fv_field_whatsapp", value="Whatsapp_8", value_type="string")
        mapped = _button(admin_client_a)

    assert "Connected to" in unmapped
    assert "these tables are missing: cli_fv_enteries, cli_fv_entry_meta." in mapped


@pytest.mark.parametrize(
    "settings",
    [
        {"wc_cart_table": "carts; DROP TABLE wp_users"},
        {"wc_cart_phone_column": "phone`, (SELECT 1)"},
        {"wp_table_prefix": "wp-"},
    ],
    ids=["cart-table", "phone-column", "prefix"],
)
def test_test_connection_with_an_invalid_name_in_the_settings_says_so(admin_client_a, company_a, mysql_url, settings):
    with woo_site(mysql_url, "cli_") as site:
        configure_source(company_a, site.source, **settings)

        text = _button(admin_client_a)

    assert "is not a valid name" in text
