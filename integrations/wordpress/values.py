"""Lenient converters for values as WordPress stores them (text meta, decimals, ids, names)."""

from decimal import Decimal, InvalidOperation


def to_decimal(value: object) -> Decimal:
    """A Decimal from a number or numeric text (floats via their shortest repr); 0 for empty or junk."""
    if value is None or isinstance(value, bool):
        return Decimal("0")
    try:
        return Decimal(str(value).strip() or "0")
    except InvalidOperation:
        return Decimal("0")


def positive_int(value: object) -> int | None:
    """An id from an int or digit text; None for empty, junk, zero or negatives (0 means "none" in WP)."""
    if type(value) is str and value.isascii() and value.isdigit():  # the usual meta value, fast
        return int(value) or None
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def clean_text(value: object) -> str | None:
    """Stripped text, or None when empty."""
    text = str(value).strip() if value is not None else ""
    return text or None


def full_name(first: object, last: object) -> str | None:
    """``first last`` without stray spaces, or None when both are empty."""
    return clean_text(" ".join(part for part in (clean_text(first), clean_text(last)) if part))
