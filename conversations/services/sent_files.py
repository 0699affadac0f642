"""Files staff send from the inbox: checked (size, type by its leading bytes), stored under the
company's folder with an unguessable name, and offered to the provider at a signed, expiring
public URL (the provider downloads it; it has no login)."""

import mimetypes
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.public_url import public_url
from conversations.models import Message
from conversations.services.files import detect_content_type

SENT_FILES_DIR = "sent-files"
SENT_FILE_URL_AGE = timedelta(hours=24)  # long enough for the send task's retries
_SALT = "conversations.sent-file"
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
# What may be sent, with the leading bytes each type must start with (its name alone proves nothing).
_DOCUMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.oasis.opendocument.text": _ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": _ZIP,
}


class FileRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    mime: str
    kind: str


def sent_file_check(upload) -> CheckedFile:
    """The upload's kind and real type; FileRefused (pt-BR reason) when too big or not allowed."""
    limit = settings.MAX_RECEIVED_FILE_BYTES
    if upload.size > limit:
        raise FileRefused(_("the file is over %(size)s") % {"size": filesizeformat(limit)})
    name = os.path.basename(upload.name or "") or "arquivo"
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    image = _image_type(head)
    if image is not None:
        return CheckedFile(upload, name, image, Message.Kind.IMAGE)
    mime = detect_content_type(head, name, "")
    magic = _DOCUMENT_TYPES.get(mime)
    if magic is not None and head.startswith(magic):
        return CheckedFile(upload, name, mime, Message.Kind.DOCUMENT)
    raise FileRefused(_("only JPEG, PNG or WebP images, PDF and office documents can be sent"))


def _image_type(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def sent_file_store(company_id: int, checked: CheckedFile) -> str:
    """Save the file; returns its storage path (the company's folder, a random name, the extension)."""
    extension = mimetypes.guess_extension(checked.mime) or os.path.splitext(checked.name)[1].lower()[:10]
    path = f"{SENT_FILES_DIR}/{company_id}/{secrets.token_urlsafe(24)}{extension}"
    return default_storage.save(path, checked.upload)


def sent_file_url(path: str) -> str:
    token = signing.TimestampSigner(salt=_SALT).sign_object(path)
    return public_url(reverse("sent-file", args=[token]))


def sent_file_path(token: str) -> str | None:
    """The stored path a signed token names, or None when tampered, expired or gone."""
    try:
        path = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=SENT_FILE_URL_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(path, str) or not path.startswith(SENT_FILES_DIR + "/") or not default_storage.exists(path):
        return None
    return path
