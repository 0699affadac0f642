"""Text helpers of the engine: keyword matching, safe variable rendering, file-type checks."""

import re

from integrations.text import fold

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def keyword_matches(keyword: str, text: str) -> bool:
    """True when `keyword` (one or more words) occurs in `text` as whole words.

    "cardápio" matches "CARDAPIO por favor"; "oi" does not match "boi".
    """
    needle = fold(keyword)
    if not needle:
        return False
    return f" {needle} " in f" {fold(text)} "


def render(template: str, variables: dict) -> str:
    """Replace `{{ name }}` with the variable's value, in one pass (values are never re-rendered).

    No expression language: anything but a bare identifier stays as written; unknown names render empty.
    """

    def substitute(match: re.Match) -> str:
        value = variables.get(match.group(1))
        return "" if value is None else str(value)

    return _VARIABLE.sub(substitute, template)


def file_type_accepted(expected: tuple[str, ...], mime: str, name: str) -> bool:
    """Whether a document of `mime` named `name` is one of `expected` (extensions, MIME types or
    `type/*`). An empty `expected` accepts any document."""
    if not expected:
        return True
    mime = (mime or "").strip().lower().split(";")[0]
    extension = name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    for raw in expected:
        wanted = raw.strip().lower()
        if not wanted:
            continue
        if "/" in wanted:
            if wanted.endswith("/*") and mime.startswith(wanted[:-1]):
                return True
            if mime == wanted:
                return True
        elif extension and extension == wanted.lstrip("."):
            return True
    return False
