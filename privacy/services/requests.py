"""Privacy requests: an export or an erasure asked for by staff, run at once when the person's history
is small and by a background task otherwise, with live progress (leads.progress, namespace "privacy").

Every request leaves its PrivacyRequest row: who asked, when, why, what came out (row counts). An
export's zip is kept in storage for EXPORT_KEPT_DAYS for download, then deleted by the retention
sweep (or at once when the person is erased).
"""

import uuid
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from leads.progress import progress_set
from privacy.models import PrivacyRequest
from privacy.selectors import person_rows
from privacy.services.erase import erasure_reason_check, person_erase
from privacy.services.export import person_data_export
from tenants.models import Company
from tenants.tasks import task_publish_on_commit

logger = structlog.get_logger(__name__)

PROGRESS_NAMESPACE = "privacy"
EXPORT_KEPT_DAYS = 7
EXPORT_KEPT = timedelta(days=EXPORT_KEPT_DAYS)


def person_row_count(*, company: Company, customer: Customer) -> int:
    return sum(queryset.count() for queryset in person_rows(company=company, customer=customer).values())


def privacy_request_create(
    *, company: Company, customer: Customer, kind: str, requested_by: str, reason: str = ""
) -> PrivacyRequest:
    """A queued request. An erasure's reason is checked here (ValidationError), before anything runs."""
    if kind == PrivacyRequest.Kind.ERASURE:
        reason = erasure_reason_check(customer=customer, reason=reason)
    return PrivacyRequest.objects.for_company(company).create(
        company=company, kind=kind, customer_ref=customer.pk, requested_by=requested_by[:150], reason=reason.strip()
    )


def privacy_request_start(
    *, company: Company, customer: Customer, kind: str, requested_by: str, reason: str = ""
) -> PrivacyRequest:
    """Create the request and run it now when the person has at most PRIVACY_INLINE_MAX_ROWS rows;
    otherwise enqueue it (after commit) on the imports queue. Returns the request as it stands."""
    request = privacy_request_create(
        company=company, customer=customer, kind=kind, requested_by=requested_by, reason=reason
    )
    if person_row_count(company=company, customer=customer) <= settings.PRIVACY_INLINE_MAX_ROWS:
        return privacy_request_execute(request=request)
    privacy_request_enqueue(request)
    return request


def privacy_request_enqueue(request: PrivacyRequest) -> None:
    """Queue the request once the caller's transaction commits; marked failed if the broker refuses it."""
    from privacy.tasks import privacy_request_task  # noqa: PLC0415 - the task module imports this one

    def say_unqueued(error: Exception) -> None:
        PrivacyRequest.objects.for_company(request.company_id).filter(
            pk=request.pk, status=PrivacyRequest.Status.QUEUED
        ).update(
            status=PrivacyRequest.Status.FAILED,
            finished_at=timezone.now(),
            error=_("The request could not be queued (task queue unreachable: %(error)s). Ask again.")
            % {"error": type(error).__name__},
        )

    task_publish_on_commit(
        privacy_request_task, on_refused=say_unqueued, company_id=request.company_id, request_id=request.pk
    )


def privacy_request_execute(*, request: PrivacyRequest) -> PrivacyRequest:
    """Run a queued request now (in this process). Safe to call twice: only a queued request is claimed."""
    requests = PrivacyRequest.objects.for_company(request.company_id)
    claimed = requests.filter(pk=request.pk, status=PrivacyRequest.Status.QUEUED).update(
        status=PrivacyRequest.Status.RUNNING, started_at=timezone.now()
    )
    request.refresh_from_db()
    if not claimed:
        return request
    customer = Customer.objects.for_company(request.company_id).filter(pk=request.customer_ref).first()
    try:
        if customer is None:
            raise LookupError(_("The customer no longer exists (already erased?)."))
        if request.kind == PrivacyRequest.Kind.EXPORT:
            _export(request, customer)
        else:
            person_erase(
                company=request.company,
                customer=customer,
                reason=request.reason,
                requested_by=request.requested_by,
                record=request,
                progress=_progress_of(request),
            )
    except Exception as exc:  # noqa: BLE001 - a request must never stay "running"; an erasure resumes when asked again
        logger.exception("privacy_request_failed", request=request.pk, kind=request.kind)
        request.status, request.error = PrivacyRequest.Status.FAILED, str(exc)[:2000]
    else:
        request.status = PrivacyRequest.Status.SUCCEEDED
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "error", "finished_at"])
    return request


def _progress_of(request: PrivacyRequest):
    def report(kind: str, done: int, total: int) -> None:
        progress_set(request.pk, kind, done=done, total=max(total, done), namespace=PROGRESS_NAMESPACE)

    return report


def _export(request: PrivacyRequest, customer: Customer) -> None:
    export = person_data_export(company=request.company, customer=customer, progress=_progress_of(request))
    with export.file:
        # A random name: the file's name says nothing about whose data it holds.
        request.file.save(f"{uuid.uuid4().hex}.zip", File(export.file), save=False)
    request.counts = export.counts
    request.save(update_fields=["file", "counts"])


def export_files_expire(*, company: Company, now=None, batch: int) -> int:
    """Delete export zips older than EXPORT_KEPT (storage first, then the row's link). Due rows only,
    through privacyrequest_export_file_idx; at most `batch`. Returns how many."""
    now = now or timezone.now()
    due = list(
        PrivacyRequest.objects.for_company(company)
        .filter(kind=PrivacyRequest.Kind.EXPORT, finished_at__lt=now - EXPORT_KEPT)
        .exclude(file="")
        .order_by("finished_at")[:batch]
    )
    for request in due:
        request.file.delete(save=False)
        PrivacyRequest.objects.for_company(company).filter(pk=request.pk).update(file="")
    return len(due)
