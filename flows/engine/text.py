"""Text helpers of the engine: keyword matching, safe variable rendering, file-type checks."""

import re

from integrations.text import fold

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# What the renderer does not support: expressions, filters, tags, comments, and stray delimiters.
_UNSUPPORTED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{|\}\}|\{%|%\}|\{#|#\}", re.DOTALL)


def variable_names(template: str) -> list[str]:
    """The `{{ name }}` variables `template` uses, in order of first use."""
    return list(dict.fromkeys(_VARIABLE.findall(template or "")))


def unsupported_syntax(template: str) -> list[str]:
    """The pieces of template syntax `render` does not support (and drops), in order."""
    return _UNSUPPORTED.findall(_VARIABLE.sub("", template or ""))


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

    No expression language: unknown names render empty, and anything else in template syntax
    (`{{ nome.upper() }}`, `{% if %}`, a stray `{{`) is dropped, so a customer never receives raw
    braces (the checker refuses such text before it is published). Values are inserted as given.
    """
    parts, last = [], 0
    for match in _VARIABLE.finditer(template):
        parts.append(_UNSUPPORTED.sub("", template[last : match.start()]))
        value = variables.get(match.group(1))
        parts.append("" if value is None else str(value))
        last = match.end()
    parts.append(_UNSUPPORTED.sub("", template[last:]))
    return "".join(parts)


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
