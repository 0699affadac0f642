"""Celery entry points of the message pipeline: thin, idempotent (status machines + row locks)."""

from celery import shared_task

from conversations.models import Channel, Message
from conversations.processing import (
    conversation_process,
    conversation_process_now,
    conversations_with_stale_buffer,
    processing_finished,
    processing_inline,
    processing_reschedule,
)
from conversations.services import (
    channel_health_check,
    channels_due_for_check,
    conversation_send_due,
    inbound_event_process,
    inbound_events_unapplied,
    messages_missing_their_file,
    outbound_sweep,
    received_file_download,
    received_file_download_fail,
)
from integrations.errors import PermanentError, RetryableError
from tenants.tasks import company_task, task_publish


@company_task(queue="webhooks", acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def inbound_event_apply_task(*, company_id: int, event_id: int) -> str:
    """Parse and apply one raw event the webhook stored (its request only stored and published it),
    then, after its commit, process the conversations it buffered when their debounce is 0 (no
    separate processing task for them: see conversations.processing.processing_inline)."""
    with processing_inline() as due:
        status = inbound_event_process(event_id=event_id)["status"]
    for conversation_company_id, conversation_id in dict.fromkeys(due):
        conversation_process_now(company_id=conversation_company_id, conversation_id=conversation_id)
    return status


@company_task(queue="webhooks", acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def conversation_process_task(*, company_id: int, conversation_id: int) -> str:
    """Run the debounced processing of one conversation: again later while its buffer is not quiet,
    else process it and clear its pending mark (see conversations.processing)."""
    run = conversation_process(conversation_id=conversation_id)
    if run.retry_in:
        processing_reschedule(company_id=company_id, conversation_id=conversation_id, countdown=run.retry_in)
    else:
        processing_finished(company_id=company_id, conversation_id=conversation_id)
    return run.result


@company_task(queue="outbound", acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def message_send_task(*, company_id: int, message_id: int, conversation_id: int | None = None) -> dict:
    """Send the due messages of this message's conversation, in order (conversations.services.delivery).

    Retries are per message and live on the row: when the head must wait, this schedules the one
    task that will try it again (a lost publish is the sweep's); other tasks of the conversation
    find it waiting and leave it alone, so they never spend its attempts.
    """
    if conversation_id is None:  # published before the conversation was passed along
        conversation_id = Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
    if conversation_id is None:
        return {"result": "missing"}
    run = conversation_send_due(conversation_id=conversation_id)
    if run.retry_in is not None:
        task_publish(message_send_task, countdown=run.retry_in, company_id=company_id, message_id=run.retry_message_id)
    elif run.more:
        task_publish(message_send_task, company_id=company_id, message_id=message_id)
    return {"sent": run.sent, "failed": run.failed, "expired": run.expired, "waiting": run.waiting}


@company_task(
    bind=True,
    queue="default",
    acks_late=True,
    autoretry_for=(RetryableError,),
    retry_backoff=5,
    max_retries=3,
    time_limit=300,
    soft_time_limit=280,
)
def received_file_download_task(self, *, company_id: int, message_id: int) -> int | None:
    """Fetch and store a received document; a refused or finally failing download is recorded on
    the message (visible in the admin) instead of vanishing in the worker's log."""
    try:
        received = received_file_download(message_id=message_id)
    except PermanentError as exc:
        received_file_download_fail(message_id=message_id, error=str(exc))
        return None
    except RetryableError as exc:
        if self.request.retries >= self.max_retries:
            received_file_download_fail(message_id=message_id, error=str(exc))
            return None
        raise
    return received.pk if received else None


@shared_task(queue="maintenance", time_limit=300, soft_time_limit=280)
def outbound_sweep_task() -> dict:
    """Beat: re-send stuck queued messages, expire stale ones; loops while batches come back full."""
    result = outbound_sweep()
    if result["full"]:
        outbound_sweep_task.apply_async(countdown=1)
    return result


@shared_task(queue="maintenance", time_limit=300, soft_time_limit=280)
def inbound_sweep_task() -> int:
    """Beat: apply raw events whose apply task was refused or lost, process conversations whose
    buffered messages outlived their task, and fetch received documents whose download task never
    ran (lost publishes)."""
    for company_id, event_id in inbound_events_unapplied():
        inbound_event_apply_task.apply_async(kwargs={"company_id": company_id, "event_id": event_id})
    stale = conversations_with_stale_buffer()
    for company_id, conversation_id in stale:
        conversation_process_task.apply_async(kwargs={"company_id": company_id, "conversation_id": conversation_id})
    for company_id, message_id in messages_missing_their_file():
        received_file_download_task.apply_async(kwargs={"company_id": company_id, "message_id": message_id})
    return len(stale)


@company_task(queue="maintenance", time_limit=60, soft_time_limit=50)
def channel_check_task(*, company_id: int, channel_id: int) -> str:
    channel = Channel.objects.select_related("company").get(pk=channel_id)
    return channel_health_check(channel)


@shared_task(queue="maintenance", time_limit=60, soft_time_limit=50)
def channels_health_task() -> int:
    """Beat: one check task per due channel (status, QR, reconnect with backoff)."""
    due = channels_due_for_check()
    for company_id, channel_id in due:
        channel_check_task.apply_async(kwargs={"company_id": company_id, "channel_id": channel_id})
    return len(due)
