"""Celery entry points of the tenancy layer, and the base every company task uses.

`company_task(...)` replaces `shared_task` for anything that touches tenant-owned rows: the task
must be called with a `company_id` keyword and runs inside `company_scope(company_id)`.
"""

from celery import Task, shared_task
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from tenants.scoping import TenantScopeError, company_scope


class CompanyTask(Task):
    abstract = True

    def __call__(self, *args, **kwargs):
        company_id = kwargs.get("company_id")
        if company_id is None:
            raise TenantScopeError(f"{self.name} must be called with company_id=...")
        with company_scope(company_id):
            return super().__call__(*args, **kwargs)


def company_task(*args, **options):
    """`@company_task(queue="outbound")`: a shared task that runs scoped to its `company_id`."""
    options.setdefault("base", CompanyTask)
    return shared_task(*args, **options)


@shared_task(queue="default")
def ping_task(*, token: str) -> str:
    """Proves a worker is consuming (used by health checks and the worker smoke test)."""
    cache.set(f"celery-ping:{token}", timezone.now().isoformat(), timeout=300)
    return token


@shared_task(queue="maintenance")
def sessions_clear_expired_task() -> None:
    call_command("clearsessions")
