import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tenants.demo import DEMO_SLUG
from tenants.models import ApiToken, Company, Membership


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_company_is_idempotent(db):
    run("create_company", "loja-x", "--name", "Loja X")
    run("create_company", "loja-x", "--name", "Loja X Renomeada")

    assert list(Company.objects.values_list("slug", "name")) == [("loja-x", "Loja X Renomeada")]


def test_create_company_rejects_a_bad_slug(db):
    with pytest.raises(CommandError, match="Invalid slug"):
        run("create_company", "não vale", "--name", "X")

    assert not Company.objects.exists()


def test_create_api_token_prints_only_a_working_token_and_is_idempotent(db):
    run("create_company", "loja-x", "--name", "Loja X")

    first = run("create_api_token", "loja-x", "ana").strip()
    second = run("create_api_token", "loja-x", "ana").strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")

    assert first == second
    assert len(first.splitlines()) == 1
    assert ApiToken.objects.unscoped().count() == 1
    assert Membership.objects.unscoped().get().role == Membership.Role.MANAGER
    assert client.get("/api/company-settings/").status_code == 200


def test_create_api_token_for_an_unknown_company_is_a_clear_error(db):
    with pytest.raises(CommandError, match="does not exist"):
        run("create_api_token", "nope", "ana")


def test_load_demo_is_idempotent_and_prints_the_login(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    first = run("load_demo")
    second = run("load_demo")

    assert Company.objects.filter(slug=DEMO_SLUG, name="Pizzaria Demo").count() == 1
    assert Membership.objects.unscoped().filter(company__slug=DEMO_SLUG, role="owner").count() == 1
    password = (tmp_path / "demo-login.txt").read_text()
    assert f"user: demo  password: {password}" in first
    assert first == second


def test_sync_beat_schedule_is_idempotent(db):
    from django_celery_beat.models import PeriodicTask

    run("sync_beat_schedule")
    run("sync_beat_schedule")

    assert PeriodicTask.objects.filter(name="balcao:sessions-clear-expired", queue="maintenance").count() == 1
