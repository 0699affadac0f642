import zoneinfo
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from exports.periods import day_range
from leads.models import ImportRun
from leads.services.imports import import_run_create, import_run_execute
from leads.source_config import SourceNotConfigured, import_options_for
from tenants.models import Company
from tenants.services import company_setting_get
from tenants.sweeps import sweep_companies
from tenants.tasks import company_task

# The daily import re-reads the last few days: carts change status (abandoned -> completed) after they are made.
INCREMENTAL_DAYS = 3


@company_task(queue="imports", acks_late=True)
def import_run_task(*, company_id: int, run_id: int) -> str:
    """Run one queued import. Idempotent: a run already started or finished is left alone."""
    run = ImportRun.objects.get(pk=run_id)
    return import_run_execute(run=run).status


@shared_task(queue="imports")
def imports_daily_task() -> int:
    """Beat: enqueue the incremental import of every active company with a WordPress source (a sweep
    as `tenants.sweeps` describes). Returns how many."""
    company_ids = [
        company.pk for company in sweep_companies() if company_setting_get(company=company, key="wp_db_host")
    ]
    for company_id in company_ids:
        import_daily_company_task.delay(company_id=company_id)
    return len(company_ids)


@company_task(queue="imports", acks_late=True)
def import_daily_company_task(*, company_id: int) -> list[str]:
    """Import carts and orders (and leads when Form Vibes fields are mapped) of the last INCREMENTAL_DAYS days."""
    company = Company.objects.get(pk=company_id)
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(company.timezone))
    start, end = day_range(today - timedelta(days=INCREMENTAL_DAYS - 1), today, company.timezone)
    kinds = [ImportRun.Kind.ALL]
    try:
        if import_options_for(company).leads_mapped:
            kinds.append(ImportRun.Kind.LEADS)
    except (SourceNotConfigured, ValueError):
        pass  # the carts-and-orders run below fails and records why
    statuses = []
    for kind in kinds:
        run = import_run_create(company=company, kind=kind, start=start, end=end, triggered_by="beat")
        statuses.append(import_run_execute(run=run).status)
    return statuses
