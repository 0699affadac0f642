"""privacy_export / privacy_erase as an operator runs them: the person by any phone form or e-mail, exit code 2
when the input is wrong, a progress bar on a terminal."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command, load_command_class

from customers.models import Customer
from leads.tests.test_commands import Terminal, keep_the_test_connection  # noqa: F401 - an autouse fixture
from privacy.models import PrivacyRequest
from privacy.tests.test_api import person

REASON = "Pedido do titular por telefone"


def run_from_argv(name: str, *args: str, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        load_command_class("privacy", name).run_from_argv(["manage.py", name, *args])
    return stop.value.code, capsys.readouterr().err


@pytest.mark.parametrize("who", ["--phone=(11) 8765-4321", "--phone=551187654321", "--email=Marisol@Example.com"])
def test_export_finds_the_person_by_any_identity_and_writes_one_zip(company_a, tmp_path, who):
    customer = person(company_a)
    customer.email = "marisol@example.com"
    customer.save(update_fields=["email"])
    person(company_a, phone="+5511912345678", name="Beto")
    output, out = tmp_path / "dados.zip", Terminal()

    call_command("privacy_export", f"--empresa={company_a.slug}", who, f"--output={output}", stdout=out)

    with zipfile.ZipFile(output) as archive:
        document = json.loads(archive.read("dados.json"))
    assert [row["id"] for row in document["rows"]["customers.customer"]] == [customer.pk]
    assert "100%" in out.getvalue()  # the progress bar, drawn on a terminal
    record = PrivacyRequest.objects.for_company(company_a).get()
    assert (record.kind, record.status, record.requested_by, record.file.name) == ("export", "succeeded", "command", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone=11 91111-0000"], "Nobody with"),
        (["--phone=123"], "is not a phone number"),
        (["--email=nobody@example.com"], "Nobody with"),
        (["--phone=11987654321", "--email=a@example.com"], "not allowed with"),
        ([], "one of the arguments --phone --email is required"),
    ],
)
def test_wrong_people_are_exit_code_2(company_a, capsys, english, args, message):
    person(company_a)

    code, err = run_from_argv("privacy_export", f"--empresa={company_a.slug}", *args, capsys=capsys)

    assert code == 2
    assert message in err
    assert not PrivacyRequest.objects.for_company(company_a).exists()


def test_erase_with_yes_erases_and_prints_the_record(company_a, english):
    customer = person(company_a)
    out = io.StringIO()

    call_command(
        "privacy_erase",
        f"--empresa={company_a.slug}",
        "--phone=+55 11 98765-4321",
        f"--reason={REASON}",
        "--yes",
        stdout=out,
    )

    record = PrivacyRequest.objects.for_company(company_a).get()
    assert out.getvalue().splitlines() == [
        "deleted: customers.customer 1, conversations.conversation 1, conversations.message 1",
        "anonymised: -",
        f"Erased; record #{record.pk}.",
    ]
    assert (record.kind, record.reason, record.requested_by) == ("erasure", REASON, "command")
    assert not Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reason=a pedido de Marisol Bastos", "--yes"], "must not contain the person"),
        ([f"--reason={REASON}"], "Add --yes"),  # no terminal to confirm on
        (["--yes"], "the following arguments are required: --reason"),
    ],
)
def test_erase_refuses_without_a_clean_reason_or_a_confirmation(company_a, capsys, english, monkeypatch, args, message):
    customer = person(company_a)
    monkeypatch.setattr("sys.stdin", io.StringIO())

    code, err = run_from_argv(
        "privacy_erase", f"--empresa={company_a.slug}", "--phone=11987654321", *args, capsys=capsys
    )

    assert (code, message in err) == (2, True), err
    assert Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()


def test_unknown_empresa_is_exit_code_2(db, capsys, english):
    code, err = run_from_argv("privacy_erase", "--empresa=nope", "--phone=11987654321", "--reason=x", capsys=capsys)

    assert code == 2 and "does not exist" in err
