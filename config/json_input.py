"""JSON from outside (webhooks, API bodies): parsed only when its nesting is bounded, strictly.

`json.loads` recurses once per nesting level, so a body of 100 000 ``[`` raises RecursionError (a
500) before anything can look at it; the depth is therefore measured on the raw text first, at C
speed. What JSON does not allow (NaN, Infinity) and what no database or encoder can store (NUL,
lone UTF-16 surrogates such as ``"\\ud800"``) are refused too, so every caller gets a ValueError
it can answer 400.
"""

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # real provider payloads and API bodies nest under 15 levels
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# +1 for an opening bracket, -1 for a closing one, 0 for anything else.
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class UntrustedJsonError(ValueError):
    """The body is not JSON we accept; the message says why (safe to show to the sender)."""


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting of `raw`, brackets inside strings not counted."""
    # Once escapes are gone, quotes alternate open/close: every odd piece between them is a string.
    outside_strings = b"".join(_ESCAPE.sub(b"", raw).split(b'"')[::2])
    structure = outside_strings.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, structure)), default=0)


def _refuse_constant(name: str):
    raise UntrustedJsonError(f"{name} is not valid JSON")


def loads_untrusted(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`raw` parsed; UntrustedJsonError when it is not JSON, nests deeper than `max_depth`, holds
    NaN/Infinity, or a string with a lone surrogate."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if nesting_depth(data) > max_depth:
        raise UntrustedJsonError(f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except UntrustedJsonError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UntrustedJsonError("body is not valid JSON") from exc
    for text in _strings(value):
        # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8: either
        # would break a later write or the answer itself.
        if "\x00" in text:
            raise UntrustedJsonError("JSON holds a NUL character (\\u0000)")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UntrustedJsonError("JSON holds an invalid Unicode string (a lone surrogate)") from exc
    return value


def _strings(value: Any):
    """Every string (keys included) in a parsed JSON value, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
