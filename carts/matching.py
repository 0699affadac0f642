"""Reading what the customer typed: a number from the last list, or names matched forgivingly."""

import re
from difflib import SequenceMatcher

from integrations.text import fold

# Matched on folded text (no accents, case or punctuation): "2", "o 2", "quero o 2", "número 2",
# "nº 2", "opção 2", "2." — a pick from the last numbered list.
_PICK = re.compile(
    r"^(?:(?:eu\s+)?(?:quero|queria|vou\s+querer|manda|escolho|pode\s+ser)\s+)?"
    r"(?:(?:o|a)\s+)?(?:(?:n(?:umero|o)?|opcao|item)\s*)?(\d{1,3})$"
)
# "2x 3", "2 do 3", "2 unidades do 3": quantity of a listed item.
_QUANTITY_PICK = re.compile(
    r"^(?:(?:quero|manda)\s+)?(\d{1,2})\s*(?:x\s*(?:d[oa]s?\s+)?|(?:un(?:idades?)?\s+)?d[oa]s?\s+)(?:numero\s+)?(\d{1,3})$"
)
_ZONE_MIN_SCORE = 0.75


def list_pick(text: str) -> tuple[int, int] | None:
    """(position, quantity) when `text` picks an entry of a numbered list, else None."""
    folded = fold(text)
    match = _PICK.match(folded)
    if match:
        return int(match.group(1)), 1
    match = _QUANTITY_PICK.match(folded)
    if match:
        return int(match.group(2)), int(match.group(1))
    return None


def best_name(text: str, names: list[str]) -> int | None:
    """Index of the name `text` means (case, accents and small typos forgiven); None if unclear."""
    wanted = fold(text)
    if not wanted:
        return None
    scores = []
    for index, name in enumerate(names):
        candidate = fold(name)
        if candidate == wanted:
            return index
        score = SequenceMatcher(None, wanted, candidate).ratio()
        if wanted in candidate or candidate in wanted:
            score = max(score, 0.8)
        scores.append((score, index))
    scores.sort(reverse=True)
    if not scores or scores[0][0] < _ZONE_MIN_SCORE:
        return None
    if len(scores) > 1 and scores[0][0] - scores[1][0] < 0.05:
        return None  # two names equally close: ask instead of guessing
    return scores[0][1]
