"""Celery entry points of the privacy desk: one request (export or erasure), and the retention sweep."""

from celery import shared_task

from privacy.models import PrivacyRequest
from privacy.retention import RETENTION_BATCH, retention_apply
from privacy.services import privacy_request_execute
from tenants.tasks import company_task, task_publish


@company_task(queue="imports", acks_late=True)
def privacy_request_task(*, company_id: int, request_id: int) -> str:
    """Run one queued request (long histories go to the imports queue, beside the other long jobs).
    Idempotent: a request already claimed is left alone."""
    request = PrivacyRequest.objects.get(pk=request_id)
    return privacy_request_execute(request=request).status


@shared_task(queue="maintenance")
def privacy_retention_task() -> dict:
    """Beat: apply every company's retention once; queue another pass when a batch came back full."""
    result = retention_apply(batch=RETENTION_BATCH)
    if result["more"]:
        task_publish(privacy_retention_task)
    return result
