"""Deleting a person's rows in bounded batches, files on disk first. Used by the erasure and by the
retention sweep alike, so a row is removed the same way whichever asked.

Each batch is its own statement (its own transaction in autocommit): a long history never holds one
huge transaction, and a run stopped half-way is finished by running it again (everything here is
idempotent). Storage objects are deleted before their rows, so a failure leaves a row pointing at
nothing, never a file nobody knows about. Every function takes a queryset of one company's rows
and that company.
"""

from collections.abc import Callable, Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from conversations.models import Conversation, Message, ReceivedFile
from flows.models import FlowPosition
from privacy.selectors import label
from tenants.models import Company

BATCH = 500

Progress = Callable[[int], None]  # rows done so far


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rows_delete(queryset: QuerySet, *, company: Company, batch: int = BATCH, progress: Progress | None = None) -> int:
    """Delete the rows of `queryset` (ids read once, then deleted `batch` at a time) and staff's
    admin history of them (its text may quote the row: a message's first words, a name).
    Returns how many rows were deleted."""
    model = queryset.model
    ids = list(queryset.order_by().values_list("pk", flat=True))
    content_type = ContentType.objects.get_for_model(model)
    done = 0
    for chunk in _chunks(ids, batch):
        model.objects.for_company(company).filter(pk__in=chunk).delete()
        LogEntry.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in chunk]).delete()
        done += len(chunk)
        if progress is not None:
            progress(done)
    return done


def received_files_delete(
    files: QuerySet, *, company: Company, batch: int = BATCH, progress: Progress | None = None
) -> int:
    """Delete received files from storage, then their rows. Their message keeps no link to them
    (media URL and file name are cleared: both may name the person). Returns files deleted."""
    ids = list(files.order_by().values_list("pk", flat=True))
    done = 0
    for chunk in _chunks(ids, batch):
        rows = ReceivedFile.objects.for_company(company).filter(pk__in=chunk)
        for received in rows:
            if received.file.name:
                received.file.storage.delete(received.file.name)
        Message.objects.for_company(company).filter(pk__in=rows.values("message_id")).update(
            media_url="", media_id="", file_name=""
        )
        done += rows_delete(rows, company=company)
        if progress is not None:
            progress(done)
    return done


def conversations_delete(
    conversations: QuerySet, *, company: Company, batch: int = BATCH, progress: Progress | None = None
) -> dict[str, int]:
    """Delete conversations with their received files (storage first), their messages (in batches)
    and their flow positions. Returns the rows deleted by model label."""
    ids = list(conversations.order_by().values_list("pk", flat=True))

    def of_conversations(model):
        return model.objects.for_company(company).filter(conversation__in=ids)

    counts = {
        label(ReceivedFile): received_files_delete(of_conversations(ReceivedFile), company=company, batch=batch),
        label(Message): rows_delete(of_conversations(Message), company=company, batch=batch, progress=progress),
        label(FlowPosition): rows_delete(of_conversations(FlowPosition), company=company, batch=batch),
    }
    counts[label(Conversation)] = rows_delete(
        Conversation.objects.for_company(company).filter(pk__in=ids), company=company, batch=batch
    )
    return counts
