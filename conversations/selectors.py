"""Reads of the conversations app."""

from django.db.models import Min
from django.utils import timezone

from conversations.models import InboundEvent, Message

INGEST_LAG_WARN_SECONDS = 300  # past this, /health/ reports the pipeline as degraded


def ingest_lag_seconds(company_id: int | None = None) -> float:
    """Age in seconds of the oldest inbound work not yet done: a stored event not yet applied, or a
    buffered customer message not yet processed (0 when nothing waits). All companies when
    `company_id` is None; uses the partial indexes on `received` rows."""
    events = InboundEvent.objects.unscoped().filter(status=InboundEvent.Status.RECEIVED)  # unscoped: global probe
    messages = Message.objects.unscoped().filter(status=Message.Status.RECEIVED)  # unscoped: global probe
    if company_id is not None:
        events, messages = events.filter(company_id=company_id), messages.filter(company_id=company_id)
    oldest = [
        events.aggregate(oldest=Min("received_at"))["oldest"],
        messages.aggregate(oldest=Min("created_at"))["oldest"],
    ]
    known = [value for value in oldest if value is not None]
    if not known:
        return 0.0
    return max(0.0, (timezone.now() - min(known)).total_seconds())


def failed_event_count(company_id: int | None = None) -> int:
    """Stored events whose application raised (waiting for a replay from the admin)."""
    events = InboundEvent.objects.unscoped().filter(status=InboundEvent.Status.FAILED)  # unscoped: global probe
    if company_id is not None:
        events = events.filter(company_id=company_id)
    return events.count()
