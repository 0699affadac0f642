from datetime import UTC, datetime
from unittest import mock

from leads.models import ImportRun
from leads.progress import progress_set
from leads.services.imports import import_run_create

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)


def test_starting_an_import_from_the_admin_queues_it_after_commit(
    admin_client_a, company_a, django_capture_on_commit_callbacks
):
    with mock.patch("leads.admin.import_run_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_a.post(
                "/admin/leads/importrun/add/",
                {
                    "kind": "leads",
                    "period_start_0": "2026-11-01",
                    "period_start_1": "00:00:00",
                    "period_end_0": "2026-11-30",
                    "period_end_1": "00:00:00",
                },
            )

    run = ImportRun.objects.for_company(company_a).get()
    assert response.status_code == 302
    assert run.status == ImportRun.Status.QUEUED
    assert run.triggered_by == "manager-a"
    delay.assert_called_once_with(company_id=company_a.pk, run_id=run.pk)


def test_progress_is_live_for_own_runs_and_404_for_others(admin_client_a, company_a, company_b):
    mine = import_run_create(company=company_a, kind="leads", start=START, end=END)
    theirs = import_run_create(company=company_b, kind="leads", start=START, end=END)
    progress_set(mine.pk, "leads", done=25, total=100)

    own = admin_client_a.get(f"/admin/leads/importrun/{mine.pk}/progress/")
    other = admin_client_a.get(f"/admin/leads/importrun/{theirs.pk}/progress/")

    assert own.json()["percent"] == 25
    assert own.json()["progress"] == {"leads": {"done": 25, "total": 100}}
    assert other.status_code == 404


def test_test_connection_button_says_what_is_missing(admin_client_a):
    response = admin_client_a.get("/admin/leads/importrun/test-connection/", follow=True)

    assert "wp_db_host" in response.content.decode()


def test_import_task_runs_the_run_once(company_a):
    from leads.tasks import import_run_task

    run = import_run_create(company=company_a, kind="leads", start=START, end=END)

    first = import_run_task(company_id=company_a.pk, run_id=run.pk)
    second = import_run_task(company_id=company_a.pk, run_id=run.pk)

    assert first == second == ImportRun.Status.FAILED  # no source configured: failed, not crashed
    assert "wp_db_host" in ImportRun.objects.for_company(company_a).get().error
