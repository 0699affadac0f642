"""Celery entry points of the tenancy layer, and the base every company task uses.

`company_task(...)` replaces `shared_task` for anything that touches tenant-owned rows: the task
must be called with a `company_id` keyword and runs inside `company_scope(company_id)`.
"""

import time
from collections.abc import Callable

import structlog
from celery import Task, shared_task
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tenants.scoping import TenantScopeError, company_scope

logger = structlog.get_logger(__name__)


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


PUBLISH_SKIP_SECONDS = 5.0  # after a refused publish, this process refuses at once for this long
_publish_skip_until = 0.0


class BrokerUnavailable(Exception):
    """A publish refused without trying: the broker failed this process moments ago."""


def task_publish(
    task: Task, *, countdown: float = 0, on_refused: Callable[[Exception], None] | None = None, **kwargs
) -> bool:
    """Enqueue `task(**kwargs)`; False when the broker refused it (down, unreachable), after logging
    it and calling `on_refused(error)` so the caller can say so on its row. Never raises: the work
    behind a publish is already committed, and a sweep or a person takes it up again.

    After a refused publish the process refuses at once for PUBLISH_SKIP_SECONDS (a per-process
    breaker): a hung broker costs one socket timeout, not one per webhook."""
    global _publish_skip_until  # noqa: PLW0603 - the breaker is per process on purpose
    if time.monotonic() < _publish_skip_until:
        logger.info("task_publish_skipped", task=task.name, **kwargs)
        if on_refused is not None:
            on_refused(BrokerUnavailable("the broker failed moments ago"))
        return False
    try:
        if countdown:
            task.apply_async(kwargs=kwargs, countdown=countdown)
        else:
            task.delay(**kwargs)
    except Exception as exc:  # noqa: BLE001 - each broker transport raises its own connection errors
        _publish_skip_until = time.monotonic() + PUBLISH_SKIP_SECONDS
        logger.warning("task_publish_failed", task=task.name, exc_info=True, **kwargs)
        if on_refused is not None:
            on_refused(exc)
        return False
    return True


def task_publish_on_commit(
    task: Task, *, countdown: float = 0, on_refused: Callable[[Exception], None] | None = None, **kwargs
) -> None:
    """`task_publish` once the current transaction commits (a task must never see uncommitted rows)."""
    transaction.on_commit(lambda: task_publish(task, countdown=countdown, on_refused=on_refused, **kwargs))


@shared_task(queue="default")
def ping_task(*, token: str) -> str:
    """Proves a worker is consuming (used by health checks and the worker smoke test)."""
    cache.set(f"celery-ping:{token}", timezone.now().isoformat(), timeout=300)
    return token


@shared_task(queue="maintenance")
def sessions_clear_expired_task() -> None:
    call_command("clearsessions")
