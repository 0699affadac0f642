"""Reading PHP-serialized values as WordPress stores them (``maybe_serialize``), e.g. CartFlows carts.

PHP ``s:N`` lengths count UTF-8 bytes, and WooCommerce cart items hold product objects
(``O:17:"WC_Product_Simple":1:{s:5:"\\0*\\0id";i:16;}``), so values are decoded from bytes with an
object hook. See research/real-schemas.md §1.5.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

import phpserialize

from integrations.wordpress.values import positive_int, to_decimal


class PHPDataError(ValueError):
    """The stored value is not valid PHP serialization of the expected shape."""


@dataclass(frozen=True)
class CartLine:
    product_id: int | None
    variation_id: int | None
    quantity: int
    line_total: Decimal
    variation: dict[str, str]  # attribute name → chosen value, e.g. {"attribute_pa_tamanho": "38"}


def php_unserialize(data: bytes | str | None) -> object:
    """The Python value of PHP-serialized data (arrays → dict, objects → phpserialize.phpobject).

    None/empty gives None. Invalid UTF-8 inside strings is replaced, not fatal. Strings whose declared
    length is wrong (``s:N`` counting characters instead of bytes, or bytes before a charset conversion
    re-encoded them) are read leniently (`repair_string_lengths`). Raises PHPDataError for anything
    that is still not complete, valid serialization (e.g. truncated data).
    """
    if data is None:
        return None
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if not raw.strip():
        return None
    try:
        return _loads(raw)
    except _LOAD_ERRORS as exc:
        repaired = repair_string_lengths(raw)
        if repaired != raw:
            try:
                return _undo_double_encoding(_loads(repaired))
            except _LOAD_ERRORS:
                pass
        raise PHPDataError(f"not valid PHP serialization ({exc})") from exc


_LOAD_ERRORS = (ValueError, TypeError, IndexError, KeyError, RecursionError)
_STRING_START = re.compile(rb's:(\d+):"')
# What may follow a string's closing `";`: the end, the array's `}`, or the next value's type tag.
_NEXT_TOKEN = re.compile(rb"(?:}|[sidbaO]:|N;|$)")


def _undo_double_encoding(value: object) -> object:
    """Strings of a repaired value that a latin-1 → UTF-8 conversion encoded twice ("SÃ£o") read back ("São")."""
    if isinstance(value, str) and ("Ã" in value or "Â" in value):
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value
    if isinstance(value, dict):
        return {_undo_double_encoding(key): _undo_double_encoding(item) for key, item in value.items()}
    return value


def _loads(raw: bytes) -> object:
    return phpserialize.loads(raw, decode_strings=True, errors="replace", object_hook=phpserialize.phpobject)


def repair_string_lengths(raw: bytes) -> bytes:
    """`raw` with every ``s:N:"…";`` length set to the string's real byte count.

    A declared length is kept when the string really ends there (``";`` then a next token); else the
    string ends at the first ``";`` followed by a next token (a string holding ``";`` itself can then
    be cut short: that row stays unreadable rather than misread, as phpserialize checks the rest).
    """
    out, position = bytearray(), 0
    while match := _STRING_START.search(raw, position):
        start, declared = match.end(), int(match.group(1))
        end = start + declared
        if not (raw[end : end + 2] == b'";' and _NEXT_TOKEN.match(raw, end + 2)):
            end = _string_end(raw, start)
            if end is None:
                break
        out += raw[position : match.start()] + b's:%d:"' % (end - start) + raw[start:end] + b'";'
        position = end + 2
    out += raw[position:]
    return bytes(out)


def _string_end(raw: bytes, start: int) -> int | None:
    search = start
    while (end := raw.find(b'";', search)) != -1:
        if _NEXT_TOKEN.match(raw, end + 2):
            return end
        search = end + 1
    return None


def parse_cart_contents(data: bytes | str | None) -> tuple[CartLine, ...]:
    """Lines of a serialized ``WC()->cart->get_cart()`` array; () when empty. Raises PHPDataError.

    Items may carry extra plugin keys; the product id falls back to the id inside the WC_Product
    object when ``product_id`` is missing.
    """
    value = php_unserialize(data)
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise PHPDataError("cart_contents is not an array")
    lines = []
    for key, item in value.items():
        if not isinstance(item, dict):
            raise PHPDataError(f"cart item {key!r} is not an array")
        variation = item.get("variation")
        lines.append(
            CartLine(
                product_id=positive_int(item.get("product_id")) or _object_id(item.get("data")),
                variation_id=positive_int(item.get("variation_id")),
                quantity=int(to_decimal(item.get("quantity"))),
                line_total=to_decimal(item.get("line_total")),
                variation={str(k): str(v) for k, v in variation.items()} if isinstance(variation, dict) else {},
            )
        )
    return tuple(lines)


def parse_string_map(data: bytes | str | None, label: str) -> dict[str, str]:
    """A serialized flat array of scalars (e.g. CartFlows ``other_fields``) as str → str; {} when empty."""
    value = php_unserialize(data)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PHPDataError(f"{label} is not an array")
    return {str(key): "" if item is None else str(item) for key, item in value.items() if not isinstance(item, dict)}


def _object_id(value: object) -> int | None:
    if not isinstance(value, phpserialize.phpobject):
        return None
    for name, item in value._asdict().items():
        # Protected properties serialize as "\0*\0id"; WC_Data::__sleep() keeps only that one.
        if str(name).split("\0")[-1] == "id":
            return positive_int(item)
    return None
