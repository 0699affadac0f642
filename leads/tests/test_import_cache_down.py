"""Redis configured but down during an import: live progress is missing, the import is not."""

from leads.models import ImportRun, Lead
from leads.progress import progress_get, run_progress
from leads.tests.test_import_leads import add_lead, run_leads, source  # noqa: F401 - `source` is a fixture

DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def test_import_succeeds_without_progress_when_the_cache_is_down(source, company_a, settings):  # noqa: F811
    add_lead(source, 1, "11987654321")
    add_lead(source, 2, "21987654321", name="Bruno")
    settings.CACHES = DEAD_CACHE

    run = run_leads(company_a)

    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.summary["leads"]["created"] == 2  # the summary in the database is what counts
    assert Lead.objects.for_company(company_a).count() == 2
    assert progress_get(run.pk) == {}  # no live progress, and reading it does not fail (admin page)
    assert run_progress(run).percent == 100
