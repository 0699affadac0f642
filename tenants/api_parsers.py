"""The API's JSON parser: DRF's, with nesting bounded before parsing and NaN / lone surrogates refused.

DRF's own JSONParser lets RecursionError through (a 500 for ``[[[[...``) and accepts strings a
UTF-8 answer cannot echo back (a lone surrogate in an invalid choice made the error page a 500).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.json_input import UntrustedJsonError, loads_untrusted


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            return loads_untrusted(raw.decode(encoding) if encoding.lower() not in ("utf-8", "utf8") else raw)
        except (UntrustedJsonError, UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("JSON parse error: %(reason)s") % {"reason": exc}) from exc
