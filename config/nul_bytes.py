"""Refuse requests whose path or query string carries a NUL byte (``%00``), before any view runs.

PostgreSQL text cannot hold NUL, so such a value used as a lookup (a webhook key, an admin object
id, an API filter) would end in a DataError, a 500. No URL of ours has a legitimate use for it.
"""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest(_("The address contains a null character."), content_type="text/plain")
        return self.get_response(request)
