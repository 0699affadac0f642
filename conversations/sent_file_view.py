"""The files staff send, served to the provider that downloads them: public, but only at a valid,
unexpired signed URL (anything else is a 404, like a missing file)."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from conversations.services.sent_files import sent_file_path


def sent_file(request, token: str):
    path = sent_file_path(token)
    if path is None:
        raise Http404
    response = FileResponse(
        default_storage.open(path, "rb"),
        content_type=mimetypes.guess_type(path)[0] or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
