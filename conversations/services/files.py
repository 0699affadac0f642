"""Files customers send: downloaded with a size limit, stored through Django storage, fingerprinted."""

import hashlib
import mimetypes
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from conversations.models import Message, ReceivedFile
from conversations.urlsafety import validate_public_url
from integrations import http
from integrations.errors import PermanentError

CHUNK_BYTES = 64 * 1024
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
    """Download an inbound document's media, store it and record name, type, size and SHA-256.

    Idempotent: a message that already has its file is left alone. The media URL must pass the
    SSRF check; bodies over MAX_RECEIVED_FILE_BYTES are refused (PermanentError) without storing
    anything. Network trouble raises RetryableError for the task to retry.
    """
    message = Message.objects.select_related("conversation").get(pk=message_id)
    existing = ReceivedFile.objects.filter(message=message).first()
    if existing is not None or not message.media_url:
        return existing
    try:
        validate_public_url(message.media_url)
    except ValidationError as exc:
        raise PermanentError(f"media URL refused: {exc.messages[0]}") from exc
    limit = settings.MAX_RECEIVED_FILE_BYTES
    response = http.request("GET", message.media_url, stream=True)
    declared_size = int(response.headers.get("Content-Length") or 0)
    if declared_size > limit:
        response.close()
        raise PermanentError(f"file of {declared_size} bytes is over the {limit}-byte limit")
    digest = hashlib.sha256()
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            response.close()
            raise PermanentError(f"file is over the {limit}-byte limit")
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    name = os.path.basename(message.file_name or "") or "document"
    declared = (response.headers.get("Content-Type") or message.media_mime or "").split(";")[0].strip()
    received = ReceivedFile(
        company_id=message.company_id,
        conversation=message.conversation,
        message=message,
        original_name=name[:255],
        content_type=detect_content_type(content[:16], name, declared)[:100],
        size=size,
        sha256=digest.hexdigest(),
    )
    received.file.save(name, ContentFile(content), save=False)
    received.save()
    return received
