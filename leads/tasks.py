from leads.models import ImportRun
from leads.services.imports import import_run_execute
from tenants.tasks import company_task


@company_task(queue="imports", acks_late=True)
def import_run_task(*, company_id: int, run_id: int) -> str:
    """Run one queued import. Idempotent: a run already started or finished is left alone."""
    run = ImportRun.objects.get(pk=run_id)
    return import_run_execute(run=run).status
