"""import_leads / import_customers as a person runs them: periods, exit code 2 on bad arguments, progress bar."""

import io
from datetime import date

import pytest
from django.core.management import call_command, load_command_class
from django.utils import translation

from exports.periods import preset_range
from integrations.wordpress.tests.builders import add_classic_order, add_form_entry, add_two_item_cart
from leads.models import ImportRun, Lead
from leads.tests.woo_site import configure_source, woo_site

MAPPING = {"fv_field_nome": "Nome_3", "fv_field_whatsapp": "Whatsapp_8"}


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def site(mysql_url, company_a):
    with woo_site(mysql_url, "cli_") as site:
        configure_source(company_a, site.source, **MAPPING)
        yield site


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """run_from_argv closes every connection at the end, which would end the test's transaction."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def run_from_argv(name: str, *args: str, capsys) -> tuple[int, str]:
    """Run the command the way manage.py does; (exit code, stderr)."""
    with pytest.raises(SystemExit) as stop:
        load_command_class("leads", name).run_from_argv(["manage.py", name, *args])
    return stop.value.code, capsys.readouterr().err


@pytest.mark.parametrize("preset", ["hoje", "ontem", "7dias", "30dias", "mes"])
def test_import_leads_periodo_presets(site, company_a, preset):
    call_command("import_leads", f"--empresa={company_a.slug}", f"--periodo={preset}", stdout=io.StringIO())

    run = ImportRun.objects.for_company(company_a).get()
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert (run.kind, run.triggered_by) == ("leads", "command")
    assert (run.period_start, run.period_end) == preset_range(preset, company_a.timezone)


def test_presets_are_whole_local_days():
    today = date(2026, 3, 15)
    ranges = {p: preset_range(p, "America/Sao_Paulo", today) for p in ("hoje", "ontem", "7dias", "30dias", "mes")}

    spans = {p: (start.date().isoformat(), end.date().isoformat()) for p, (start, end) in ranges.items()}
    assert spans == {
        "hoje": ("2026-03-15", "2026-03-16"),
        "ontem": ("2026-03-14", "2026-03-15"),
        "7dias": ("2026-03-09", "2026-03-16"),
        "30dias": ("2026-02-14", "2026-03-16"),
        "mes": ("2026-03-01", "2026-03-16"),
    }
    assert all(start.hour == 0 and str(start.tzinfo) == "America/Sao_Paulo" for start, _end in ranges.values())


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("import_leads", ["--periodo=semana"], "argument --periodo: invalid choice: 'semana'"),
        ("import_leads", ["--start_date=2026-13-01", "--end_date=2026-11-30"], "--start_date must be a date"),
        ("import_leads", ["--start_date=2026-11-30", "--end_date=2026-11-01"], "--start_date is after --end_date"),
        ("import_leads", ["--start_date=2026-11-30", "--end_date=9999-12-31"], "9999-12-31 is out of the supported range"),
        ("import_leads", ["--periodo=7dias", "--start_date=2026-11-01"], "Use either --periodo or"),
        ("import_leads", [], "Give --start_date and --end_date (YYYY-MM-DD) or --periodo (hoje|ontem|7dias"),
        ("import_customers", ["--import_type=tudo", "--periodo=hoje"], "argument --import_type: invalid choice"),
        ("import_customers", ["--start_date=01/03/2024", "--end_date=2024-03-31"], "got '01/03/2024'"),
        ("import_customers", ["--end_date=2024-03-31"], "Give --start_date and --end_date"),
    ],
)
def test_bad_arguments_exit_with_code_2_and_say_why(company_a, capsys, name, args, message):
    with translation.override("en"):
        code, stderr = run_from_argv(name, f"--empresa={company_a.slug}", *args, capsys=capsys)

    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr
    assert not ImportRun.objects.for_company(company_a).exists()


@pytest.mark.parametrize("name", ["import_leads", "import_customers"])
def test_unknown_company_exits_with_code_2(db, capsys, name):
    with translation.override("en"):
        code, stderr = run_from_argv(name, "--empresa=nao-existe", "--periodo=hoje", capsys=capsys)

    assert code == 2
    assert "Company 'nao-existe' does not exist" in stderr


def test_a_failed_import_exits_non_zero_with_the_reason(company_a, capsys):
    with translation.override("en"):
        code, stderr = run_from_argv("import_leads", f"--empresa={company_a.slug}", "--periodo=hoje", capsys=capsys)

    assert code == 1
    assert "Import failed: Configure the company settings wp_db_host" in stderr


def test_progress_bar_on_a_terminal_then_the_summary(site, company_a):
    for n in range(3):
        add_form_entry(site, {"Nome_3": f"Pessoa {n}", "Whatsapp_8": f"1198765432{n}"}, "2024-03-05 13:30:00", "x")
    terminal = Terminal()

    with translation.override("en"):
        call_command(
            "import_leads", f"--empresa={company_a.slug}", "--start_date=2024-03-01", "--end_date=2024-03-31",
            stdout=terminal,
        )  # fmt: skip

    screen = terminal.getvalue()
    assert "\r[" + "#" * 30 + "] 100% leads 3/3\n" in screen
    assert screen.endswith("leads: 3 created, 0 updated, 0 unchanged, 0 failed\n" + screen.splitlines()[-1] + "\n")
    assert "Duration: " in screen.splitlines()[-1]
    assert Lead.objects.for_company(company_a).count() == 3


def test_no_progress_bar_when_not_on_a_terminal(site, company_a):
    out = io.StringIO()

    call_command("import_leads", f"--empresa={company_a.slug}", "--periodo=hoje", stdout=out)

    assert "\r" not in out.getvalue() and "[" not in out.getvalue()


def test_import_customers_imports_both_kinds_and_checks_recovery(site, company_a):
    add_two_item_cart(site, "s1", typed_phone="(11) 98765-4321")
    add_classic_order(
        site,
        {
            "id": 101, "created_local": "2024-03-11 12:00:00", "created_gmt": "2024-03-11 15:00:00",
            "status": "wc-completed", "user_id": 0, "first_name": "Ana", "last_name": "Souza", "email": "",
            "phone": "+55 11 8765-4321", "total": "359.70", "items": [("Chinelo Básico", 16, 0, 2, "59.80")],
        },
    )  # fmt: skip
    out = io.StringIO()

    with translation.override("en"):
        call_command(
            "import_customers", f"--empresa={company_a.slug}", "--start_date=2024-03-01", "--end_date=2024-03-31",
            "--import_type=all", "--check_recovery", stdout=out,
        )  # fmt: skip

    lines = out.getvalue().splitlines()
    assert lines[0] == "carts: 1 created, 0 updated, 0 unchanged, 0 failed"
    assert lines[1] == "orders: 1 created, 0 updated, 0 unchanged, 0 failed"
    assert "Recovery: 1 abandoned carts: 1 recovered, 0 waiting, 0 abandoned" in lines
    assert "Recovery rate: 100.0%; recovered revenue: 359.70" in lines
    assert ImportRun.objects.for_company(company_a).get().kind == "all"


def test_check_recovery_alone_imports_nothing(company_a):
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_customers", f"--empresa={company_a.slug}", "--check_recovery", stdout=out)

    assert out.getvalue().startswith("Recovery: 0 abandoned carts: 0 recovered, 0 waiting, 0 abandoned\n")
    assert not ImportRun.objects.for_company(company_a).exists()


def test_a_failed_import_is_said_once_in_portuguese_without_a_zero_count_summary(company_a, capsys, settings, tmp_path):
    """Issue 21: no "leads: 0 criados..." before the error, the error once, the JSON log line in the log file."""
    settings.COMMAND_LOG_FILE = str(tmp_path / "commands.log")

    with translation.override("pt-br"):
        with pytest.raises(SystemExit):
            load_command_class("leads", "import_leads").run_from_argv(
                ["manage.py", "import_leads", f"--empresa={company_a.slug}", "--periodo=hoje"]
            )
    out, err = capsys.readouterr()

    assert out == ""
    assert (out + err).count("wp_db_host") == 1
    assert "A importação falhou: Configure" in err, err
    assert '"event"' not in out + err  # the structured line went to the log file
    assert "import_failed" in (tmp_path / "commands.log").read_text()
