"""Files customers send: fetched where their provider says, with a size limit, through the outbound
client (every URL and redirect hop checked against private addresses), stored through Django
storage, fingerprinted."""

import hashlib
import mimetypes
import os
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from conversations.models import Message, ReceivedFile
from conversations.providers import credentials_for, get_provider
from integrations import http
from integrations.destinations import DestinationNotAllowed
from integrations.errors import PermanentError
from tenants.sweeps import sweep_companies

CHUNK_BYTES = 64 * 1024
# A document whose download task was lost (broker down) is fetched again by the inbound sweep once
# it is this old, and no longer after FILE_SWEEP_WINDOW (providers' media links expire).
FILE_SWEEP_GRACE = timedelta(minutes=10)
FILE_SWEEP_WINDOW = timedelta(hours=6)
# Leading bytes of the types customers usually send (what the file is, not what it claims).
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0", "application/msword"),
)


def detect_content_type(head: bytes, file_name: str, declared: str) -> str:
    """The type by magic bytes; for zip containers (docx/xlsx) and unknowns, by name, then as declared."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            if mime == "application/zip":
                return mimetypes.guess_type(file_name)[0] or mime
            return mime
    return mimetypes.guess_type(file_name)[0] or declared or "application/octet-stream"


def received_file_download(*, message_id: int) -> ReceivedFile | None:
    """Download an inbound document, store it and record name, type, size and SHA-256.

    The channel's provider says where the plain bytes are (`media_source`: the webhook's URL for
    GOSAC and the console, the Graph API for Meta's media ids, UAZAPI's and Evolution's decrypting
    endpoints for WhatsApp's encrypted blobs). Idempotent: a message that already has its file is
    left alone. Every URL fetched (the provider's base URL, the file URL and each redirect) goes
    through `integrations.http`, which refuses private addresses; bodies over MAX_RECEIVED_FILE_BYTES are refused (PermanentError) without
    storing anything. Network trouble raises RetryableError for the task to retry.
    """
    message = Message.objects.select_related("conversation", "channel").get(pk=message_id)
    existing = ReceivedFile.objects.filter(message=message).first()
    if existing is not None or not (message.media_url or message.media_id):
        return existing
    channel = message.channel
    source = get_provider(channel.provider).media_source(
        credentials_for(channel),
        provider_message_id=message.provider_message_id,
        media_url=message.media_url,
        media_id=message.media_id,
    )
    if source is None:
        return None
    limit = settings.MAX_RECEIVED_FILE_BYTES
    if source.content is not None:
        content, declared = source.content, source.mime
        if len(content) > limit:
            raise PermanentError(f"file is over the {limit}-byte limit")
    else:
        try:
            content, declared = _fetch(source.url, dict(source.headers), limit)
        except DestinationNotAllowed as exc:
            raise PermanentError(f"media URL refused: {exc}") from exc
    name = os.path.basename(message.file_name or "") or ("image" if message.kind == Message.Kind.IMAGE else "document")
    declared = (declared or source.mime or message.media_mime or "").split(";")[0].strip()
    received = ReceivedFile(
        company_id=message.company_id,
        conversation=message.conversation,
        message=message,
        original_name=name[:255],
        content_type=detect_content_type(content[:16], name, declared)[:100],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    received.file.save(name, ContentFile(content), save=False)
    received.save()
    return received


def _fetch(url: str, headers: dict, limit: int) -> tuple[bytes, str]:
    """GET `url` with a size limit, never reading past it (redirects are followed and checked by the
    client; credentials stay with the first origin). Returns (bytes, declared content type)."""
    response = http.request("GET", url, headers=headers, stream=True)
    with response:
        declared_size = int(response.headers.get("Content-Length") or 0)
        if declared_size > limit:
            raise PermanentError(f"file of {declared_size} bytes is over the {limit}-byte limit")
        chunks, size = [], 0
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise PermanentError(f"file is over the {limit}-byte limit")
            chunks.append(chunk)
    return b"".join(chunks), response.headers.get("Content-Type") or ""


def received_file_download_fail(*, message_id: int, error: str) -> None:
    """Record on the message that its file could not be fetched (shown in the admin; the sweep skips it)."""
    Message.objects.filter(pk=message_id).update(  # the download task runs in its company's scope
        error=f"file download failed: {error}"[:2000]
    )


def messages_missing_their_file(*, now=None, limit: int = 200) -> list[tuple[int, int]]:
    """(company_id, message_id) of received documents with no stored file and no recorded failure,
    between FILE_SWEEP_GRACE and FILE_SWEEP_WINDOW old: their download task never ran. At most
    `limit` per company (a sweep as `tenants.sweeps` describes; it fans out idempotent tasks, so
    it reads without a lock)."""
    now = now or timezone.now()
    found = []
    for company in sweep_companies():
        found += [
            (company.pk, message_id)
            for message_id in Message.objects.filter(
                direction=Message.Direction.INBOUND,
                kind=Message.Kind.DOCUMENT,
                created_at__gt=now - FILE_SWEEP_WINDOW,
                created_at__lte=now - FILE_SWEEP_GRACE,
                error="",
                files__isnull=True,
            )
            .exclude(media_url="", media_id="")
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        ]
    return found
