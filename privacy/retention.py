"""Retention (LGPD art. 15-16): personal data is kept no longer than each company's policy says.

Per-company settings (CompanySetting keys, whole days, checked when saved):

| key | default | what goes when older |
|---|---|---|
| retention_inbound_events_days | 30 | raw inbound events, counted from when they were applied (processed, ignored or failed) |
| retention_received_files_days | 180 | received files, from storage and their rows |
| retention_conversations_without_order_days | 730 | conversations (messages, files, flow position) of customers who never ordered, counted from their last change |
| retention_abandoned_carts_days | 7 | bot carts not checked out, from their last change (declared in carts.sweeps) |

Export zips are deleted EXPORT_KEPT_DAYS after they were made. The sweep follows the project's
one sweep pattern (tenants.sweeps): companies one at a time (inactive ones too: their data ages the
same), each in its own scope; due rows only, through an index leading with company and the due
timestamp; at most `batch` rows of each kind per company and run, deleted with the same services as
an erasure (privacy.services.deletion). When a batch came back full, the task queues itself again.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carts.sweeps import carts_delete_untouched, session_contexts_delete_expired
from conversations.models import Conversation, InboundEvent, ReceivedFile
from orders.models import Order
from privacy.selectors import label
from privacy.services.deletion import conversations_delete, received_files_delete, rows_delete
from privacy.services.requests import export_files_expire
from tenants.models import Company
from tenants.setting_keys import declare_setting, whole_number_between
from tenants.sweeps import sweep_companies

RETENTION_BATCH = 500  # rows of each kind per company per run
DAYS = whole_number_between(1, 36500)

INBOUND_EVENTS_DAYS = declare_setting(
    "retention_inbound_events_days",
    value_type="number",
    default=30,
    description=_("Days a raw inbound event is kept after it was applied"),
    validate=DAYS,
)
RECEIVED_FILES_DAYS = declare_setting(
    "retention_received_files_days",
    value_type="number",
    default=180,
    description=_("Days a file a customer sent is kept"),
    validate=DAYS,
)
CONVERSATIONS_DAYS = declare_setting(
    "retention_conversations_without_order_days",
    value_type="number",
    default=730,
    description=_("Days the conversations of a customer who never ordered are kept after their last change"),
    validate=DAYS,
)


def retention_apply(*, now=None, batch: int = RETENTION_BATCH) -> dict:
    """One pass over every company (active or not), then the expired session contexts (not personal
    data, the same daily cleanup). Returns rows deleted by kind, and `more`: True when some batch
    came back full (run again soon)."""
    now = now or timezone.now()
    totals = {"inbound_events": 0, "received_files": 0, "conversations": 0, "carts": 0, "export_files": 0}
    more = False
    totals["sessions"] = 0
    for company in sweep_companies(include_inactive=True):
        for kind, count in retention_apply_company(company=company, now=now, batch=batch).items():
            totals[kind] += count
            more = more or count >= batch
        totals["sessions"] += session_contexts_delete_expired(now=now)
    return {**totals, "more": more}


def retention_apply_company(*, company: Company, now, batch: int) -> dict[str, int]:
    """The company's due rows of each kind, at most `batch` each, deleted; counts by kind."""

    def cutoff(setting):
        return now - timedelta(days=int(setting.get(company)))

    events = (
        InboundEvent.objects.for_company(company)
        .filter(processed_at__isnull=False, processed_at__lt=cutoff(INBOUND_EVENTS_DAYS))
        .order_by("processed_at")
    )
    files = ReceivedFile.objects.for_company(company).filter(created_at__lt=cutoff(RECEIVED_FILES_DAYS))
    ordered = Order.objects.for_company(company).filter(customer=OuterRef("customer"))
    conversations = (
        Conversation.objects.for_company(company)
        .filter(updated_at__lt=cutoff(CONVERSATIONS_DAYS))
        .filter(~Exists(ordered))
        .order_by("updated_at")
    )
    due_events, due_files, due_conversations = (
        _first(rows, company, batch) for rows in (events, files.order_by("created_at"), conversations)
    )
    return {
        "inbound_events": rows_delete(due_events, company=company),
        "received_files": received_files_delete(due_files, company=company),
        "conversations": conversations_delete(due_conversations, company=company)[label(Conversation)],
        "carts": carts_delete_untouched(company=company, now=now, batch=batch),
        "export_files": export_files_expire(company=company, now=now, batch=batch),
    }


def _first(queryset, company: Company, batch: int):
    """The first `batch` rows of `queryset`, as a queryset the deletion services can take."""
    ids = list(queryset.values_list("pk", flat=True)[:batch])
    return queryset.model.objects.for_company(company).filter(pk__in=ids)
